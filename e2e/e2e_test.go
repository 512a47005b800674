// Package e2e runs the real binary against net-snmp's own snmptrap and
// snmpinform and asserts exact /metrics values. It runs only when
// SNMPTRAP_E2E=1 (the README's test command sets it and installs the
// tools); then a missing tool is a failure, not a skip.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var binary string

func TestMain(m *testing.M) {
	if os.Getenv("SNMPTRAP_E2E") != "1" {
		fmt.Println("e2e: SNMPTRAP_E2E is not 1; skipping the end-to-end suite")
		os.Exit(m.Run())
	}
	if b := os.Getenv(binaryEnv); b != "" {
		// A test run again in a network namespace of its own (inNetns):
		// the binary is built already.
		binary = b
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "snmptrap-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "snmptrap_exporter")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func need(t *testing.T) {
	t.Helper()
	if binary == "" {
		t.Skip("SNMPTRAP_E2E is not 1")
	}
	for _, tool := range []string{"snmptrap", "snmpinform", "promtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: the README's test command installs it (Debian packages snmp and prometheus)", tool)
		}
	}
}

// freePort returns a port free for both UDP and TCP on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		l.Close()
		if err == nil {
			u.Close()
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// exporter is a running binary.
type exporter struct {
	t      *testing.T
	cmd    *exec.Cmd
	web    string
	stderr *syncBuffer
	done   chan error
}

func start(t *testing.T, args ...string) *exporter {
	t.Helper()
	e := launch(t, args...)
	e.waitReady(t, 10*time.Second)
	return e
}

// launch starts the binary without waiting for it to be ready.
func launch(t *testing.T, args ...string) *exporter {
	t.Helper()
	web := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e := &exporter{t: t, web: web, stderr: &syncBuffer{}, done: make(chan error, 1)}
	base := []string{"--web.listen-address=" + web, "--log.level=debug"}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--storage.path=") }) {
		base = append(base, "--storage.path="+t.TempDir()) // the flag cannot be repeated
	}
	e.cmd = exec.Command(binary, append(base, args...)...)
	e.cmd.Stderr = e.stderr
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { e.done <- e.cmd.Wait() }()
	t.Cleanup(e.stop)
	return e
}

// waitReady waits until /-/ready answers 200 and returns how long that
// took from the call.
func (e *exporter) waitReady(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	deadline := begin.Add(within)
	for {
		resp, err := http.Get("http://" + e.web + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(begin)
			}
		}
		select {
		case err := <-e.done:
			e.done <- err // for stop and terminate
			t.Fatalf("exporter exited before it was ready: %v\n%s", err, e.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not ready after %v\n%s", within, e.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *exporter) stop() {
	if e.cmd.ProcessState != nil {
		return
	}
	e.cmd.Process.Signal(os.Interrupt)
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		e.cmd.Process.Kill()
		<-e.done
		e.t.Errorf("exporter did not stop within 10s of SIGINT")
	}
	if e.t.Failed() {
		e.t.Logf("exporter log:\n%s", e.stderr)
	}
}

func (e *exporter) scrape(t *testing.T) []byte {
	t.Helper()
	resp, err := http.Get("http://" + e.web + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// samples parses an exposition into "name{labels}" -> value, with labels in
// sorted order as the text format writes them.
func samples(t *testing.T, text []byte) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			out[key] = value(mf.GetType(), m)
		}
	}
	return out
}

func value(typ dto.MetricType, m *dto.Metric) float64 {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// waitMetric polls /metrics until every wanted sample has its value.
func (e *exporter) waitMetric(t *testing.T, want map[string]float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := samples(t, e.scrape(t))
		var diff []string
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				diff = append(diff, fmt.Sprintf("%s = %v (present %v), want %v", k, g, ok, v))
			}
		}
		if len(diff) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never matched:\n%s", strings.Join(diff, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// netsnmp runs a net-snmp command with MIB loading off (numeric OIDs) and
// its persistent state in a temporary directory.
func netsnmp(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append([]string{"-M", "/dev/null", "-m", ""}, args...)...)
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+t.TempDir(), "SNMPCONFPATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := netsnmp(t, name, args...); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

const (
	linkDown = "1.3.6.1.6.3.1.1.5.3"
	linkUp   = "1.3.6.1.6.3.1.1.5.4"
	ifIndex2 = "1.3.6.1.2.1.2.2.1.1.2"
)

// TestNetSNMP sends every kind of trap and inform net-snmp makes, over UDP
// and TCP, to a listener set like the defaults (162 and 412 on high
// ports), and checks every counter exactly.
func TestNetSNMP(t *testing.T) {
	need(t)
	p162, p412 := freePort(t), freePort(t)
	u162 := fmt.Sprintf("udp://127.0.0.1:%d", p162)
	u412 := fmt.Sprintf("udp://0.0.0.0:%d", p412) // wildcard: replies must use packet info
	t412 := fmt.Sprintf("tcp://127.0.0.1:%d", p412)
	e := start(t, "--trap.listen-address="+u162, "--trap.listen-address="+u412, "--trap.listen-address="+t412)

	to162 := fmt.Sprintf("udp:127.0.0.1:%d", p162)
	to412 := fmt.Sprintf("udp:127.0.0.1:%d", p412)
	to412b := fmt.Sprintf("udp:127.0.0.2:%d", p412) // a second loopback address on the wildcard listener
	tcp412 := fmt.Sprintf("tcp:127.0.0.1:%d", p412)

	// v1 generic linkDown: RFC 3584 maps it to IF-MIB::linkDown.
	run(t, "snmptrap", "-v", "1", "-c", "public", to162, "1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", "2", "0", "", ifIndex2, "i", "2")
	// v2c linkUp, twice.
	run(t, "snmptrap", "-v", "2c", "-c", "public", to162, "", linkUp, ifIndex2, "i", "2")
	run(t, "snmptrap", "-v", "2c", "-c", "public", to162, "", linkUp, ifIndex2, "i", "2")
	// SynOptics v1 enterprise-specific trap on 412: s5CtrNewUnitDown is
	// specific 4 of s5ChaTrap (RFC 3584: s5ChaTrap.0.4).
	run(t, "snmptrap", "-v", "1", "-c", "public", to412, "1.3.6.1.4.1.45.1.6.2.4", "127.0.0.1", "6", "4", "")
	// Informs over UDP on the wildcard listener, to two addresses, and
	// over TCP: snmpinform exits 0 only when acknowledged.
	run(t, "snmpinform", "-v", "2c", "-c", "public", "-t", "2", "-r", "1", to412, "", linkDown, ifIndex2, "i", "2")
	run(t, "snmpinform", "-v", "2c", "-c", "public", "-t", "2", "-r", "1", to412b, "", linkDown, ifIndex2, "i", "2")
	run(t, "snmpinform", "-v", "2c", "-c", "public", "-t", "2", "-r", "1", tcp412, "", linkUp, ifIndex2, "i", "2")
	// A v2c trap over TCP.
	run(t, "snmptrap", "-v", "2c", "-c", "public", tcp412, "", "1.3.6.1.4.1.99999.0.1")
	// An SNMPv3 trap from a user the (empty) configuration does not know.
	run(t, "snmptrap", "-v", "3", "-u", "nobody", "-l", "noAuthNoPriv", "-e", "0x8000000001020304", to162, "", linkDown)

	// Garbage on 412, over UDP and TCP.
	sendUDP(t, fmt.Sprintf("127.0.0.1:%d", p412), []byte("GET / HTTP/1.0\r\n\r\n"))
	sendTCP(t, fmt.Sprintf("127.0.0.1:%d", p412), []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"))

	want := map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`:                      3,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkUp"}`:                        3,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"}`: 1,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="1.3.6.1.4.1.99999.0.1"}`:                 1,

		`snmptrap_packets_total{listener="` + u162 + `",result="accepted",version="v1"}`:      1,
		`snmptrap_packets_total{listener="` + u162 + `",result="accepted",version="v2c"}`:     2,
		`snmptrap_packets_total{listener="` + u162 + `",result="unknown_user",version="v3"}`:  1,
		`snmptrap_packets_total{listener="` + u412 + `",result="accepted",version="v1"}`:      1,
		`snmptrap_packets_total{listener="` + u412 + `",result="accepted",version="v2c"}`:     2,
		`snmptrap_packets_total{listener="` + u412 + `",result="not_snmp",version="unknown"}`: 1,
		`snmptrap_packets_total{listener="` + t412 + `",result="accepted",version="v2c"}`:     2,
		`snmptrap_packets_total{listener="` + t412 + `",result="not_snmp",version="unknown"}`: 1,

		`snmptrap_informs_acknowledged_total{listener="` + u162 + `"}`:                          0,
		`snmptrap_informs_acknowledged_total{listener="` + u412 + `"}`:                          2,
		`snmptrap_informs_acknowledged_total{listener="` + t412 + `"}`:                          1,
		`snmptrap_tcp_connections_closed_total{listener="` + t412 + `",reason="framing_error"}`: 1,
		`snmptrap_tcp_connections_accepted_total{listener="` + t412 + `"}`:                      3,
		`snmptrap_receive_drops_total{listener="` + u162 + `",stage="kernel"}`:                  0,
		// Four trap series and two from the built-in rules: ifIndex 2's
		// state, and the SynOptics unit-down alarm of a trap without
		// varbinds (an empty resource).
		`snmptrap_series`:       6,
		`snmptrap_series_limit`: 100000,
		`snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`:                                       1,
		`snmptrap_alarm_active{alarm="unit_down",device="127.0.0.1",resource="",severity="critical"}`: 1,
	}
	got := e.waitMetric(t, want)

	// Every trap counted is in exactly one series: no others appeared.
	var sum float64
	for k, v := range got {
		if strings.HasPrefix(k, "snmptrap_traps_received_total{") {
			sum += v
		}
	}
	if sum != 8 {
		t.Errorf("sum of snmptrap_traps_received_total = %v, want 8", sum)
	}
	if ts := got[`snmptrap_trap_last_received_timestamp_seconds{device="127.0.0.1",trap="IF-MIB::linkUp"}`]; time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("last-received timestamp %v is not recent", ts)
	}
	if !hasPrefix(got, "snmptrap_exporter_build_info{") || !hasPrefix(got, "go_goroutines") || !hasPrefix(got, "process_resident_memory_bytes") {
		t.Error("build info, Go or process collector metrics missing")
	}

	// promtool agrees the exposition is well formed and follows the
	// naming conventions, with one exception made on purpose: labels named
	// after MIB objects (ifIndex, ifDescr, ifName) keep the MIB's spelling,
	// as snmp_exporter's do, so a query reads like the MIB.
	check := exec.Command("promtool", "check", "metrics")
	check.Stdin = bytes.NewReader(e.scrape(t))
	if out, err := check.CombinedOutput(); err != nil {
		var other []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if !strings.HasPrefix(line, "snmptrap_interface_") || !strings.Contains(line, "label names should be written in 'snake_case' not 'camelCase'") {
				other = append(other, line)
			}
		}
		if len(other) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, strings.Join(other, "\n"))
		}
	}

	// Bad input is logged at debug with its source, never the community.
	logs := e.stderr.String()
	if !strings.Contains(logs, `result=not_snmp`) || strings.Contains(logs, "public") {
		t.Errorf("debug log should name not_snmp rejections and never the community:\n%s", logs)
	}
}

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func sendUDP(t *testing.T, addr string, b []byte) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

func sendTCP(t *testing.T, addr string, b []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	// The exporter closes the connection on the framing error.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection with garbage was not closed")
	}
}

// TestOverflowTotals fills a tiny store and checks that the overflow series
// keeps the sum exact.
func TestOverflowTotals(t *testing.T) {
	need(t)
	p := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p), "--trap.max-series=2")
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)
	for i := 1; i <= 4; i++ {
		run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", fmt.Sprintf("1.3.6.1.4.1.99999.0.%d", i))
	}
	e.waitMetric(t, map[string]float64{
		`snmptrap_traps_received_total{device="_other",trap="_other"}`: 2,
		`snmptrap_series`:                               2,
		`snmptrap_series_limit`:                         2,
		`snmptrap_series_dropped_total{reason="limit"}`: 2,
	})
}

var bindLine = regexp.MustCompile(`level=error msg="cannot start" err="cannot listen on ([^:]+://[^ ]+): (.*)"`)

// TestBindErrors: a port in use or a privileged port stops the start with
// one clear line naming the address and the cause.
func TestBindErrors(t *testing.T) {
	need(t)
	p := freePort(t)
	addr := fmt.Sprintf("udp://127.0.0.1:%d", p)
	start(t, "--trap.listen-address="+addr)

	out, code := runBinary(t, binary, nil, "--web.listen-address=127.0.0.1:0", "--storage.path="+t.TempDir(), "--trap.listen-address="+addr)
	m := bindLine.FindStringSubmatch(out)
	if code != 1 || m == nil || m[1] != addr || !strings.Contains(m[2], "address already in use") {
		t.Errorf("second exporter on %s: exit %d, output:\n%s", addr, code, out)
	}

	cred := nobody(t)
	out, code = runBinary(t, binary, cred, "--web.listen-address=127.0.0.1:0", "--storage.path=/nonexistent/snmptrap", "--trap.listen-address=udp://127.0.0.1:162")
	m = bindLine.FindStringSubmatch(out)
	if code != 1 || m == nil || !strings.Contains(m[2], "permission denied") || !strings.Contains(m[2], "CAP_NET_BIND_SERVICE") {
		t.Errorf("unprivileged bind of 162: exit %d, output:\n%s", code, out)
	}
}

// nobody returns the credentials of user nobody, skipping the test where
// it cannot switch to them or where unprivileged users may bind low ports
// anyway.
func nobody(t *testing.T) *[2]int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: cannot run the binary as another user")
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n <= 162 {
			t.Skipf("ip_unprivileged_port_start is %d: port 162 is not privileged here", n)
		}
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// nobody must be able to reach and run the binary.
	os.Chmod(filepath.Dir(binary), 0o755)
	return &[2]int{uid, gid}
}

// TestFileCapability checks what the Dockerfile relies on: a non-root user
// running a binary that carries cap_net_bind_service binds port 162.
func TestFileCapability(t *testing.T) {
	need(t)
	cred := nobody(t)
	if _, err := exec.LookPath("setcap"); err != nil {
		t.Fatal("setcap not found: the README's test command installs it (Debian package libcap2-bin)")
	}
	dir, err := os.MkdirTemp("", "snmptrap-cap") // t.TempDir's parent is private
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	capped := filepath.Join(dir, "snmptrap_exporter")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capped, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("setcap", "cap_net_bind_service=+ep", capped).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v\n%s", err, out)
	}
	// --version proves nothing about binding; run it and stop it once it
	// says it listens.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, capped, "--web.listen-address=127.0.0.1:0", "--storage.path="+dir, "--trap.listen-address=udp://127.0.0.1:162", "--trap.listen-address=tcp://127.0.0.1:412")
	cmd.SysProcAttr = sysProcAttr(cred[0], cred[1])
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for !strings.Contains(stderr.String(), "listener=tcp://127.0.0.1:412") {
		select {
		case err := <-done:
			t.Fatalf("capped binary exited: %v\n%s", err, stderr)
		case <-ctx.Done():
			t.Fatalf("capped binary never bound its ports\n%s", stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cmd.Process.Signal(os.Interrupt)
	if err := <-done; err != nil {
		t.Errorf("exit after SIGINT: %v\n%s", err, stderr)
	}
}

func TestVersionFlag(t *testing.T) {
	need(t)
	out, code := runBinary(t, binary, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "snmptrap_exporter, version ") {
		t.Errorf("--version: exit %d, output %q", code, out)
	}
}

func runBinary(t *testing.T, bin string, cred *[2]int, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if cred != nil {
		cmd.SysProcAttr = sysProcAttr(cred[0], cred[1])
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// syncBuffer is the shared concurrent-safe buffer.
type syncBuffer = testfixtures.SyncBuffer
