package pipeline

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/go-kit/log"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/race"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// relayFixture is inventoryFixture (relays 198.51.100.0/24) with its
// packet counters and a log.
func relayFixture(t *testing.T) (*Processor, *metrics.Packets, *bytes.Buffer) {
	t.Helper()
	c, err := config.Parse([]byte(inventoryYAML))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	packets := metrics.NewPackets()
	pr := New(metrics.NewStore(0, 0, nil), packets, Options{Names: genericNames, Inventory: NewInventory(c),
		Logger: log.NewLogfmtLogger(log.NewSyncWriter(&logs))})
	return pr, packets, &logs
}

func relayCounts(p *metrics.Packets) []string {
	var out []string
	for _, c := range p.RelaysWithoutAgent() {
		out = append(out, fmt.Sprintf("%s=%d", c.Relay, c.Count))
	}
	return out
}

// warnings returns the relays named by the warnings in a log.
func warnings(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=warn") && strings.Contains(line, "names no original agent") {
			_, relay, _ := strings.Cut(line, " relay=")
			relay, _, _ = strings.Cut(relay, " ")
			out = append(out, relay)
		}
	}
	return out
}

// Only a trap from a relay that names no agent is counted, per relay, and
// the first from each relay is logged, with the fix for snmptrapd.
func TestRelayTrapsWithoutAgent(t *testing.T) {
	pr, packets, logs := relayFixture(t)
	bare := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	// Traps that name their agent, from a relay, and traps from a source
	// that is no relay: nothing to count.
	trapFrom(pr, "198.51.100.1:1000", v2cWithTrapAddress([4]byte{192, 0, 2, 7}))
	trapFrom(pr, "198.51.100.1:1000", v1From([4]byte{10, 1, 2, 3}))
	trapFrom(pr, "203.0.113.5:1000", bare)
	trapFrom(pr, "203.0.113.5:1000", v1From([4]byte{}))
	if got := relayCounts(packets); len(got) != 0 || logs.Len() != 0 {
		t.Fatalf("counted %v, logged %q; want nothing", got, logs)
	}

	// From relays: a v2c trap without snmpTrapAddress.0, a v1 trap with
	// agent-addr 0.0.0.0, an inform (counted once, not again when it is
	// retransmitted), from two relays.
	for range 3 {
		trapFrom(pr, "198.51.100.1:1000", bare)
	}
	trapFrom(pr, "198.51.100.1:1000", v1From([4]byte{}))
	inform := v2cTrap(snmp.PDUInformRequest, 77, oidLinkDown)
	trapFrom(pr, "198.51.100.2:1000", inform)
	trapFrom(pr, "198.51.100.2:1000", inform)
	trapFrom(pr, "198.51.100.1:1000", v2cWithTrapAddress([4]byte{192, 0, 2, 7})) // named again: not counted

	if got, want := relayCounts(packets), []string{"198.51.100.1=4", "198.51.100.2=1"}; !slices.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if got, want := warnings(logs.String()), []string{"198.51.100.1", "198.51.100.2"}; !slices.Equal(got, want) {
		t.Errorf("warnings for %v, want one each for %v:\n%s", got, want, logs)
	}
	if !strings.Contains(logs.String(), "add 'addForwarderInfo yes' to snmptrapd.conf") {
		t.Errorf("the warning does not say what to do:\n%s", logs)
	}

	// A reload keeps both: the counter goes on, the relay is not warned
	// about again.
	c, err := config.Parse([]byte("relays:\n  - 198.51.100.0/24\n"))
	if err != nil {
		t.Fatal(err)
	}
	reconfigure(pr, func(s *Settings) { s.Inventory = NewInventory(c) })
	trapFrom(pr, "198.51.100.1:1000", bare)
	if got, want := relayCounts(packets), []string{"198.51.100.1=5", "198.51.100.2=1"}; !slices.Equal(got, want) {
		t.Errorf("after a reload: counts %v, want %v", got, want)
	}
	if got := warnings(logs.String()); len(got) != 2 {
		t.Errorf("after a reload: warnings for %v, want still the two", got)
	}
	// A reload that drops the relay: its traps are its own again.
	reconfigure(pr, func(s *Settings) { s.Inventory = NewInventory(&config.Config{}) })
	trapFrom(pr, "198.51.100.3:1000", bare)
	if got := relayCounts(packets); len(got) != 2 {
		t.Errorf("a source no longer a relay was counted: %v", got)
	}
}

// Past the bounds, relays are folded into relay="other", and one last
// warning says that new relays are no longer warned about.
func TestRelayWarningsBounded(t *testing.T) {
	c, err := config.Parse([]byte("relays:\n  - 10.0.0.0/8\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	packets := metrics.NewPackets()
	pr := New(metrics.NewStore(0, 0, nil), packets, Options{Inventory: NewInventory(c), Logger: log.NewLogfmtLogger(&logs)})
	bare := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	const relays = 2000
	for i := range relays {
		trapFrom(pr, fmt.Sprintf("10.0.%d.%d:162", i/256, i%256), bare)
	}
	counts := packets.RelaysWithoutAgent()
	if len(counts) != metrics.MaxRelayLabels+1 || counts[metrics.MaxRelayLabels].Relay != "other" || counts[metrics.MaxRelayLabels].Count != relays-metrics.MaxRelayLabels {
		t.Errorf("%d label values, last %+v", len(counts), counts[len(counts)-1])
	}
	w := warnings(logs.String())
	last := strings.Count(logs.String(), "no more warnings for new ones")
	if len(w) >= relays || len(w) < metrics.MaxRelayLabels || last != 1 {
		t.Errorf("%d warnings for %d relays, %d saying there are no more; want fewer, and one", len(w), relays, last)
	}
}

// The receive path allocates nothing for a trap from a relay either: one
// that names its agent, and one that does not, once its relay was warned
// about. (A case of its own beside TestHandleDoesNotAllocate, which is
// about a source that is no relay.)
func TestHandleFromRelayDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	for _, history := range []*traps.History{nil, traps.New(traps.Options{Size: 16, MaxBytes: 1 << 20, RefusedSize: 4})} {
		pr, packets, _ := relayFixture(t)
		if history != nil {
			pr.history = history
		}
		relay := netip.MustParseAddrPort("198.51.100.1:40000")
		for _, tc := range []struct {
			name string
			data []byte
		}{
			{"v2c with snmpTrapAddress.0", v2cWithTrapAddress([4]byte{192, 0, 2, 7})},
			{"v1 with agent-addr", v1From([4]byte{10, 1, 2, 3})},
			{"v2c without agent", v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)},
			{"v1 with agent-addr 0.0.0.0", v1From([4]byte{})},
		} {
			p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: relay, Data: tc.data}
			for range 64 {
				pr.Handle(p, nil)
			}
			if n := testing.AllocsPerRun(1000, func() { pr.Handle(p, nil) }); n != 0 {
				t.Errorf("history %v, %s: %v allocations per message, want 0", history != nil, tc.name, n)
			}
		}
		if got := relayCounts(packets); len(got) != 1 || !strings.HasPrefix(got[0], "198.51.100.1=") {
			t.Errorf("counts %v", got)
		}
	}
}
