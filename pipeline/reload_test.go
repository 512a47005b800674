package pipeline

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// reloadState is one configuration's security and rules, compiled.
type reloadState struct {
	sec   *Security
	rules *rules.Set
}

func compileReloadState(t *testing.T, community, metric string) reloadState {
	t.Helper()
	c := &config.Config{Auth: config.Auth{Communities: []config.Secret{config.Secret(community)}}}
	sec, err := NewSecurity(c)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	rs, err := rules.Compile([]config.Rule{{Name: "r", Traps: []string{"IF-MIB::linkDown"}, Metric: metric}},
		config.BuiltinRules{InterfaceUp: &off, DeviceRestarts: &off, SynOpticsChassis: &off}, mib.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	return reloadState{sec: sec, rules: rs}
}

// A reload publishes security and rules together: a message admitted
// under one configuration's security is ruled by that configuration's
// rules, never by the other's, however reloads and messages interleave.
// Configuration A accepts community "a" and counts linkDown in
// test_a_total, B accepts "b" and counts in test_b_total; only
// community-a traps are sent, so test_b_total must stay absent.
func TestReloadPublishesOneState(t *testing.T) {
	a := compileReloadState(t, "a", "test_a_total")
	b := compileReloadState(t, "b", "test_b_total")
	store := metrics.NewStore(0, 0, nil)
	if err := store.SetFamilies(append(a.rules.Families(), b.rules.Families()...)); err != nil {
		t.Fatal(err)
	}
	packets := metrics.NewPackets()
	pr := New(store, packets, Options{Names: mib.Builtin(), Security: a.sec, Rules: a.rules})

	trap := snmp.AppendTrapV2(nil, snmp.V2c, []byte("a"), snmp.PDUTrapV2, 1, v2Varbinds(oidLinkDown))
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			s := a
			if i%2 == 1 {
				s = b
			}
			applyReloadState(pr, s)
		}
	}()
	const n = 20000
	for range n {
		trapFrom(pr, "192.0.2.7:1000", trap)
	}
	stop.Store(true)
	wg.Wait()

	accepted := packets.Listener("udp://:162").Get(metrics.VersionV2c, metrics.ResultAccepted)
	var countedA, countedB float64
	for _, d := range store.DerivedSnapshot() {
		switch d.Family.Name {
		case "test_a_total":
			countedA += d.Value
		case "test_b_total":
			countedB += d.Value
		}
	}
	if countedB != 0 || countedA != float64(accepted) {
		t.Errorf("%d traps admitted under A's security; A's rule counted %v, B's rule counted %v (want %d and 0)", accepted, countedA, countedB, accepted)
	}
	if accepted == 0 || accepted == n {
		t.Logf("accepted %d of %d: the reloads did not interleave with the traps", accepted, n)
	}
}

func applyReloadState(pr *Processor, s reloadState) {
	reconfigure(pr, func(st *Settings) { st.Security, st.Rules = s.sec, s.rules })
}

// reconfigure applies the settings in use with f's changes.
func reconfigure(pr *Processor, f func(*Settings)) {
	s := pr.Settings()
	f(&s)
	pr.Apply(s)
}
