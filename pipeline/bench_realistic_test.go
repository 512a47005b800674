package pipeline

import (
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

func benchHandle(b *testing.B, data []byte) {
	pr := New(metrics.NewStore(1000, 0, nil), metrics.NewPackets(), Options{Names: mib.Builtin()})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data, Received: time.Now()}
	pr.Handle(p, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pr.Handle(p, nil)
	}
}

// BenchmarkHandleV2cLinkDown6 is a whole v2c linkDown with six varbinds
// (the reference trap) from decode to store update, names from the
// built-in table.
func BenchmarkHandleV2cLinkDown6(b *testing.B) {
	vbs := testfixtures.LinkDownVarbinds[snmp.Varbind]()
	benchHandle(b, snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, vbs))
}

// BenchmarkHandleV1LinkDown4 is the same trap as SNMPv1 (generic trap 2,
// four varbinds).
func BenchmarkHandleV1LinkDown4(b *testing.B) {
	benchHandle(b, snmp.AppendTrapV1(nil, []byte("public"), snmp.MustParseOID("1.3.6.1.4.1.9.1.1208"),
		[4]byte{192, 0, 2, 7}, 2, 0, 12345, testfixtures.LinkDownVarbinds[snmp.Varbind]()[2:]))
}

// BenchmarkHandleV2cLinkDown6Rules is BenchmarkHandleV2cLinkDown6 with the
// built-in rules on: the linkDown also sets snmptrap_interface_up and
// snmptrap_interface_info.
func BenchmarkHandleV2cLinkDown6Rules(b *testing.B) {
	vbs := testfixtures.LinkDownVarbinds[snmp.Varbind]()
	data := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, vbs)
	rs, err := rules.Compile(nil, config.BuiltinRules{}, mib.Builtin())
	if err != nil {
		b.Fatal(err)
	}
	store := metrics.NewStore(1000, 0, nil)
	if err := store.SetFamilies(rs.Families()); err != nil {
		b.Fatal(err)
	}
	pr := New(store, metrics.NewPackets(), Options{Names: mib.Builtin(), Rules: rs})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data, Received: time.Now()}
	pr.Handle(p, nil)
	if len(store.DerivedSnapshot()) != 2 {
		b.Fatalf("derived series %+v, want interface_up and interface_info", store.DerivedSnapshot())
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pr.Handle(p, nil)
	}
}
