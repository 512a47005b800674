package collector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
)

// fillStore adds n device × trap series with realistic label values.
func fillStore(n int) *metrics.Store {
	s := metrics.NewStore(0, 0, nil)
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
			reg.MustRegister(NewExporter(store, metrics.NewPackets(), nil))
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
