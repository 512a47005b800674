package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// trapRecord is the part of a trap record the tests read, from a trap log
// line or from /api/v1/traps.
type trapRecord struct {
	Seq      uint64 `json:"seq"`
	Device   string `json:"device"`
	Trap     string `json:"trap"`
	Varbinds []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"varbinds"`
	Changes []struct {
		Series string   `json:"series"`
		From   *float64 `json:"from"`
		To     float64  `json:"to"`
	} `json:"changes"`
}

// readLog returns the lines of a trap log, each parsed; a line that does
// not parse fails the test.
func readLog(t *testing.T, path string) []trapRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []trapRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l trapRecord
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// waitLines waits until the trap log at path has n lines and returns
// them, and how long that took.
func waitLines(t *testing.T, path string, n int) ([]trapRecord, time.Duration) {
	t.Helper()
	begin := time.Now()
	for {
		lines := readLog(t, path)
		if len(lines) >= n {
			return lines, time.Since(begin)
		}
		if time.Since(begin) > 10*time.Second {
			t.Fatalf("%s has %d lines, want %d", path, len(lines), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// otlpReceiver is an OTLP/HTTP logs receiver decoding with the
// collector's own pdata.
type otlpReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	logs    []plog.Logs
	headers []http.Header
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		er := plogotlp.NewExportRequest()
		if err := er.UnmarshalProto(body); err != nil || req.URL.Path != "/v1/logs" {
			t.Errorf("OTLP request to %s: %v", req.URL.Path, err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.logs = append(r.logs, er.Logs())
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		b, _ := plogotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(b)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// records returns every log record received, with its resource's
// attributes and the request's headers.
func (r *otlpReceiver) records() (out []plog.LogRecord, resources []map[string]any, headers []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, l := range r.logs {
		for j := range l.ResourceLogs().Len() {
			rl := l.ResourceLogs().At(j)
			for k := range rl.ScopeLogs().Len() {
				lrs := rl.ScopeLogs().At(k).LogRecords()
				for m := range lrs.Len() {
					out = append(out, lrs.At(m))
					resources = append(resources, rl.Resource().Attributes().AsRaw())
					headers = append(headers, r.headers[i])
				}
			}
		}
	}
	return out, resources, headers
}

// TestTrapLog: net-snmp's linkUp then linkDown are in the trap log within
// a second, with their rendered varbinds and the state change they made
// (snmptrap_interface_up 1 → 0); after logrotate's rename and a SIGHUP (and
// again after a POST /-/reload) the next trap goes to a new file at the
// path; an OTLP receiver gets every record with its attributes, its
// resource and the header given.
func TestTrapLog(t *testing.T) {
	need(t)
	rcv := newOTLPReceiver(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "trap.log")
	p := freePort(t)
	const secret = "Bearer e2e-s3cr3t"
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p), "--trap.log.file="+path,
		"--trap.otlp.endpoint="+rcv.srv.URL, "--trap.otlp.header=Authorization="+secret, "--trap.otlp.instance-id=e2e:1")
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)
	const ifOper2, ifIndex3 = "1.3.6.1.2.1.2.2.1.8.2", "1.3.6.1.2.1.2.2.1.1.3"

	// The metric is there, at 0, before any trap.
	e.waitMetric(t, map[string]float64{
		`snmptrap_trap_log_records_total{output="file",result="written"}`: 0,
		`snmptrap_trap_log_records_total{output="otlp",result="written"}`: 0,
	})

	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkUp, ifIndex2, "i", "2", ifOper2, "i", "1")
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "2", ifOper2, "i", "2")
	lines, took := waitLines(t, path, 2)
	if took > time.Second {
		t.Errorf("the lines took %v to appear, want within a second", took)
	}
	down := lines[1]
	if down.Device != "127.0.0.1" || down.Trap != "IF-MIB::linkDown" {
		t.Fatalf("second line: %+v", down)
	}
	vbs := map[string]string{}
	for _, vb := range down.Varbinds {
		vbs[vb.Name] = vb.Value
	}
	if vbs["IF-MIB::ifIndex.2"] != "2" || vbs["IF-MIB::ifOperStatus.2"] != "down(2)" || vbs["SNMPv2-MIB::snmpTrapOID.0"] != "IF-MIB::linkDown" {
		t.Errorf("linkDown varbinds: %v", vbs)
	}
	const series = `snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`
	if len(down.Changes) != 1 || down.Changes[0].Series != series || down.Changes[0].From == nil || *down.Changes[0].From != 1 || down.Changes[0].To != 0 {
		t.Errorf("linkDown changes: %+v, want %s 1 → 0", down.Changes, series)
	}

	// logrotate without copytruncate: rename, then SIGHUP.
	rotate := func(to string, signal func()) {
		t.Helper()
		if err := os.Rename(path, to); err != nil {
			t.Fatal(err)
		}
		signal()
		e.waitLog(t, "trap log reopened", 10*time.Second)
	}
	rotate(path+".1", func() {
		if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	})
	// Interface 3: the same linkUp again would be collapsed into the
	// first one's summary (--trap.dedup.window), written when its window
	// closes.
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkUp, ifIndex3, "i", "3")
	if lines, _ := waitLines(t, path, 1); len(lines) != 1 || lines[0].Trap != "IF-MIB::linkUp" {
		t.Errorf("new file after SIGHUP: %+v", lines)
	}
	if old := readLog(t, path+".1"); len(old) != 2 {
		t.Errorf("rotated file has %d lines, want 2", len(old))
	}
	// And POST /-/reload reopens too.
	rotate(path+".2", func() {
		if code, body := e.request(t, http.MethodPost, "/-/reload"); code != http.StatusOK {
			t.Fatalf("POST /-/reload: %d %s", code, body)
		}
	})
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex3, "i", "3")
	if lines, _ := waitLines(t, path, 1); len(lines) != 1 || lines[0].Trap != "IF-MIB::linkDown" {
		t.Errorf("new file after POST /-/reload: %+v", lines)
	}

	e.waitMetric(t, map[string]float64{
		`snmptrap_trap_log_records_total{output="file",result="written"}`: 4,
		`snmptrap_trap_log_records_total{output="file",result="dropped"}`: 0,
		`snmptrap_trap_log_records_total{output="file",result="failed"}`:  0,
		`snmptrap_trap_log_records_total{output="otlp",result="written"}`: 4,
		`snmptrap_trap_log_records_total{output="otlp",result="dropped"}`: 0,
		`snmptrap_trap_log_records_total{output="otlp",result="failed"}`:  0,
	})
	recs, resources, headers := rcv.records()
	if len(recs) != 4 {
		t.Fatalf("OTLP receiver got %d records, want 4", len(recs))
	}
	host, _ := os.Hostname()
	for i, r := range resources {
		if r["service.name"] != "snmptrap_exporter" || r["service.instance.id"] != "e2e:1" || r["host.name"] != host {
			t.Errorf("record %d resource %v", i, r)
		}
		if headers[i].Get("Authorization") != secret {
			t.Errorf("record %d came without the header", i)
		}
	}
	lr := recs[1]
	attrs := lr.Attributes().AsRaw()
	if lr.Body().AsString() != "IF-MIB::linkDown" || attrs["device"] != "127.0.0.1" || attrs["trap"] != "IF-MIB::linkDown" || attrs["seq"] != int64(down.Seq) {
		t.Errorf("linkDown log record: body %q, attributes %v", lr.Body().AsString(), attrs)
	}
	var names []string
	varbinds, _ := attrs["varbinds"].([]any)
	for _, v := range varbinds {
		m, _ := v.(map[string]any)
		names = append(names, fmt.Sprint(m["name"], "=", m["value"]))
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "IF-MIB::ifIndex.2=2 IF-MIB::ifOperStatus.2=down(2)") {
		t.Errorf("linkDown varbinds over OTLP: %s", got)
	}
	changes, _ := attrs["changes"].([]any)
	if len(changes) != 1 || fmt.Sprint(changes[0]) != fmt.Sprintf("map[from:1 series:%s to:0]", series) {
		t.Errorf("linkDown changes over OTLP: %v", changes)
	}
	if strings.Contains(e.stderr.String(), "e2e-s3cr3t") {
		t.Error("the OTLP header's value is in the log")
	}
}

// TestTrapLogFlags: an output with no history to read, a header that is
// not Name=Value and an endpoint that is not http(s) stop the start with
// exit code 2 and a line saying why (never the header's value); a log file
// that cannot be opened stops it with exit code 1.
func TestTrapLogFlags(t *testing.T) {
	need(t)
	base := []string{"--web.listen-address=127.0.0.1:0", "--storage.path=" + t.TempDir(), fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", freePort(t))}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--trap.log.file=" + filepath.Join(t.TempDir(), "trap.log"), "--trap.history.size=0"}, 2, "--trap.history.size must not be 0"},
		{[]string{"--trap.otlp.endpoint=http://127.0.0.1:1", "--trap.history.size=0"}, 2, "--trap.history.size must not be 0"},
		{[]string{"--trap.otlp.endpoint=http://127.0.0.1:1", "--trap.otlp.header=Authorization: Bearer s3cr3t"}, 2, "--trap.otlp.header must be Name=Value"},
		{[]string{"--trap.otlp.endpoint=127.0.0.1:4318"}, 2, "must be an http:// or https:// URL"},
		{[]string{"--trap.otlp.header=X-Scope-OrgID=t1"}, 2, "need --trap.otlp.endpoint"},
		{[]string{"--trap.log.file=" + filepath.Join(t.TempDir(), "missing", "trap.log")}, 1, "cannot open the trap log"},
	} {
		out, code := runBinary(t, binary, nil, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q; output:\n%s", tc.args, code, tc.code, tc.want, out)
		}
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%v: the header's value is in the output:\n%s", tc.args, out)
		}
	}
}
