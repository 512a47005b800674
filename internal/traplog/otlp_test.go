package traplog

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

const secret = "Bearer s3cr3t-t0ken"

// receiver is an OTLP/HTTP logs receiver that decodes every request with
// the collector's own pdata and answers with answer(n) for the n-th
// request (from 1; nil: 200 with an empty response).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(w http.ResponseWriter, n int)

	mu       sync.Mutex
	requests []plog.Logs
	headers  []http.Header
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, n int)) *receiver {
	r := &receiver{t: t, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/logs" {
		r.t.Errorf("%s %s", req.Method, req.URL.Path)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Error(err)
	}
	er := plogotlp.NewExportRequest()
	if err := er.UnmarshalProto(body); err != nil {
		r.t.Errorf("request does not decode as an ExportLogsServiceRequest: %v", err)
	}
	r.mu.Lock()
	r.requests = append(r.requests, er.Logs())
	r.headers = append(r.headers, req.Header.Clone())
	n := len(r.requests)
	r.mu.Unlock()
	if r.answer != nil {
		r.answer(w, n)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Write(b)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func (r *receiver) logs(i int) (plog.Logs, http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[i], r.headers[i]
}

// fast are options that do not wait long between tries.
func fast(endpoint string) OTLPOptions {
	return OTLPOptions{Endpoint: endpoint, Header: http.Header{"Authorization": {secret}}, InstanceID: "nms1:9412", HostName: "nms1", Version: "1.2.3",
		InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, FinalTimeout: time.Second}
}

// The record goes out as one log record: the trap name its body, the
// trap's time its timestamp, the record's fields its attributes (varbinds
// a list of maps), under the resource of this exporter.
func TestOTLPRequest(t *testing.T) {
	rcv := newReceiver(t, nil)
	h := newHistory(10)
	x, err := NewOTLP(h, fast(rcv.srv.URL), nil) // no path: /v1/logs
	if err != nil {
		t.Fatal(err)
	}
	addLinkDown(t, h, "sw1")
	x.drain(context.Background())
	if rcv.count() != 1 {
		t.Fatalf("%d requests, want 1", rcv.count())
	}
	logs, hdr := rcv.logs(0)
	if got := hdr.Get("Authorization"); got != secret {
		t.Errorf("Authorization %q", got)
	}
	if got := hdr.Get("Content-Type"); got != "application/x-protobuf" {
		t.Errorf("Content-Type %q", got)
	}
	if got := hdr.Get("User-Agent"); got != "snmptrap_exporter/1.2.3" {
		t.Errorf("User-Agent %q", got)
	}
	if logs.ResourceLogs().Len() != 1 || logs.LogRecordCount() != 1 {
		t.Fatalf("%d resources, %d records", logs.ResourceLogs().Len(), logs.LogRecordCount())
	}
	rl := logs.ResourceLogs().At(0)
	wantResource := map[string]any{"service.name": "snmptrap_exporter", "service.instance.id": "nms1:9412", "service.version": "1.2.3", "host.name": "nms1"}
	if got := rl.Resource().Attributes().AsRaw(); !reflect.DeepEqual(got, wantResource) {
		t.Errorf("resource %v, want %v", got, wantResource)
	}
	sl := rl.ScopeLogs().At(0)
	if sl.Scope().Name() != scopeName || sl.Scope().Version() != "1.2.3" {
		t.Errorf("scope %s %s", sl.Scope().Name(), sl.Scope().Version())
	}
	lr := sl.LogRecords().At(0)
	if lr.Body().AsString() != "IF-MIB::linkDown" {
		t.Errorf("body %q", lr.Body().AsString())
	}
	if want := time.Unix(1_700_000_000, 5).UTC(); !lr.Timestamp().AsTime().Equal(want) || !lr.ObservedTimestamp().AsTime().Equal(want) {
		t.Errorf("timestamp %v, observed %v, want %v", lr.Timestamp().AsTime(), lr.ObservedTimestamp().AsTime(), want)
	}
	vb := func(oid, name, typ, value string) map[string]any {
		return map[string]any{"oid": oid, "name": name, "type": typ, "value": value}
	}
	want := map[string]any{
		"seq": int64(1), "listener": "udp://:162", "source": "192.0.2.7:40000", "device": "sw1", "version": "v2c",
		"trap": "IF-MIB::linkDown", "trap_oid": "1.3.6.1.6.3.1.1.5.3",
		"uptime": map[string]any{"ticks": int64(123456789), "seconds": 1234567.89},
		"varbinds": []any{
			vb("1.3.6.1.2.1.1.3.0", "SNMPv2-MIB::sysUpTime.0", "TimeTicks", "(123456789) 14 days, 6:56:07.89"),
			vb("1.3.6.1.6.3.1.1.4.1.0", "SNMPv2-MIB::snmpTrapOID.0", "OBJECT IDENTIFIER", "IF-MIB::linkDown"),
			vb("1.3.6.1.2.1.2.2.1.1.2", "IF-MIB::ifIndex.2", "INTEGER", "2"),
			vb("1.3.6.1.2.1.2.2.1.7.2", "IF-MIB::ifAdminStatus.2", "INTEGER", "down(2)"),
			vb("1.3.6.1.2.1.2.2.1.8.2", "IF-MIB::ifOperStatus.2", "INTEGER", "down(2)"),
			vb("1.3.6.1.2.1.2.2.1.2.2", "IF-MIB::ifDescr.2", "OCTET STRING", `"GigabitEthernet0/1"`),
		},
		"changes": []any{map[string]any{"series": `snmptrap_interface_up{device="sw1",ifIndex="2"}`, "from": 1.0, "to": 0.0}},
	}
	if got := lr.Attributes().AsRaw(); !reflect.DeepEqual(got, want) {
		t.Errorf("attributes\n got %#v\nwant %#v", got, want)
	}
	if s := x.Stats(); s != (Stats{Output: OutputOTLP, Written: 1}) {
		t.Errorf("stats %+v", s)
	}
}

// Records go in batches of at most BatchSize, oldest first, once each.
func TestOTLPBatches(t *testing.T) {
	rcv := newReceiver(t, nil)
	h := newHistory(2000)
	o := fast(rcv.srv.URL + "/v1/logs")
	o.BatchSize = 100
	x, err := NewOTLP(h, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		addLinkDown(t, h, fmt.Sprint("sw", i))
	}
	x.drain(context.Background())
	x.drain(context.Background())
	var sizes []int
	next := 0
	for i := range rcv.count() {
		logs, _ := rcv.logs(i)
		sizes = append(sizes, logs.LogRecordCount())
		recs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for j := range recs.Len() {
			d, _ := recs.At(j).Attributes().Get("device")
			if d.AsString() != fmt.Sprint("sw", next) {
				t.Fatalf("record %d is %s", next, d.AsString())
			}
			next++
		}
	}
	if !reflect.DeepEqual(sizes, []int{100, 100, 50}) {
		t.Errorf("batches %v", sizes)
	}
	if s := x.Stats(); s.Written != 250 {
		t.Errorf("stats %+v", s)
	}
}

// Run sends a trap within about a second, and what is left when its
// context ends.
func TestOTLPRun(t *testing.T) {
	rcv := newReceiver(t, nil)
	h := newHistory(10)
	x, err := NewOTLP(h, fast(rcv.srv.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); x.Run(ctx) }()
	addLinkDown(t, h, "sw1")
	begin := time.Now()
	testfixtures.WaitFor(t, "the first request", func() bool { return rcv.count() == 1 })
	if d := time.Since(begin); d > 1500*time.Millisecond {
		t.Errorf("sent after %v", d)
	}
	addLinkDown(t, h, "sw2")
	cancel()
	<-done
	if s := x.Stats(); s.Written != 2 {
		t.Errorf("after the end: %+v", s)
	}
}

// 503, then 200: the batch is sent again and counts as written once.
func TestOTLPRetry(t *testing.T) {
	rcv := newReceiver(t, func(w http.ResponseWriter, n int) {
		if n == 1 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}
	})
	h := newHistory(10)
	var logs syncBuffer
	x, err := NewOTLP(h, fast(rcv.srv.URL), log.NewLogfmtLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	addLinkDown(t, h, "sw1")
	x.drain(context.Background())
	if rcv.count() != 2 {
		t.Errorf("%d requests, want 2", rcv.count())
	}
	first, _ := rcv.logs(0)
	second, hdr := rcv.logs(1)
	if first.LogRecordCount() != 1 || second.LogRecordCount() != 1 || hdr.Get("Authorization") != secret {
		t.Error("the retry is not the same request")
	}
	if s := x.Stats(); s != (Stats{Output: OutputOTLP, Written: 1}) {
		t.Errorf("stats %+v", s)
	}
}

// A receiver that keeps failing gets MaxAttempts tries; one that says the
// request is bad gets one. Either way the batch is failed, and the log
// names neither the header's secret nor the URL's password.
func TestOTLPFailsForGood(t *testing.T) {
	for _, tc := range []struct {
		status   int
		attempts int
	}{
		{http.StatusServiceUnavailable, 3},
		{http.StatusTooManyRequests, 3},
		{http.StatusBadGateway, 3},
		{http.StatusBadRequest, 1},
		{http.StatusUnauthorized, 1},
		{http.StatusNotImplemented, 1},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			rcv := newReceiver(t, func(w http.ResponseWriter, _ int) {
				http.Error(w, "no "+http.StatusText(tc.status), tc.status)
			})
			h := newHistory(10)
			var logs syncBuffer
			o := fast(strings.Replace(rcv.srv.URL, "http://", "http://user:hunter2@", 1))
			o.MaxAttempts = 3
			x, err := NewOTLP(h, o, log.NewLogfmtLogger(&logs))
			if err != nil {
				t.Fatal(err)
			}
			addLinkDown(t, h, "sw1")
			addLinkDown(t, h, "sw2")
			x.drain(context.Background())
			if rcv.count() != tc.attempts {
				t.Errorf("%d requests, want %d", rcv.count(), tc.attempts)
			}
			if s := x.Stats(); s != (Stats{Output: OutputOTLP, Failed: 2}) {
				t.Errorf("stats %+v", s)
			}
			out := logs.String()
			if !strings.Contains(out, "OTLP export failed") || !strings.Contains(out, fmt.Sprint(tc.status)) || !strings.Contains(out, "no "+http.StatusText(tc.status)) {
				t.Errorf("log does not say why:\n%s", out)
			}
			if strings.Contains(out, "s3cr3t") || strings.Contains(out, "hunter2") {
				t.Errorf("a secret is in the log:\n%s", out)
			}
		})
	}
}

// A receiver that cannot be reached is tried MaxAttempts times.
func TestOTLPConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h := newHistory(10)
	var logs syncBuffer
	o := fast("http://user:hunter2@" + addr)
	o.MaxAttempts = 2
	x, err := NewOTLP(h, o, log.NewLogfmtLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	addLinkDown(t, h, "sw1")
	x.drain(context.Background())
	if s := x.Stats(); s != (Stats{Output: OutputOTLP, Failed: 1}) {
		t.Errorf("stats %+v", s)
	}
	out := logs.String()
	if !strings.Contains(out, "attempts=2") || !strings.Contains(out, "connection refused") || strings.Contains(out, "hunter2") || strings.Contains(out, "s3cr3t") {
		t.Errorf("log:\n%s", out)
	}
}

// A partial success counts the rejected records as failed.
func TestOTLPPartialSuccess(t *testing.T) {
	rcv := newReceiver(t, func(w http.ResponseWriter, _ int) {
		resp := plogotlp.NewExportResponse()
		resp.PartialSuccess().SetRejectedLogRecords(1)
		resp.PartialSuccess().SetErrorMessage("timestamp too old")
		b, _ := resp.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(b)
	})
	h := newHistory(10)
	var logs syncBuffer
	x, err := NewOTLP(h, fast(rcv.srv.URL), log.NewLogfmtLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		addLinkDown(t, h, "sw1")
	}
	x.drain(context.Background())
	if s := x.Stats(); s != (Stats{Output: OutputOTLP, Written: 2, Failed: 1}) {
		t.Errorf("stats %+v", s)
	}
	if !strings.Contains(logs.String(), "timestamp too old") {
		t.Errorf("log:\n%s", logs.String())
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"http://collector:4318", "http://collector:4318/v1/logs", ""},
		{"https://collector:4318/", "https://collector:4318/v1/logs", ""},
		{"http://loki:3100/otlp/v1/logs", "http://loki:3100/otlp/v1/logs", ""},
		{"http://u:pw@x/v1/logs#frag", "http://u:pw@x/v1/logs", ""},
		{"collector:4318", "", "must be an http:// or https:// URL"},
		{"127.0.0.1:4318", "", "must be an http:// or https:// URL"},
		{"grpc://u:pw@collector:4317", "", "grpc://u:xxxxx@collector:4317"},
		{"http:///v1/logs", "", "no host"},
		{"http://u:pw@x:bad/", "", "invalid port"},
	} {
		got, err := ParseEndpoint(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseEndpoint(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("ParseEndpoint(%q): the error shows the password: %v", tc.in, err)
		}
	}
}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct{ in, name, value, err string }{
		{"Authorization=Bearer abc=", "Authorization", "Bearer abc=", ""},
		{"X-Scope-OrgID=tenant1", "X-Scope-OrgID", "tenant1", ""},
		{"Authorization: Bearer s3cr3t", "", "", "must be Name=Value"},
		{"Bad Name=s3cr3t", "", "", "not a valid header name"},
		{"X-Token=s3cr3t\r\nX-Other: 1", "", "", "X-Token: the value has characters"},
	} {
		name, value, err := ParseHeader(tc.in)
		if name != tc.name || value != tc.value || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseHeader(%q) = %q, %q, %v; want %q, %q, %q", tc.in, name, value, err, tc.name, tc.value, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseHeader(%q): the error shows the value: %v", tc.in, err)
		}
	}
}
