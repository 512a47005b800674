package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// xss is an ifDescr a hostile device sends.
const xss = `<img src=x onerror=alert(1)>`

// screenshotCopy is where the browser test copies its screenshot of the
// traps page, for a person to look at.
const screenshotCopy = "/tmp/snmptrap-traps.png"

// chromium returns the path of Debian's Chromium; under SNMPTRAP_E2E=1 a
// missing browser fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: the README's test command installs it (Debian package chromium)")
	return ""
}

// records polls the JSON API at path until it returns n records, and
// returns them.
func (e *exporter) records(t *testing.T, path string, n int) []json.RawMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + e.web + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Records []json.RawMessage `json:"records"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %s, %v", path, resp.Status, err)
		}
		if len(body.Records) == n {
			return body.Records
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d records, want %d", path, len(body.Records), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTrapsPageInBrowser sends traps with net-snmp and garbage to a
// second listener, then drives headless Chromium through the /traps page:
// the row of a linkDown whose ifDescr is an XSS payload, its varbinds and
// derived state change, the auto-refresh and its pause, the device filter
// and the refused tab. The payload must show as text and open no dialog.
func TestTrapsPageInBrowser(t *testing.T) {
	need(t)
	browser := chromium(t)
	p, garbage := freePort(t), freePort(t)
	trapListener := fmt.Sprintf("udp://127.0.0.1:%d", p)
	garbageListener := fmt.Sprintf("udp://127.0.0.1:%d", garbage)
	e := start(t, "--trap.listen-address="+trapListener, "--trap.listen-address="+garbageListener)
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)
	const ifDescr2, ifIndex3 = "1.3.6.1.2.1.2.2.1.2.2", "1.3.6.1.2.1.2.2.1.1.3"
	// Interface 2 of 127.0.0.1 comes up, then goes down with the payload
	// as its description: the linkDown changes snmptrap_interface_up from
	// 1 to 0. Each is counted before the next is sent (the listener's
	// sockets may take two datagrams in either order).
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkUp, ifIndex2, "i", "2")
	e.waitMetric(t, map[string]float64{`snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`: 1})
	run(t, "snmptrap", "--clientaddr=127.0.0.2", "-v", "2c", "-c", "public", to, "", linkUp, ifIndex3, "i", "3")
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "2", ifDescr2, "s", xss)
	sendUDP(t, fmt.Sprintf("127.0.0.1:%d", garbage), []byte("GET / HTTP/1.0\r\n\r\n"))
	e.waitMetric(t, map[string]float64{
		`snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`:                                          0,
		`snmptrap_interface_up{device="127.0.0.2",ifIndex="3"}`:                                          1,
		`snmptrap_packets_total{listener="` + garbageListener + `",result="not_snmp",version="unknown"}`: 1,
	})

	// The JSON API of the real binary: the linkDown, its payload and change.
	var down trapRecord
	if err := json.Unmarshal(e.records(t, "/api/v1/traps?trap=IF-MIB::linkDown", 1)[0], &down); err != nil {
		t.Fatal(err)
	}
	const series = `snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`
	if down.Device != "127.0.0.1" || len(down.Changes) == 0 || down.Changes[0].Series != series || down.Changes[0].From == nil ||
		*down.Changes[0].From != 1 || down.Changes[0].To != 0 || !hasVarbind(down, "IF-MIB::ifDescr.2", `"`+xss+`"`) {
		t.Fatalf("linkDown record: %+v", down)
	}
	e.records(t, "/api/v1/traps", 3)
	e.records(t, "/api/v1/refused?listener="+url.QueryEscape(garbageListener), 1)

	// The browser, bounded in time: the allocator's context ends it.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	chromeOut := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
		chromedp.CombinedOutput(chromeOut),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	defer func() {
		if t.Failed() {
			t.Logf("chromium output:\n%s", chromeOut)
		}
	}()

	// Every JavaScript dialog is recorded and dismissed; the console's
	// exceptions and errors (a CSP violation among them) are recorded.
	var mu sync.Mutex
	var dialogs, problems []string
	dialogEvents := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogEvents {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, string(ev.Type)+": "+ev.Message)
			mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			// The browser's own request for /favicon.ico (the exporter
			// has none) is not the page's doing.
			if strings.HasSuffix(m.URL, "/favicon.ico") {
				continue
			}
			if m.IsException() || m.Type == "error" || m.Type == "warning" || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
				mu.Unlock()
			}
		}
	}()
	seen := func() ([]string, []string) {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), dialogs...), append([]string(nil), problems...)
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, expr string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	// wait polls a predicate on the page (it must not navigate meanwhile).
	wait := func(what, predicate string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			t.Fatalf("%s: %v\n%s", what, err, html)
		}
	}
	// navigate runs a click or a submit and waits for the page it loads.
	navigate := func(what string, trigger chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	location := func() *url.URL {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	// The dialog watcher works: a dialog the test opens is seen.
	do("start the browser", chromedp.Navigate("http://"+e.web+"/"))
	do("probe dialog", chromedp.Evaluate[chromedp.Void](`alert("probe")`))
	if d, _ := seen(); len(d) != 1 || d[0] != "alert: probe" {
		t.Fatalf("the dialog watcher saw %q, want the probe", d)
	}

	// The landing page links to /traps; the page lists the three traps,
	// newest first.
	navigate("open /traps from the landing page", chromedp.Click(chromedp.CSS(`a[href="/traps"]`)))
	if got := location().Path; got != "/traps" {
		t.Fatalf("landing page link led to %s", got)
	}
	do("rows", chromedp.WaitVisible(chromedp.CSS("#records details.trap")))
	rowCount := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#records details.trap").length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rowCount(); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
	row := fmt.Sprintf("#r%d", down.Seq)
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+" > summary")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"127.0.0.1", "IF-MIB::linkDown", trapListener, "v2c", `ifDescr.2="` + xss + `"`} {
		if !strings.Contains(summary, want) {
			t.Errorf("row %s: %q lacks %q", row, summary, want)
		}
	}

	// Expanded, the row shows the varbinds and the state change.
	do("expand the row", chromedp.Click(chromedp.CSS(row+" > summary")), chromedp.WaitVisible(chromedp.CSS(row+" table.varbinds")))
	detail, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+" .detail")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IF-MIB::ifDescr.2", "OCTET STRING", "IF-MIB::ifIndex.2", "SNMPv2-MIB::sysUpTime.0", series + ": 1 → 0"} {
		if !strings.Contains(detail, want) {
			t.Errorf("expanded row lacks %q:\n%s", want, detail)
		}
	}
	// The payload is text in the DOM, and no element came of it.
	if !eval("payload as text", `Array.from(document.querySelectorAll("`+row+` td.value")).some(td => td.textContent === '"`+xss+`"')`) {
		t.Error("no value cell holds the payload as its text")
	}
	if eval("no img", `document.querySelectorAll("img").length !== 0`) {
		t.Error("an <img> element is in the DOM")
	}

	// The refresh brings a new trap in without closing the open row.
	run(t, "snmptrap", "--clientaddr=127.0.0.2", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex3, "i", "3")
	wait("the refresh shows the new trap", `document.querySelectorAll("#records details.trap").length === 4 &&
		document.querySelector("#records details.trap.new") !== null && document.querySelector("`+row+`").open`)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "traps.png", screenshotCopy, shot)

	// Paused, the page stays still through two periods though a trap came;
	// the pause is in the URL. Resumed, the trap appears.
	do("pause", chromedp.Click(chromedp.ID("pause")))
	if u := location(); u.Query().Get("paused") != "1" {
		t.Errorf("paused, the URL is %s", u)
	}
	if eval("button", `document.getElementById("pause").textContent !== "Resume"`) {
		t.Error("the pause button does not offer Resume")
	}
	ticks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Number(document.getElementById("status").dataset.ticks || 0)`))
	if err != nil {
		t.Fatal(err)
	}
	run(t, "snmptrap", "--clientaddr=127.0.0.2", "-v", "2c", "-c", "public", to, "", linkUp, ifIndex3, "i", "3")
	e.records(t, "/api/v1/traps", 5)
	wait("two periods", fmt.Sprintf(`Number(document.getElementById("status").dataset.ticks) >= %d`, ticks+2))
	if n := rowCount(); n != 4 {
		t.Errorf("paused, the page refreshed: %d rows", n)
	}
	do("resume", chromedp.Click(chromedp.ID("pause")))
	if u := location(); u.Query().Has("paused") {
		t.Errorf("resumed, the URL is %s", u)
	}
	wait("resumed, the refresh shows the new trap", `document.querySelectorAll("#records details.trap").length === 5`)

	// The device filter: a GET form, so the filter is in the URL.
	do("type a device", chromedp.SendKeys(chromedp.CSS(`#filters input[name="device"]`), "127.0.0.2"))
	navigate("filter by device", chromedp.Click(chromedp.CSS(`#filters button[type="submit"]`)))
	if u := location(); u.Path != "/traps" || u.Query().Get("device") != "127.0.0.2" {
		t.Errorf("after the filter, the URL is %s", u)
	}
	devices, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#records details.trap .device"), e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(devices, " ") != "127.0.0.2 127.0.0.2 127.0.0.2" {
		t.Errorf("filtered rows' devices: %q", devices)
	}

	// The refused tab: the garbage, its listener and its first bytes.
	navigate("open the refused tab", chromedp.Click(chromedp.ID("tab-refused")))
	if got := location().Path; got != "/traps/refused" {
		t.Errorf("the refused tab is %s", got)
	}
	refused, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("table.refused tbody")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{garbageListener, "127.0.0.1:", "not_snmp", "18", "GET / HTTP/1.0....", "474554202f20485454502f312e300d0a0d0a"} {
		if !strings.Contains(refused, want) {
			t.Errorf("refused tab lacks %q:\n%s", want, refused)
		}
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		saveScreenshot(t, "refused.png", "/tmp/snmptrap-refused.png", shot)
	}

	// Nothing but the probe opened a dialog; the console saw no error.
	d, problems := seen()
	if len(d) != 1 {
		t.Errorf("dialogs opened: %q", d)
	}
	if len(problems) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(problems, "\n"))
	}
}

func hasVarbind(r trapRecord, name, value string) bool {
	for _, vb := range r.Varbinds {
		if vb.Name == name && vb.Value == value {
			return true
		}
	}
	return false
}

// saveScreenshot writes a PNG under the test's temporary directory and
// copies it to copyTo, and logs both paths.
func saveScreenshot(t *testing.T, name, copyTo string, png []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	for _, p := range []string{path, copyTo} {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: %s (copied to %s)", path, copyTo)
}
