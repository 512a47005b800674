package pipeline

import (
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// BenchmarkHandleV2cLinkDown measures one trap from decode to store update,
// the work done per datagram on the receive path.
func BenchmarkHandleV2cLinkDown(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(metrics.NewStore(1000, 0, nil), metrics.NewPackets(), Options{Names: genericNames})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data, Received: time.Now()}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pr.Handle(p, nil)
	}
}

// BenchmarkHandleV2cLinkDownBuiltinNames is BenchmarkHandleV2cLinkDown with
// the real built-in MIB table instead of the five test names: the
// difference is what translation costs per trap.
func BenchmarkHandleV2cLinkDownBuiltinNames(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(metrics.NewStore(1000, 0, nil), metrics.NewPackets(), Options{Names: mib.Builtin()})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data, Received: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		pr.Handle(p, nil)
	}
}
