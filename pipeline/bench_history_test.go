package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// BenchmarkHandleHistory is BenchmarkHandleV2cLinkDown6Rules with the trap
// history off, on, and on with storms collapsed (the default): what keeping
// the traps costs the receive path. The traps cycle through 96 interfaces
// and directions, as the receive benchmark's do.
func BenchmarkHandleHistory(b *testing.B) {
	var msgs [][]byte
	for i := range 96 {
		vbs := testfixtures.LinkDownVarbinds[snmp.Varbind]()
		vbs[0].Value = snmp.UnsignedValue(uint64(1000 + i))
		vbs[2].Value = snmp.IntegerValue(int64(i/2 + 1))
		msgs = append(msgs, snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, vbs))
	}
	for _, c := range []struct {
		name string
		opts *traps.Options
	}{
		{"off", nil},
		{"on", &traps.Options{Size: traps.DefaultSize, MaxBytes: traps.DefaultMaxBytes}},
		{"dedup", &traps.Options{Size: traps.DefaultSize, MaxBytes: traps.DefaultMaxBytes, DedupWindow: 10 * time.Second}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rs, err := rules.Compile(nil, config.BuiltinRules{}, mib.Builtin())
			if err != nil {
				b.Fatal(err)
			}
			store := metrics.NewStore(100000, 0, nil)
			if err := store.SetFamilies(rs.Families()); err != nil {
				b.Fatal(err)
			}
			opts := Options{Names: mib.Builtin(), Rules: rs}
			if c.opts != nil {
				opts.History = traps.New(*c.opts)
			}
			pr := New(store, metrics.NewPackets(), opts)
			p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Received: time.Now()}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p.Data = msgs[i%len(msgs)]
				pr.Handle(p, nil)
				i++
			}
		})
	}
	_ = fmt.Sprint
}
