package pipeline

import (
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// BenchmarkHandleV2cLinkDown measures one trap from decode to store update,
// the work done per datagram on the receive path.
func BenchmarkHandleV2cLinkDown(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(collector.NewStore(1000, 0, nil), collector.NewPackets(), Options{Names: genericNames})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data, Received: time.Now()}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pr.Handle(p, nil)
	}
}

// BenchmarkHandleV3AuthPrivTrap measures an SHA/AES authPriv trap through
// USM (digest, timeliness, replay check, decryption) to the store. Every
// message is new (a replay would be refused) and engineTime moves on as a
// real sender's does; messages are built in chunks with the timer stopped.
func BenchmarkHandleV3AuthPrivTrap(b *testing.B) {
	t := &testing.T{}
	f := newV3Fixture(t)
	s := opsSender()
	s.authKey = usm.LocalizeKey(s.auth, usm.PasswordToKey(s.auth, []byte(s.authPass)), s.engineID)
	s.privKey = usm.LocalizePrivKey(s.auth, s.priv, usm.PasswordToKey(s.auth, []byte(s.privPass)), s.engineID)
	const chunk = 1024
	msgs := make([][]byte, chunk)
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%chunk == 0 {
			b.StopTimer()
			for j := range msgs {
				n := int32(i + j)
				s.msgID, s.requestID, s.time = n, n, 1000+n/10
				msgs[j] = s.build(t, snmp.PDUTrapV2, oidLinkDown)
			}
			b.StartTimer()
		}
		p.Data = msgs[i%chunk]
		f.proc.Handle(p, nil)
	}
	b.StopTimer()
	if got := f.v3(collector.ResultAccepted); got != uint64(b.N) {
		b.Fatalf("accepted %d of %d", got, b.N)
	}
}

// BenchmarkHandleV2cLinkDownBuiltinNames is BenchmarkHandleV2cLinkDown with
// the real built-in MIB table instead of the five test names: the
// difference is what translation costs per trap.
func BenchmarkHandleV2cLinkDownBuiltinNames(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(collector.NewStore(1000, 0, nil), collector.NewPackets(), Options{Names: mib.Builtin()})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data, Received: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		pr.Handle(p, nil)
	}
}
