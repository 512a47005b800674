package collector

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/sealed"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// constStoreCollector is the way the store's families used to be exposed:
// one const metric per sample. It is kept here only as the reference the
// handler's output is compared with and as the benchmarks' baseline.
type constStoreCollector struct {
	store                       *metrics.Store
	trapsReceived, lastReceived *prometheus.Desc
}

func newConstStoreCollector(s *metrics.Store) *constStoreCollector {
	return &constStoreCollector{
		store:         s,
		trapsReceived: prometheus.NewDesc(trapsReceivedName, trapsReceivedHelp, []string{"device", "trap"}, nil),
		lastReceived:  prometheus.NewDesc(lastReceivedName, lastReceivedHelp, []string{"device", "trap"}, nil),
	}
}

func (c *constStoreCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.trapsReceived
	ch <- c.lastReceived
}

func (c *constStoreCollector) Collect(ch chan<- prometheus.Metric) {
	idx := c.store.Index()
	for i := range idx.Len() {
		device, trap, count, last, overflow := idx.Entry(i)
		if overflow && count == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.trapsReceived, prometheus.CounterValue, float64(count), device, trap)
		ch <- prometheus.MustNewConstMetric(c.lastReceived, prometheus.GaugeValue, float64(last)/1e9, device, trap)
	}
}

// baselineHandler serves the registry plus the const-metric store families
// through promhttp, with the options main used before the handler existed.
func baselineHandler(reg *prometheus.Registry, store *metrics.Store) http.Handler {
	reg.MustRegister(newConstStoreCollector(store))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// awkwardStore has label values that need escaping, counts and times that
// format in every way a float can, and an overflow series.
func awkwardStore() *metrics.Store {
	clk := testfixtures.NewClock()
	s := metrics.NewStore(8, 0, clk.Now)
	at := func(sec int64, nsec int64) time.Time { return time.Unix(sec, nsec) }
	s.Observe(netip.Addr{}, `back\slash`, "IF-MIB::linkDown", at(1_700_000_000, 123_456_789))
	s.Observe(netip.Addr{}, `quo"te`, "IF-MIB::linkUp", at(1_700_000_001, 0))
	s.Observe(netip.Addr{}, "new\nline", "1.3.6.1.4.1.45.1.6.2.4.0.4", at(0, 1))
	s.Observe(netip.Addr{}, "gerät-ü", `a\"b`+"\n", at(1, 0))
	for range 1_234_567 % 1000 {
		s.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", at(1_764_000_000, 999_999_999))
	}
	s.Observe(netip.Addr{}, "192.0.2.10", "IF-MIB::linkDown", at(-5, 0))
	s.Observe(netip.Addr{}, "192.0.2.9", "IF-MIB::linkDown", at(1_764_000_000, 500_000_000))
	s.Observe(netip.Addr{}, "", "", at(2_000_000_000, 1))
	s.Observe(netip.Addr{}, "overflow", "x", at(1_700_000_002, 0)) // the ninth: overflows
	// A count that formats with an exponent: a restored snapshot adds its
	// count to the series'.
	big := `{"snapshot":"snmptrap_exporter series","version":1,"records":1}` + "\n" +
		`{"kind":"trap","device":"192.0.2.9","trap":"IF-MIB::linkDown","count":12345678900,"last_ns":0}` + "\n"
	sealedBig, _ := sealed.Seal([]byte(big), 0)
	if _, err := s.Restore(sealedBig); err != nil {
		panic(err)
	}
	return s
}

// scrape serves one request and returns the response with its body
// decompressed.
func scrape(t testing.TB, h http.Handler, accept, encoding, query string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics"+query, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	rsp := rec.Result()
	body := rec.Body.Bytes()
	if rsp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return rsp, body
}

const (
	acceptPrometheus = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
	acceptText       = "text/plain;version=0.0.4"
)

// TestHandlerMatchesConstMetrics builds the same store both ways and
// compares the two expositions byte for byte and as parsed families, in
// every format and encoding the handler offers.
func TestHandlerMatchesConstMetrics(t *testing.T) {
	for _, tc := range []struct{ name, accept, encoding, query string }{
		{"text", acceptText, "", ""},
		{"no accept", "", "", ""},
		{"text gzip", acceptText, "gzip", ""},
		{"prometheus", acceptPrometheus, "gzip, deflate", ""},
		{"openmetrics 0.0.1", "application/openmetrics-text;version=0.0.1", "", ""},
		{"protobuf asked", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "", ""},
		{"name filter", acceptText, "", "?name[]=snmptrap_traps_received_total&name[]=snmptrap_series"},
		{"gzip refused", acceptText, "gzip;q=0, identity", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := awkwardStore()
			newReg := prometheus.NewPedanticRegistry()
			newReg.MustRegister(NewExporter(store, metrics.NewPackets(), nil))
			oldReg := prometheus.NewPedanticRegistry()
			oldReg.MustRegister(NewExporter(store, metrics.NewPackets(), nil))

			newRsp, got := scrape(t, NewHandler(newReg, store, HandlerOpts{EnableOpenMetrics: true}), tc.accept, tc.encoding, tc.query)
			oldRsp, want := scrape(t, baselineHandler(oldReg, store), tc.accept, tc.encoding, tc.query)
			if newRsp.StatusCode != 200 {
				t.Fatalf("status %d: %s", newRsp.StatusCode, got)
			}
			wantType := oldRsp.Header.Get("Content-Type")
			if strings.Contains(wantType, "protobuf") {
				// The handler never serves protobuf: it falls back to the
				// text format, which is what it must then equal.
				oldReg = prometheus.NewPedanticRegistry()
				oldReg.MustRegister(NewExporter(store, metrics.NewPackets(), nil))
				var textRsp *http.Response
				textRsp, want = scrape(t, baselineHandler(oldReg, store), acceptText, "", "")
				wantType = textRsp.Header.Get("Content-Type")
			}
			if g := newRsp.Header.Get("Content-Type"); g != wantType {
				t.Errorf("Content-Type %q, promhttp says %q", g, wantType)
			}
			if g, w := newRsp.Header.Get("Content-Encoding"), oldRsp.Header.Get("Content-Encoding"); g != w {
				t.Errorf("Content-Encoding %q, promhttp says %q", g, w)
			}
			if g, w := newRsp.Header.Values("Vary"), oldRsp.Header.Values("Vary"); strings.Join(g, ",") != strings.Join(w, ",") {
				t.Errorf("Vary %q, promhttp says %q", g, w)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("exposition differs from the const-metric path\n--- got\n%s\n--- want\n%s", got, want)
			}
			if strings.Contains(wantType, "text/plain") {
				p := expfmt.NewTextParser(model.UTF8Validation)
				gotMF, err := p.TextToMetricFamilies(bytes.NewReader(got))
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				wantMF, err := p.TextToMetricFamilies(bytes.NewReader(want))
				if err != nil {
					t.Fatal(err)
				}
				if len(gotMF) != len(wantMF) {
					t.Errorf("%d families, want %d", len(gotMF), len(wantMF))
				}
				for name, w := range wantMF {
					if g := gotMF[name]; g == nil || g.String() != w.String() {
						t.Errorf("family %s differs:\n%v\nwant\n%v", name, g, w)
					}
				}
				if tc.query == "" && len(gotMF[trapsReceivedName].GetMetric()) != 9 {
					t.Errorf("%d traps_received series, want 9", len(gotMF[trapsReceivedName].GetMetric()))
				}
			}
		})
	}
}

func TestHandlerErrors(t *testing.T) {
	store := awkwardStore()
	failing := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return nil, errors.New("boom") })
	var logged []string
	h := NewHandler(failing, store, HandlerOpts{ErrorLog: logFunc(func(v ...any) { logged = append(logged, fmt.Sprint(v...)) })})
	rsp, body := scrape(t, h, "", "gzip", "")
	if rsp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "boom") {
		t.Errorf("gather error: status %d, body %q; want 500 with the error", rsp.StatusCode, body)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "boom") {
		t.Errorf("logged %q", logged)
	}
}

type logFunc func(v ...any)

func (f logFunc) Println(v ...any) { f(v...) }

func TestHandlerInFlightLimit(t *testing.T) {
	store := metrics.NewStore(0, 0, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	blocking := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		entered <- struct{}{}
		<-release
		return nil, nil
	})
	h := NewHandler(blocking, store, HandlerOpts{MaxRequestsInFlight: 1})
	done := make(chan int)
	go func() {
		rsp, _ := scrape(t, h, "", "", "")
		done <- rsp.StatusCode
	}()
	<-entered
	if rsp, _ := scrape(t, h, "", "", ""); rsp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second scrape in flight: status %d, want 503", rsp.StatusCode)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("first scrape: status %d", code)
	}
}

// TestHandlerAfterExpiry: once the store's expiry removed a series, a
// scrape writes neither family for it, and snmptrap_series and the
// expired count agree.
func TestHandlerAfterExpiry(t *testing.T) {
	clk := testfixtures.NewClock()
	store := metrics.NewStore(0, time.Hour, clk.Now)
	store.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", time.Time{})
	h := exporterHandler(store, HandlerOpts{})
	if _, body := scrape(t, h, "", "", ""); !bytes.Contains(body, []byte(trapsReceivedName+`{device="192.0.2.1"`)) {
		t.Fatalf("fresh series missing:\n%s", body)
	}
	clk.Add(2 * time.Hour)
	store.Expire()
	_, body := scrape(t, h, "", "", "")
	if bytes.Contains(body, []byte(trapsReceivedName)) || bytes.Contains(body, []byte(lastReceivedName)) {
		t.Errorf("expired series still served:\n%s", body)
	}
	if !bytes.Contains(body, []byte("snmptrap_series 0\n")) || !bytes.Contains(body, []byte(`snmptrap_series_dropped_total{reason="expired"} 1`)) {
		t.Errorf("series count and expired count disagree:\n%s", body)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                      false,
		"gzip":                  true,
		"GZIP":                  true,
		"deflate, gzip;q=1.0":   true,
		"gzip;q=0":              false,
		"gzip; q=0.0, identity": false,
		"*":                     true,
		"*;q=0":                 false,
		"br, zstd":              false,
		"x-gzip":                false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

// TestHandlerWhileObserving scrapes while traps arrive and series expire
// (run with -race): the handler copies the store under its read lock and
// writes without it.
func TestHandlerWhileObserving(t *testing.T) {
	store := metrics.NewStore(500, time.Millisecond, nil)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(store, metrics.NewPackets(), nil))
	h := NewHandler(reg, store, HandlerOpts{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			store.Observe(netip.Addr{}, fmt.Sprintf("192.0.2.%d", i%700), "IF-MIB::linkDown", time.Time{})
		}
	}()
	for range 50 {
		rsp, body := scrape(t, h, acceptText, "gzip", "")
		if rsp.StatusCode != 200 {
			t.Fatalf("status %d", rsp.StatusCode)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		if _, err := p.TextToMetricFamilies(bytes.NewReader(body)); err != nil {
			t.Fatalf("parse: %v", err)
		}
	}
	close(stop)
	<-done
}
