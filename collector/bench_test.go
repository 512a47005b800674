package collector

import (
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// fillStore adds n device × trap series with realistic label values.
func fillStore(n int) *Store {
	s := NewStore(0, 0, nil)
	for i := range n {
		s.Observe(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "IF-MIB::linkDown", time.Time{})
	}
	return s
}

// BenchmarkScrape100kSeries serves /metrics from a store of 100,000 series
// through promhttp, as Prometheus would scrape it.
func BenchmarkScrape100kSeries(b *testing.B) {
	store := fillStore(100000)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewExporter(store, NewPackets(), nil))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, rec.Body)
	}
}

// TestHeapPerSeries reports the heap an idle series costs beyond its label
// strings (the figure issue 6 asks for), and bounds it.
func TestHeapPerSeries(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("memory measurement")
	}
	const n = 100000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := fillStore(n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	labels := 0
	for _, x := range s.Snapshot() {
		labels += len(x.Device) // the trap label is one shared constant
	}
	perSeries := (float64(after.HeapAlloc-before.HeapAlloc) - float64(labels)) / n
	t.Logf("heap per series beyond its labels' bytes: %.0f B (%d series, %d label bytes)", perSeries, n, labels)
	if perSeries > 150 {
		t.Errorf("%.0f bytes of heap per series, target 150", perSeries)
	}
	runtime.KeepAlive(s)
}
