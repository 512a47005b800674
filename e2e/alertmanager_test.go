package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The alert rules with the real servers: the exporter, Prometheus scraping
// it and evaluating a copy of alerts/snmptrap.rules.yml (every `for:`
// shortened), and Alertmanager notifying a webhook inside the test. All on
// 127.0.0.1; every server is stopped (its process group killed) at the end.

const (
	ifName2  = "1.3.6.1.2.1.31.1.1.1.1.2"
	ifIndex5 = "1.3.6.1.2.1.2.2.1.1.5"
	ifName5  = "1.3.6.1.2.1.31.1.1.1.1.5"

	s5ChaTrap          = "1.3.6.1.4.1.45.1.6.2.4"              // S5-CHASSIS-TRAP-MIB, enterprise of its v1 traps
	s5ChasComType31    = "1.3.6.1.4.1.45.1.6.3.3.1.1.4.3.1.0"  // s5ChasComType.3.1.0
	s5ChasComOper31    = "1.3.6.1.4.1.45.1.6.3.3.1.1.10.3.1.0" // s5ChasComOperState.3.1.0
	s5UnitDownSpecific = "4"                                   // s5CtrNewUnitDown
	s5UnitUpSpecific   = "3"                                   // s5CtrNewUnitUp

	runbook = "https://github.com/snmptrap-exporter/snmptrap_exporter/blob/main/alerts/runbook.md#"
)

// server is a Prometheus or an Alertmanager run by a test.
type server struct {
	name string
	web  string // host:port
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

func startServer(t *testing.T, name, web, bin string, args ...string) *server {
	t.Helper()
	s := &server{name: name, web: web, log: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, killed as one
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		pgid := s.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.done
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, tail(s.log.String(), 6000))
		}
	})
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

// notification is what Alertmanager's webhook receiver posts.
type notification struct {
	GroupKey    string            `json:"groupKey"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		Fingerprint string            `json:"fingerprint"`
	} `json:"alerts"`
}

type webhook struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []notification
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var n notification
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("webhook: %v: %s", err, b)
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.got = append(w.got, n)
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) notifications() []notification {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]notification(nil), w.got...)
}

// alertsIn returns the alerts of every notification so far for alertname
// with this status ("firing" or "resolved") whose labels include match.
func (w *webhook) alertsIn(alertname, status string, match map[string]string) (out []alertSeen) {
	for _, n := range w.notifications() {
		for _, a := range n.Alerts {
			if a.Labels["alertname"] != alertname || a.Status != status || !includes(a.Labels, match) {
				continue
			}
			out = append(out, alertSeen{n.GroupKey, a.Fingerprint, a.Labels, a.Annotations})
		}
	}
	return out
}

type alertSeen struct {
	group, fingerprint  string
	labels, annotations map[string]string
}

func includes(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// stack is the exporters, Prometheus, Alertmanager and the webhook of one test.
type stack struct {
	t         *testing.T
	exporters []*exporter
	prom, am  *server
	hook      *webhook
	rulesFor  int // `for:` clauses shortened in the rule copy
}

// logs is every server's log, for a failure message.
func (s *stack) logs() string {
	var b strings.Builder
	for _, srv := range []*server{s.prom, s.am} {
		if srv != nil {
			fmt.Fprintf(&b, "\n--- %s log:\n%s", srv.name, tail(srv.log.String(), 6000))
		}
	}
	for i, e := range s.exporters {
		fmt.Fprintf(&b, "\n--- exporter %d (%s) log:\n%s", i, e.web, tail(e.stderr.String(), 3000))
	}
	fmt.Fprintf(&b, "\n--- webhook: %d notifications", len(s.hook.notifications()))
	for _, n := range s.hook.notifications() {
		j, _ := json.Marshal(n)
		fmt.Fprintf(&b, "\n%s", j)
	}
	return b.String()
}

// waitFor polls cond until it holds; past within the test fails with the
// last state cond reported and every server's log.
func (s *stack) waitFor(what string, within time.Duration, cond func() (bool, string)) time.Duration {
	s.t.Helper()
	begin := time.Now()
	for {
		ok, state := cond()
		if ok {
			return time.Since(begin)
		}
		if time.Since(begin) > within {
			s.t.Fatalf("%s: not within %v; last: %s%s", what, within, state, s.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var forClause = regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`)

// testRules copies the shipped rules with every `for:` cut to 1s.
func testRules(t *testing.T, dir string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "alerts", "snmptrap.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(forClause.FindAll(b, -1))
	b = forClause.ReplaceAll(b, []byte("${1}1s"))
	path := filepath.Join(dir, "snmptrap.rules.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, n
}

func needServers(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"prometheus", "prometheus-alertmanager"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: the README's test command installs it (Debian packages prometheus and prometheus-alertmanager)", tool)
		}
	}
}

// newStack starts Alertmanager and Prometheus scraping the exporters, one
// scrape job per key of jobs, and waits until every target is up and
// Prometheus has found Alertmanager.
func newStack(t *testing.T, jobs map[string][]*exporter) *stack {
	t.Helper()
	needServers(t)
	s := &stack{t: t, hook: newWebhook(t)}
	dir := t.TempDir()

	amWeb := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	amConfig := fmt.Sprintf(`route:
  receiver: test
  group_by: [alertname, device]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: %s/
        send_resolved: true
`, s.hook.srv.URL)
	write(t, filepath.Join(dir, "alertmanager.yml"), amConfig)
	os.Mkdir(filepath.Join(dir, "am"), 0o755)
	s.am = startServer(t, "alertmanager", amWeb, "prometheus-alertmanager",
		"--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amWeb,
		"--cluster.listen-address=")

	rules, n := testRules(t, dir)
	s.rulesFor = n
	var scrape strings.Builder
	names := make([]string, 0, len(jobs))
	for job := range jobs {
		names = append(names, job)
	}
	sort.Strings(names)
	targets := 0
	for _, job := range names {
		var ts []string
		for _, e := range jobs[job] {
			ts = append(ts, fmt.Sprintf("%q", e.web))
			s.exporters = append(s.exporters, e)
			targets++
		}
		fmt.Fprintf(&scrape, "  - job_name: %s\n    static_configs: [{targets: [%s]}]\n", job, strings.Join(ts, ", "))
	}
	promConfig := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
scrape_configs:
%s`, rules, amWeb, scrape.String())
	write(t, filepath.Join(dir, "prometheus.yml"), promConfig)
	promWeb := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s.prom = startServer(t, "prometheus", promWeb, "prometheus",
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promWeb,
		"--rules.alert.resend-delay=1s")

	for _, srv := range []*server{s.am, s.prom} {
		s.waitFor(srv.name+" ready", 60*time.Second, func() (bool, string) {
			select {
			case err := <-srv.done:
				srv.done <- err
				return false, fmt.Sprintf("exited: %v", err)
			default:
			}
			code, _, err := get("http://" + srv.web + "/-/ready")
			return code == http.StatusOK, fmt.Sprint(code, err)
		})
	}
	s.waitFor("every target up", 60*time.Second, func() (bool, string) {
		v, err := s.scalar(`count(up == 1)`)
		return err == nil && v == float64(targets), fmt.Sprint(v, err)
	})
	s.waitFor("Prometheus finds Alertmanager", 60*time.Second, func() (bool, string) {
		_, b, err := get("http://" + s.prom.web + "/api/v1/alertmanagers")
		return err == nil && strings.Contains(string(b), amWeb), fmt.Sprint(string(b), err)
	})
	return s
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func get(u string) (int, []byte, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  float64
}

// query runs an instant query and returns its vector.
func (s *stack) query(q string) ([]promSample, error) {
	code, b, err := get("http://" + s.prom.web + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
		return nil, fmt.Errorf("query %s: HTTP %d: %v: %s", q, code, err, b)
	}
	var out []promSample
	for _, x := range r.Data.Result {
		str, _ := x.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v", q, x.Value)
		}
		out = append(out, promSample{x.Metric, v})
	}
	return out, nil
}

// scalar runs a query that returns one sample; none is an error.
func (s *stack) scalar(q string) (float64, error) {
	r, err := s.query(q)
	if err != nil {
		return 0, err
	}
	if len(r) != 1 {
		return 0, fmt.Errorf("query %s: %d samples: %v", q, len(r), r)
	}
	return r[0].Value, nil
}

// waitNotified waits for a notification of alertname with status whose
// labels include match, and returns the alert.
func (s *stack) waitNotified(alertname, status string, match map[string]string) (alertSeen, time.Duration) {
	s.t.Helper()
	var got []alertSeen
	took := s.waitFor(fmt.Sprintf("%s %s %v notified", alertname, status, match), 60*time.Second, func() (bool, string) {
		got = s.hook.alertsIn(alertname, status, match)
		return len(got) > 0, fmt.Sprint(got)
	})
	return got[0], took
}

// TestAlertsDelivered: an interface down and a SynOptics unit down become
// Alertmanager notifications with their labels and runbook, and resolved
// notifications once the device says they are back.
func TestAlertsDelivered(t *testing.T) {
	need(t)
	begin := time.Now()
	port := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port))
	s := newStack(t, map[string][]*exporter{"snmptrap": {e}})
	if s.rulesFor < 2 {
		t.Fatalf("only %d `for:` clauses shortened in the rule copy", s.rulesFor)
	}
	t.Logf("stack up in %v (%d for: clauses cut to 1s)", time.Since(begin).Round(time.Millisecond), s.rulesFor)
	to := fmt.Sprintf("udp:127.0.0.1:%d", port)

	sent := time.Now()
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "2", ifName2, "s", "Gi0/2")
	run(t, "snmptrap", "-v", "1", "-c", "public", to, s5ChaTrap, "", "6", s5UnitDownSpecific, "",
		s5ChasComType31, "o", "1.3.6.1.4.1.45.3.1", s5ChasComOper31, "i", "10")

	ifDown := map[string]string{"device": "127.0.0.1", "ifIndex": "2", "ifName": "Gi0/2", "severity": "warning"}
	unitDown := map[string]string{"device": "127.0.0.1", "alarm": "unit_down", "resource": "3.1.0", "severity": "critical"}
	fired := map[string]alertSeen{}
	for name, match := range map[string]map[string]string{"SNMPInterfaceDown": ifDown, "SNMPDeviceAlarmActive": unitDown} {
		a, _ := s.waitNotified(name, "firing", match)
		if got, want := a.annotations["runbook_url"], runbook+strings.ToLower(name); got != want {
			t.Errorf("%s: runbook_url %q, want %q", name, got, want)
		}
		if a.annotations["summary"] == "" || a.annotations["description"] == "" {
			t.Errorf("%s: annotations %v", name, a.annotations)
		}
		if _, ok := a.labels["instance"]; ok {
			t.Errorf("%s: a device alert carries instance: %v", name, a.labels)
		}
		fired[name] = a
	}
	firing := time.Since(sent)
	t.Logf("firing notifications for both %v after the traps", firing.Round(time.Millisecond))
	if a := fired["SNMPInterfaceDown"]; a.annotations["summary"] != "Interface Gi0/2 on 127.0.0.1 is down" {
		t.Errorf("SNMPInterfaceDown summary %q", a.annotations["summary"])
	}

	sent = time.Now()
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkUp, ifIndex2, "i", "2", ifName2, "s", "Gi0/2")
	run(t, "snmptrap", "-v", "1", "-c", "public", to, s5ChaTrap, "", "6", s5UnitUpSpecific, "",
		s5ChasComType31, "o", "1.3.6.1.4.1.45.3.1", s5ChasComOper31, "i", "5")
	for name, a := range fired {
		r, _ := s.waitNotified(name, "resolved", a.labels)
		if r.fingerprint != a.fingerprint {
			t.Errorf("%s resolved fingerprint %s, fired %s", name, r.fingerprint, a.fingerprint)
		}
	}
	t.Logf("resolved notifications for both %v after the traps; %d notifications in all; test %v",
		time.Since(sent).Round(time.Millisecond), len(s.hook.notifications()), time.Since(begin).Round(time.Millisecond))
}
