package collector

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/inventory"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/persist"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

// populated is the exporter's registry as NewRegistry builds it, with
// data in every family: a listener with stats and packet counts, a trap
// series, the inventory's device info.
func populated(t *testing.T) (Parts, *metrics.Store) {
	t.Helper()
	store := metrics.NewStore(0, 0, nil)
	packets := metrics.NewPackets()
	packets.Listener("udp://:162").Inc(metrics.VersionV2c, metrics.ResultAccepted)
	store.Observe(netip.MustParseAddr("192.0.2.1"), "sw1", "IF-MIB::linkDown", time.Time{})
	derived := NewDerivedCollector(store)
	derived.SetDevices(inventory.New([]config.Device{{Address: config.Source{Prefix: netip.MustParsePrefix("192.0.2.1/32")}, Name: "sw1", Labels: map[string]string{"site": "lab"}}}))
	parts := Parts{
		Store:   store,
		Packets: packets,
		Listeners: func() []receiver.Stats {
			return []receiver.Stats{
				{Listener: "udp://:162", Transport: "udp", KernelDrops: 1, ReceiveBufferBytes: 1},
				{Listener: "tcp://:412", Transport: "tcp", KernelDrops: -1, ConnectionsOpen: 1, ConnectionsClosed: map[string]uint64{"eof": 1}},
			}
		},
		Derived: derived,
		Engine:  &engine.Engine{ID: []byte{0x80, 0, 0, 0, 1}},
		Config:  func() (bool, time.Time) { return true, time.Now() },
		MIBs:    func() loader.Stats { return loader.Stats{ModulesLoaded: 1} },
		Storage: func() persist.Stats { return persist.Stats{} },
		TrapLog: func() []traplog.Stats { return []traplog.Stats{{Output: traplog.OutputFile}} },
	}
	return parts, store
}

// No rule may define a metric the exporter serves itself: every family of
// a fully populated /metrics (the registry run() builds, and the families
// the handler writes) is refused at load, with the rule's line, because
// such a rule made every scrape fail with a 500.
func TestRulesCannotShadowOwnMetrics(t *testing.T) {
	parts, _ := populated(t)
	mfs, err := NewRegistry(parts).Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{trapsReceivedName, lastReceivedName}
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	for _, want := range []string{"snmptrap_tcp_connections", "snmptrap_device_info", "snmptrap_packets_total", "go_goroutines", "process_resident_memory_bytes", "snmptrap_exporter_build_info", "snmptrap_trap_log_records_total"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("%s is not in the populated registry", want)
		}
	}
	reserved := Reserved()
	for _, name := range names {
		if !reserved(name) {
			t.Errorf("a rule may define metric %s, which the exporter serves itself", name)
		}
		action, value := "gauge", "\n    value: IF-MIB::ifIndex"
		if strings.HasSuffix(name, "_total") {
			action, value = "count", ""
		}
		yml := "rules:\n  - name: clash\n    action: " + action + "\n    traps: [IF-MIB::linkDown]\n    metric: " + name + value + "\n"
		c, err := config.Parse([]byte(yml))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err = c.CheckMetrics(reserved)
		if err == nil || !strings.HasPrefix(err.Error(), "line 5: rules[0] (clash): metric "+name) {
			t.Errorf("rule on %s: %v, want an error naming line 5", name, err)
		}
	}
	// A name of the rules' own (the default state metric) and a new name
	// are fine.
	for _, ok := range []string{"snmptrap_alarm_active", "snmptrap_bgp_backward_transitions_total", "acme_temperature_celsius"} {
		if reserved(ok) {
			t.Errorf("%s is reserved, want it free for rules", ok)
		}
	}
	// In OpenMetrics a counter foo_total is the family foo: a gauge foo
	// would be a second family of that name.
	if !reserved("snmptrap_packets") || !reserved("snmptrap_series_total") {
		t.Error("names that collide once _total is added or taken away are free")
	}
}

// Every family the exporter writes has a row in README.md's Metrics table,
// and every row there names one it writes (or a rule-derived family the
// built-in rules make).
func TestMetricsTableInREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n## Metrics\n")
	if !ok {
		t.Fatal("README.md has no ## Metrics section")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	rows := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		// The first cell names one family or a few: `a`, `b`.
		for _, part := range strings.Split(cells[1], ",") {
			if name, ok := strings.CutPrefix(strings.TrimSpace(part), "`"); ok {
				rows[strings.TrimSuffix(name, "`")] = true
			}
		}
	}
	for _, name := range OwnFamilies() {
		if !rows[name] {
			t.Errorf("%s is not in README.md's Metrics table", name)
		}
		delete(rows, name)
	}
	t.Logf("rows for other families (rule-derived): %v", rows)
}
