package collector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fillStore adds n device × trap series with realistic label values.
func fillStore(n int) *Store {
	s := NewStore(0, 0, nil)
	for i := range n {
		s.Observe(netip.Addr{}, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "IF-MIB::linkDown", time.Time{})
	}
	return s
}

// BenchmarkScrape100kSeries serves /metrics from a store of 100,000 series
// (200,000 samples) as Prometheus scrapes it: through the handler, in the
// text format, without and with gzip; the baseline sub-benchmarks serve the
// same store through promhttp with one const metric per sample, the way it
// was done before the handler, so that the ratio comes from one run.
func BenchmarkScrape100kSeries(b *testing.B) {
	store := fillStore(100000)
	for _, bc := range []struct {
		name     string
		baseline bool
		encoding string
	}{
		{"handler", false, ""},
		{"handler-gzip", false, "gzip"},
		{"baseline-promhttp", true, ""},
		{"baseline-promhttp-gzip", true, "gzip"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(NewExporter(store, NewPackets(), nil))
			var h http.Handler
			if bc.baseline {
				h = baselineHandler(reg, store)
			} else {
				h = NewHandler(reg, store, HandlerOpts{EnableOpenMetrics: true})
			}
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Accept", acceptText)
			if bc.encoding != "" {
				req.Header.Set("Accept-Encoding", bc.encoding)
			}
			var bytes int
			b.ReportAllocs()
			for b.Loop() {
				w := &countingWriter{header: http.Header{}}
				h.ServeHTTP(w, req)
				if w.code != 0 && w.code != 200 {
					b.Fatalf("status %d", w.code)
				}
				bytes = w.n
			}
			b.ReportMetric(float64(bytes), "body-bytes")
		})
	}
}

// countingWriter is an http.ResponseWriter that only counts the body, so the
// benchmark measures the handler, not a recorder's growing buffer.
type countingWriter struct {
	header http.Header
	code   int
	n      int
}

func (w *countingWriter) Header() http.Header         { return w.header }
func (w *countingWriter) WriteHeader(code int)        { w.code = code }
func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

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
