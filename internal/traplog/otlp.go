package traplog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"golang.org/x/net/http/httpguts"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// The OTLP output builds its export requests with the official OTLP
// protobuf bindings (go.opentelemetry.io/proto/otlp: logs/v1, common/v1,
// resource/v1) and posts them itself, rather than using the OpenTelemetry
// SDK (otlploghttp with an sdk/log processor) or the collector's pdata:
//   - the ring is the queue: the SDK's batch processor would add a second
//     queue that drops on its own, out of sight of the records_total
//     counter, and its records carry a resource only when emitted through
//     a LoggerProvider; here each batch's fate is known and counted;
//   - size: the SDK and exporter add 5.3 MB to the binary and fifteen
//     modules, pdata's plogotlp 4.0 MB (both pull in gRPC, which OTLP/HTTP
//     does not need); the three binding packages add 0.1 MB, as the
//     protobuf runtime is in the binary already (client_golang).
//
// The request is a logs/v1 LogsData, whose encoding is that of the
// collector service's ExportLogsServiceRequest (both are field 1, repeated
// ResourceLogs; logs.proto says the two must change together), without
// importing the service package and its gRPC stubs. The tests decode
// what is sent with the collector's own pdata (plogotlp).

// OTLP defaults.
const (
	DefaultOTLPBatchSize      = 512
	DefaultOTLPBatchDelay     = time.Second
	DefaultOTLPTimeout        = 10 * time.Second
	DefaultOTLPMaxAttempts    = 5
	DefaultOTLPInitialBackoff = time.Second
	DefaultOTLPMaxBackoff     = 16 * time.Second
	DefaultOTLPFinalTimeout   = 5 * time.Second
	// maxRetryAfter bounds the wait a receiver's Retry-After asks for.
	maxRetryAfter = 30 * time.Second
	// maxResponse is the most of a response body read.
	maxResponse = 64 << 10
	// logsPath is the OTLP/HTTP logs path, used when the endpoint has none.
	logsPath = "/v1/logs"
)

// OTLPOptions configure the OTLP output.
type OTLPOptions struct {
	// Endpoint is the URL export requests are posted to (ParseEndpoint);
	// https uses TLS with the system's roots.
	Endpoint string
	// Header is sent with every request (authentication). It is never
	// logged.
	Header http.Header
	// InstanceID, HostName and Version are the resource's
	// service.instance.id, host.name and service.version.
	InstanceID, HostName, Version string

	// The rest have defaults (the Default* constants) when zero.
	// BatchSize is the most records in one request; a batch goes when it
	// is full or BatchDelay after the last one.
	BatchSize  int
	BatchDelay time.Duration
	// Timeout bounds one request.
	Timeout time.Duration
	// MaxAttempts bounds the tries of a batch that fails with 429, a 5xx
	// status or a connection error, waiting InitialBackoff, then twice as
	// long each time (jittered, at most MaxBackoff; longer if the receiver
	// asks with Retry-After, up to 30 s). A batch that fails for good
	// counts as failed.
	MaxAttempts                int
	InitialBackoff, MaxBackoff time.Duration
	// FinalTimeout bounds the sending of what is left when Run's context
	// ends.
	FinalTimeout time.Duration
	// Client sends the requests (nil: its own, with Timeout).
	Client *http.Client
}

// ParseEndpoint checks an --trap.otlp.endpoint URL and returns the URL to
// post to: http or https, a host, and the path /v1/logs when it has none
// (so that a collector's base URL, http://collector:4318, works as is).
// Its errors never show a password in the URL.
func ParseEndpoint(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		return "", fmt.Errorf("--trap.otlp.endpoint must be an http:// or https:// URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("--trap.otlp.endpoint %s must be an http:// or https:// URL", u.Redacted())
	}
	if u.Host == "" {
		return "", fmt.Errorf("--trap.otlp.endpoint %s: no host", u.Redacted())
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = logsPath
	}
	u.Fragment = ""
	return u.String(), nil
}

// ParseHeader checks an --trap.otlp.header value, Name=Value. Its errors
// never show the value, which is often a secret.
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	switch {
	case !ok:
		return "", "", errors.New("--trap.otlp.header must be Name=Value (the value is not shown)")
	case !httpguts.ValidHeaderFieldName(name):
		return "", "", fmt.Errorf("--trap.otlp.header %q: not a valid header name", name)
	case !httpguts.ValidHeaderFieldValue(value):
		return "", "", fmt.Errorf("--trap.otlp.header %s: the value has characters a header cannot hold (the value is not shown)", name)
	}
	return name, value, nil
}

// OTLP sends records as OTLP log records over HTTP (protobuf), batched,
// from its own goroutine (Run). A receiver that is down or slow makes it
// fall behind the ring and count records dropped or failed; it never
// slows receiving.
type OTLP struct {
	opts     OTLPOptions
	endpoint string // redacted, for logs
	logger   log.Logger
	follow   follower
	counts   counts
	client   *http.Client
	encoder  requestEncoder
	bodyCap  int // the size of the last request, to size the next
	ua       string

	// Owned by the Run goroutine.
	lastSend time.Time
	failing  bool
}

// NewOTLP returns the OTLP output of history's records after its newest
// one.
func NewOTLP(history *traps.History, o OTLPOptions, logger log.Logger) (*OTLP, error) {
	endpoint, err := ParseEndpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	o.Endpoint = endpoint
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDuration := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.BatchSize, DefaultOTLPBatchSize)
	def(&o.MaxAttempts, DefaultOTLPMaxAttempts)
	defDuration(&o.BatchDelay, DefaultOTLPBatchDelay)
	defDuration(&o.Timeout, DefaultOTLPTimeout)
	defDuration(&o.InitialBackoff, DefaultOTLPInitialBackoff)
	defDuration(&o.MaxBackoff, DefaultOTLPMaxBackoff)
	defDuration(&o.FinalTimeout, DefaultOTLPFinalTimeout)
	if logger == nil {
		logger = log.NewNopLogger()
	}
	x := &OTLP{opts: o, logger: logger, client: o.Client, ua: "snmptrap_exporter/" + o.Version}
	u, _ := url.Parse(endpoint)
	x.endpoint = u.Redacted()
	if x.client == nil {
		x.client = &http.Client{Timeout: o.Timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	enc, err := newRequestEncoder(newResourceLogs(o.InstanceID, o.HostName, o.Version))
	if err != nil {
		return nil, fmt.Errorf("encoding the OTLP resource: %w", err)
	}
	x.encoder = enc
	x.follow = follower{history: history, after: history.LastSeq(), counts: &x.counts}
	return x, nil
}

// Stats returns the output's counts.
func (x *OTLP) Stats() Stats { return x.counts.stats(OutputOTLP) }

// Run sends batches until ctx ends, then sends what is left within
// FinalTimeout (a request under way when ctx ends has that long too).
func (x *OTLP) Run(ctx context.Context) {
	x.follow.done = ctx.Done()
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(x.opts.FinalTimeout, cancel) })
	defer stop()
	t := time.NewTimer(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			x.drain(sendCtx)
			return
		case now := <-t.C:
			if n := x.follow.pending(); n >= uint64(x.opts.BatchSize) || (n > 0 && now.Sub(x.lastSend) >= x.opts.BatchDelay) {
				x.drain(sendCtx)
			}
			t.Reset(x.follow.interval())
		}
	}
}

// drain sends the records kept since the last batch, in batches.
func (x *OTLP) drain(ctx context.Context) {
	until := x.follow.history.LastSeq()
	for {
		recs := x.follow.next(x.opts.BatchSize, until)
		if len(recs) == 0 {
			return
		}
		x.send(ctx, recs)
		x.lastSend = time.Now()
		if len(recs) < x.opts.BatchSize {
			return
		}
	}
}

// send posts one batch, trying again while that may help, and counts it.
func (x *OTLP) send(ctx context.Context, recs []traps.Record) {
	// A new buffer for each request: the HTTP transport may still hold
	// the last one when the answer is in.
	body := x.encoder.appendRequest(make([]byte, 0, x.bodyCap+x.bodyCap/4), recs)
	x.bodyCap = len(body)
	for attempt := 1; ; attempt++ {
		res := x.post(ctx, body)
		if res.err == nil {
			n := int64(len(recs))
			rejected := min(max(res.rejected, 0), n)
			x.counts.written.Add(uint64(n - rejected))
			x.counts.failed.Add(uint64(rejected))
			if rejected > 0 {
				x.problem("the OTLP receiver rejected some log records", "endpoint", x.endpoint, "rejected", rejected, "records", n, "message", res.message)
			} else if x.failing {
				x.failing = false
				level.Info(x.logger).Log("msg", "OTLP export works again", "endpoint", x.endpoint)
			}
			return
		}
		if !res.retry || attempt >= x.opts.MaxAttempts || ctx.Err() != nil {
			x.counts.failed.Add(uint64(len(recs)))
			x.problem("OTLP export failed; the batch is counted as failed", "endpoint", x.endpoint, "records", len(recs), "attempts", attempt, "err", res.err)
			return
		}
		wait := x.backoff(attempt)
		if res.retryAfter > wait {
			wait = min(res.retryAfter, maxRetryAfter)
		}
		level.Debug(x.logger).Log("msg", "OTLP export failed; trying again", "endpoint", x.endpoint, "attempt", attempt, "wait", wait, "err", res.err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// backoff is the wait after the attempt-th failure: InitialBackoff
// doubled each time up to MaxBackoff, between half of that and all of it.
func (x *OTLP) backoff(attempt int) time.Duration {
	d := x.opts.InitialBackoff << min(attempt-1, 30)
	if d <= 0 || d > x.opts.MaxBackoff {
		d = x.opts.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// problem logs the first problem after a success at warning level, and
// later ones at debug, so that a receiver that is down does not fill the
// log.
func (x *OTLP) problem(msg string, kv ...any) {
	lvl := level.Debug
	if !x.failing {
		x.failing = true
		lvl = level.Warn
	}
	lvl(x.logger).Log(append([]any{"msg", msg}, kv...)...)
}

// postResult is what one request came to: err nil for a 2xx answer.
type postResult struct {
	err        error
	retry      bool
	retryAfter time.Duration
	// rejected and message are a partial success's.
	rejected int64
	message  string
}

// post sends one request.
func (x *OTLP) post(ctx context.Context, body []byte) postResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.opts.Endpoint, bytes.NewReader(body))
	if err != nil {
		return postResult{err: err}
	}
	for name, values := range x.opts.Header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", x.ua)
	resp, err := x.client.Do(req)
	if err != nil {
		// A connection error or timeout (the client's errors name the
		// URL without its password, and never the headers).
		return postResult{err: err, retry: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse)) // so the connection is reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		res := postResult{}
		if isProtobuf(resp) {
			// ExportLogsServiceResponse: partial_success (1) holds
			// rejected_log_records (1) and error_message (2).
			if ps, ok := protoField(b, 1); ok {
				n, _ := protoVarint(ps, 1)
				res.rejected = int64(n)
				res.message = printable(protoString(ps, 2))
			}
		}
		return res
	}
	res := postResult{
		err:   fmt.Errorf("HTTP status %s", resp.Status),
		retry: resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && resp.StatusCode != http.StatusHTTPVersionNotSupported),
	}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
		res.retryAfter = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(resp.Header.Get("Retry-After")); err == nil {
		res.retryAfter = time.Until(t)
	}
	// The body is a google.rpc.Status, whose message (2) says why.
	msg := ""
	if isProtobuf(resp) {
		msg = protoString(b, 2)
	} else if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		msg = string(b)
	}
	if msg = printable(msg); msg != "" {
		res.err = fmt.Errorf("%w: %s", res.err, msg)
	}
	return res
}

func isProtobuf(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf")
}

// printable keeps up to 256 bytes of a receiver's message, on one line.
func printable(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if len(s) > 256 {
		s = s[:256] + "…"
	}
	return s
}

// protoField returns the bytes of the first length-delimited field num of
// a protobuf message.
func protoField(b []byte, num protowire.Number) ([]byte, bool) {
	b, ok := protoFind(b, num, protowire.BytesType)
	if !ok {
		return nil, false
	}
	v, l := protowire.ConsumeBytes(b)
	return v, l >= 0
}

// protoVarint returns the first varint field num of a protobuf message.
func protoVarint(b []byte, num protowire.Number) (uint64, bool) {
	b, ok := protoFind(b, num, protowire.VarintType)
	if !ok {
		return 0, false
	}
	v, l := protowire.ConsumeVarint(b)
	return v, l >= 0
}

// protoFind returns the message from the value of the first field num of
// type typ on.
func protoFind(b []byte, num protowire.Number, typ protowire.Type) ([]byte, bool) {
	for len(b) > 0 {
		n, t, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		if n == num && t == typ {
			return b, true
		}
		l = protowire.ConsumeFieldValue(n, t, b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
	}
	return nil, false
}

func protoString(b []byte, num protowire.Number) string {
	v, _ := protoField(b, num)
	return string(v)
}
