package collector

// The store's two families are written here in the text formats by hand
// instead of as one prometheus.MustNewConstMetric per sample, the way
// kube-state-metrics does for the same reason: building and sorting a
// dto.Metric per sample made a scrape of 100,000 series take many times
// longer and allocate millions of times (BenchmarkScrape100kSeries and its
// const-metric baseline; the figures are in BENCHMARKS.md). Everything
// else on /metrics is still gathered from the registry and encoded by
// expfmt; for the same data the output is byte for byte what the
// const-metric path wrote (TestHandler*).

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
)

// Names and help texts of the store's families.
const (
	trapsReceivedName = namespace + "_traps_received_total"
	trapsReceivedHelp = "Traps and informs admitted, by device and trap type. Traps that found no room in the series store are counted under device and trap \"" + metrics.OverflowLabel + "\"."
	lastReceivedName  = namespace + "_trap_last_received_timestamp_seconds"
	lastReceivedHelp  = "Unix time at which the last trap of this type arrived from this device."
)

// Logger is what the handler logs errors to (promhttp.Logger).
type Logger interface {
	Println(v ...any)
}

// HandlerOpts are the options of NewHandler, named as in promhttp.HandlerOpts.
type HandlerOpts struct {
	// ErrorLog, if not nil, gets gathering and writing errors.
	ErrorLog Logger
	// MaxRequestsInFlight > 0 answers 503 to scrapes beyond that many at once.
	MaxRequestsInFlight int
	// DisableCompression serves identity even when the client accepts gzip.
	DisableCompression bool
	// EnableOpenMetrics offers OpenMetrics 1.0.0 and 0.0.1 beside the
	// Prometheus text format 0.0.4.
	EnableOpenMetrics bool
	// WriteTimeout > 0 ends a scrape whose response cannot be written
	// within that time (a client that does not read), freeing its slot.
	WriteTimeout time.Duration
}

// handler serves /metrics: the registry's families through expfmt and the
// store's two families written directly, interleaved in name order.
type handler struct {
	gatherer prometheus.Gatherer
	store    *metrics.Store
	opts     HandlerOpts
	formats  []expfmt.Format
	inFlight chan struct{}
}

// NewHandler returns the /metrics handler for the store and everything
// registered in g (which must not also emit the store's families; the
// Exporter does not). A scrape only reads: expiry is the store's own loop
// (ExpireEvery), and the store's series are written from an index shared
// by all scrapes (scrapeIndex), so a scrape holds no copy of the store and
// no lock while it writes. It serves
// the Prometheus text format 0.0.4 or, when enabled and asked for,
// OpenMetrics text; never protobuf, which a Prometheus server asks for only
// beside the text formats.
func NewHandler(g prometheus.Gatherer, store *metrics.Store, opts HandlerOpts) http.Handler {
	h := &handler{gatherer: g, store: store, opts: opts, formats: []expfmt.Format{expfmt.FmtText}}
	if opts.EnableOpenMetrics {
		h.formats = []expfmt.Format{expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1, expfmt.FmtText}
	}
	if opts.MaxRequestsInFlight > 0 {
		h.inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	return h
}

func (h *handler) logf(format string, args ...any) {
	if h.opts.ErrorLog != nil {
		h.opts.ErrorLog.Println(fmt.Sprintf(format, args...))
	}
}

func (h *handler) ServeHTTP(rsp http.ResponseWriter, req *http.Request) {
	if h.inFlight != nil {
		select {
		case h.inFlight <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			http.Error(rsp, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", h.opts.MaxRequestsInFlight), http.StatusServiceUnavailable)
			return
		}
	}

	if h.opts.WriteTimeout > 0 {
		// Only the net/http server's writer supports it (not a test's).
		// The deadline is the connection's; net/http clears it once the
		// request is finished (TestWriteTimeoutNotInherited).
		_ = http.NewResponseController(rsp).SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
	}
	mfs, err := h.gatherer.Gather()
	if err != nil {
		// As promhttp with HTTPErrorOnError: nothing is written yet.
		h.logf("error gathering metrics: %v", err)
		http.Error(rsp, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	idx := h.store.Index()

	format := expfmt.NegotiateAccept(req.Header, h.formats...)
	om := format.FormatType() == expfmt.TypeOpenMetrics
	hdr := rsp.Header()
	hdr.Add("Vary", "Accept")
	hdr.Set("Content-Type", string(format))
	var out io.Writer = rsp
	if !h.opts.DisableCompression {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(req.Header.Get("Accept-Encoding")) {
			hdr.Set("Content-Encoding", "gzip")
			gz := gzipPool.Get().(*gzip.Writer)
			gz.Reset(rsp)
			defer func() {
				if err := gz.Close(); err != nil {
					h.logf("error closing gzip writer: %v", err)
				}
				gz.Reset(nil)
				gzipPool.Put(gz)
			}()
			out = gz
		}
	}
	bw := bufPool.Get().(*bufio.Writer)
	bw.Reset(out)
	defer func() {
		bw.Reset(nil)
		bufPool.Put(bw)
	}()

	want := nameFilter(req)
	sw := sampleWriter{w: bw, om: om}
	writeStore := func(name string) error {
		if !idx.Any() || (want != nil && !want[name]) {
			return nil
		}
		if name == lastReceivedName {
			return sw.writeFamily(lastReceivedName, lastReceivedHelp, false, idx)
		}
		return sw.writeFamily(trapsReceivedName, trapsReceivedHelp, true, idx)
	}
	// Both families sort before or after each gathered family by name, as
	// the registry would have sorted them.
	pending := []string{lastReceivedName, trapsReceivedName}
	enc := expfmt.NewEncoder(bw, format)
	for _, mf := range mfs {
		for len(pending) > 0 && pending[0] < mf.GetName() {
			if err := writeStore(pending[0]); err != nil {
				h.logf("error writing metric family %s: %v", pending[0], err)
				return
			}
			pending = pending[1:]
		}
		if want != nil && !want[mf.GetName()] {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			h.logf("error encoding and sending metric family: %v", err)
			return
		}
	}
	for _, name := range pending {
		if err := writeStore(name); err != nil {
			h.logf("error writing metric family %s: %v", name, err)
			return
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil { // OpenMetrics' "# EOF"
			h.logf("error encoding and sending metric family: %v", err)
			return
		}
	}
	if err := bw.Flush(); err != nil {
		h.logf("error sending metrics: %v", err)
	}
}

var (
	// gzip at BestSpeed, not promhttp's default level: a gzipped scrape
	// takes a fraction of the time for a few per cent more bytes
	// (BenchmarkScrape100kSeries; BENCHMARKS.md has the figures), and a
	// scrape's CPU is taken from receiving on a busy core.
	gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}
	bufPool  = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}
)

// running returns how many scrapes are in flight (with a limit set).
func (h *handler) running() int { return len(h.inFlight) }

// nameFilter returns the name[] query parameters as promhttp reads them, or
// nil when there are none (everything is served).
func nameFilter(req *http.Request) map[string]bool {
	if req.URL == nil {
		return nil
	}
	names := req.URL.Query()["name[]"]
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: listed
// (or "*") with a q-value above zero.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.TrimSpace(coding)
		if !strings.EqualFold(coding, "gzip") && coding != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// sampleWriter writes the store's families in the Prometheus text format
// 0.0.4 or in OpenMetrics text, as expfmt's MetricFamilyToText and
// MetricFamilyToOpenMetrics write them.
type sampleWriter struct {
	w   *bufio.Writer
	om  bool
	num []byte
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// writeFamily writes one family: counter (the count, named with its
// _total suffix) or gauge (the last-seen time in seconds). The overflow
// series is written once a trap has overflowed.
func (sw *sampleWriter) writeFamily(name, help string, counter bool, idx *metrics.Index) error {
	w := sw.w
	family, typ := name, "gauge"
	if counter {
		typ = "counter"
		if sw.om { // OpenMetrics names the family without _total
			family = strings.TrimSuffix(name, "_total")
		}
	}
	w.WriteString("# HELP ")
	w.WriteString(family)
	w.WriteByte(' ')
	if sw.om {
		valueEscaper.WriteString(w, help)
	} else {
		helpEscaper.WriteString(w, help)
	}
	w.WriteString("\n# TYPE ")
	w.WriteString(family)
	w.WriteByte(' ')
	w.WriteString(typ)
	w.WriteByte('\n')
	for i := range idx.Len() {
		device, trap, count, last, overflow := idx.Entry(i)
		if count == 0 && overflow {
			continue
		}
		w.WriteString(name)
		w.WriteString(`{device="`)
		writeLabelValue(w, device)
		w.WriteString(`",trap="`)
		writeLabelValue(w, trap)
		w.WriteString(`"} `)
		v := float64(count)
		if !counter {
			v = float64(last) / 1e9
		}
		sw.num = appendFloat(sw.num[:0], v, sw.om)
		sw.num = append(sw.num, '\n')
		if _, err := w.Write(sw.num); err != nil {
			return err
		}
	}
	return nil
}

// writeLabelValue escapes \, " and newline, skipping the replacer for the
// usual value that has none of them.
func writeLabelValue(w *bufio.Writer, v string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '"' || c == '\n' {
			valueEscaper.WriteString(w, v)
			return
		}
	}
	w.WriteString(v)
}

// appendFloat formats f as expfmt's writeFloat (text) or
// writeOpenMetricsFloat (OpenMetrics) does.
func appendFloat(b []byte, f float64, om bool) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if om && !slices.ContainsFunc(b[n:], func(c byte) bool { return c == 'e' || c == '.' }) {
		b = append(b, '.', '0')
	}
	return b
}
