package collector

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestExporterGolden(t *testing.T) {
	clk := testfixtures.NewClock()
	store := metrics.NewStore(2, 24*time.Hour, clk.Now)
	store.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", time.Time{})
	store.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", time.Time{})
	store.Observe(netip.Addr{}, "192.0.2.2", "1.3.6.1.4.1.45.1.6.2.4.0.4", time.Time{})
	store.Observe(netip.Addr{}, "192.0.2.3", "IF-MIB::linkUp", time.Time{}) // overflows

	packets := metrics.NewPackets()
	udp := packets.Listener("udp://:162")
	for range 4 {
		udp.Inc(metrics.VersionV2c, metrics.ResultAccepted)
	}
	udp.Inc(metrics.VersionUnknown, metrics.ResultNotSNMP)
	udp.Inc(metrics.VersionV3, metrics.ResultUnsupported)
	packets.Listener("tcp://:412").Inc(metrics.VersionV1, metrics.ResultAccepted)
	packets.RelayWithoutAgent(netip.MustParseAddr("198.51.100.1"))
	packets.RelayWithoutAgent(netip.MustParseAddr("198.51.100.1"))

	listeners := func() []receiver.Stats {
		return []receiver.Stats{
			{Listener: "udp://:162", Transport: "udp", InformsAcknowledged: 3, KernelDrops: 7, ReceiveBufferBytes: 425984},
			{Listener: "tcp://:412", Transport: "tcp", InformsAcknowledged: 1, AckErrors: 2, KernelDrops: -1, ConnectionsOpen: 1, ConnectionsAccepted: 5,
				ConnectionsClosed: map[string]uint64{"eof": 3, "framing_error": 1}},
		}
	}
	e := NewExporter(store, packets, listeners)

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	// The golden file is what /metrics serves in the text format: the
	// registry's families and the store's, written by the handler.
	_, got := scrape(t, NewHandler(reg, store, HandlerOpts{}), acceptText, "", "")
	golden := filepath.Join("testdata", "exporter.prom")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("/metrics differs from %s (run with -update to accept):\n%s", golden, got)
	}
	problems, err := promlint.New(bytes.NewReader(got)).Lint()
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
}
