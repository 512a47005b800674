package pipeline

import (
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// BenchmarkHandleV2cLinkDown measures one trap from decode to store update,
// the work done per datagram on the receive path.
func BenchmarkHandleV2cLinkDown(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(collector.NewStore(1000, 0, nil), collector.NewPackets(), Options{Names: genericNames})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pr.Handle(p, nil)
	}
}

// BenchmarkHandleV3AuthPrivTrap measures an SHA/AES authPriv trap through
// USM (digest, timeliness, replay check, decryption) to the store. The
// messages differ (a replay would be refused), and there are more of them
// than the replay memory holds per engine, so each is new when it comes round.
func BenchmarkHandleV3AuthPrivTrap(b *testing.B) {
	t := &testing.T{}
	f := newV3Fixture(t)
	const n = 2 * maxSeenPerEngine
	msgs := make([][]byte, n)
	s := opsSender()
	for i := range msgs {
		s.msgID, s.requestID = int32(i), int32(i)
		msgs[i] = s.build(t, snmp.PDUTrapV2, oidLinkDown)
	}
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src}
	b.ReportAllocs()
	b.SetBytes(int64(len(msgs[0])))
	i := 0
	for b.Loop() {
		p.Data = msgs[i%n]
		f.proc.Handle(p, nil)
		i++
	}
	b.StopTimer()
	if got := f.v3(collector.ResultAccepted); got != uint64(i) {
		b.Fatalf("accepted %d of %d", got, i)
	}
}

// BenchmarkHandleV2cLinkDownBuiltinNames is BenchmarkHandleV2cLinkDown with
// the real built-in MIB table instead of the five test names: the
// difference is what translation costs per trap.
func BenchmarkHandleV2cLinkDownBuiltinNames(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(collector.NewStore(1000, 0, nil), collector.NewPackets(), Options{Names: mib.Builtin()})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}
	b.ReportAllocs()
	for b.Loop() {
		pr.Handle(p, nil)
	}
}
