package pipeline

import (
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// BenchmarkHandleV2cLinkDown measures one trap from decode to store update,
// the work done per datagram on the receive path.
func BenchmarkHandleV2cLinkDown(b *testing.B) {
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	pr := New(collector.NewStore(1000, 0, nil), collector.NewPackets(), Options{})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pr.Handle(p, nil)
	}
}
