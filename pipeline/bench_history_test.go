package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
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

// BenchmarkHandleForward is the v2c linkDown handle path with no
// forwarding, one raw destination and one v2c destination (a UDP port on
// 127.0.0.1 nobody reads). It measures Offer (a copy into the queue, or
// for v2c the varbinds re-encoded once) together with the sender
// goroutine's sends, which run on the other core; a trap the sender has
// not taken when the queue is full is dropped, and the benchmark reports
// the share dropped.
func BenchmarkHandleForward(b *testing.B) {
	vbs := testfixtures.LinkDownVarbinds[snmp.Varbind]()
	msg := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, vbs)
	for _, mode := range []string{"off", config.ForwardRaw, config.ForwardV2c} {
		b.Run(mode, func(b *testing.B) {
			opts := Options{Names: mib.Builtin()}
			var m *forward.Manager
			if mode != "off" {
				f := config.Forward{Address: "udp://127.0.0.1:9", Mode: mode}
				if mode == config.ForwardV2c {
					f.Community = "c"
				}
				plan, err := forward.Compile([]config.Forward{f}, nil)
				if err != nil {
					b.Fatal(err)
				}
				m = forward.NewManager(forward.Options{})
				defer m.Stop()
				opts.Forward = m.Apply(plan)
			}
			pr := New(metrics.NewStore(100000, 0, nil), metrics.NewPackets(), opts)
			p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Received: time.Now(), Data: msg}
			b.ReportAllocs()
			for b.Loop() {
				pr.Handle(p, nil)
			}
			if m != nil {
				s := m.Stats()[0]
				b.ReportMetric(float64(s.Dropped)/float64(b.N)*100, "%dropped")
			}
		})
	}
}
