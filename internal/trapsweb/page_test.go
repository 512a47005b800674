package trapsweb

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// parsed is a page as a browser's parser sees it.
type parsed struct {
	root *html.Node
	text string // all text, as the DOM's textContent
}

func parsePage(t *testing.T, body string) parsed {
	t.Helper()
	root, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{root: root}
	var b strings.Builder
	for n := range root.Descendants() {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	}
	p.text = b.String()
	return p
}

// safe checks what must hold of every page whatever the records say: no
// element but the page's own (no img, iframe, object...), one script, the
// package's, no event handler attribute, no style attribute or element,
// no URL with a scheme.
func (p parsed) safe(t *testing.T) {
	t.Helper()
	allowed := map[string]bool{}
	for _, tag := range strings.Fields("html head body meta title link script header h1 h3 nav a main form label input button datalist option div span p table thead tbody tr th td details summary time dl dt dd br code em ul li") {
		allowed[tag] = true
	}
	scripts := 0
	for n := range p.root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if !allowed[n.Data] {
			t.Errorf("element <%s> on the page", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" || a.Key == "srcdoc" {
				t.Errorf("<%s %s=%q> on the page", n.Data, a.Key, a.Val)
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.Contains(strings.SplitN(a.Val, "?", 2)[0], ":") {
				t.Errorf("<%s %s=%q>: a URL with a scheme", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "script" {
			scripts++
			if n.FirstChild != nil || !strings.HasSuffix(attr(n, "src"), "traps/app.js") {
				t.Errorf("a script that is not traps/app.js: src %q", attr(n, "src"))
			}
		}
	}
	if scripts != 1 {
		t.Errorf("%d scripts, want 1", scripts)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// find returns the elements for which match holds.
func (p parsed) find(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range p.root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func checkHeaders(t *testing.T, w interface{ Header() http.Header }, contentType string) {
	t.Helper()
	h := w.Header()
	if got := h.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy %q", got)
	}
	if got := h.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", h)
	}
}

// The policy allows the page's own script and style only: no inline
// script or handler, no eval, nothing remote.
func TestContentSecurityPolicy(t *testing.T) {
	directives := map[string]string{}
	for _, d := range strings.Split(ContentSecurityPolicy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "connect-src": "'self'",
		"form-action": "'self'", "base-uri": "'none'", "frame-ancestors": "'none'",
	} {
		if directives[name] != want {
			t.Errorf("%s %q, want %q", name, directives[name], want)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") || strings.Contains(ContentSecurityPolicy, "*") {
		t.Errorf("policy %q allows unsafe or remote content", ContentSecurityPolicy)
	}
}

// A trap whose ifDescr is markup shows as text, wherever a device's value
// lands: the row's summary, the varbinds table, and the filter form that
// echoes the query.
func TestPageEscapesDeviceText(t *testing.T) {
	h := newHistory(t)
	// A device and listener name that try to break out of attributes and
	// text, and a trap whose name is markup.
	const quote = `"><script>alert(3)</script>`
	h.Admitted(&traps.Admitted{Listener: "udp://:162" + quote, Source: netip.MustParseAddrPort("192.0.2.8:1"),
		Device: "sw9" + quote, Version: metrics.VersionV1, Trap: "EVIL-MIB::" + quote})
	w := get(t, h, http.MethodGet, "/traps?text="+strings.NewReplacer("<", "%3C", ">", "%3E", `"`, "%22", " ", "+").Replace(`"><img src=x onerror=alert(4)>`))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	checkHeaders(t, w, "text/html; charset=utf-8")
	body := w.Body.String()
	p := parsePage(t, body)
	p.safe(t)
	if !strings.Contains(body, "&lt;img src=x onerror=alert(4)&gt;") && !strings.Contains(body, "&#34;&gt;&lt;img src=x onerror=alert(4)&gt;") {
		t.Error("the echoed query is not escaped")
	}
	if in := p.find(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "text" }); len(in) != 1 || attr(in[0], "value") != `"><img src=x onerror=alert(4)>` {
		t.Errorf("the text filter does not hold the query as its value: %v", in)
	}

	// The same page without the filter: every record.
	w = get(t, h, http.MethodGet, "/traps")
	body = w.Body.String()
	p = parsePage(t, body)
	p.safe(t)
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the payload is not in the page, escaped")
	}
	for _, want := range []string{`ifDescr.2="` + xss + `"`, `"` + xss + `"`, "sw9" + quote, "EVIL-MIB::" + quote, "udp://:162" + quote} {
		if !strings.Contains(p.text, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}
	// The payload is the value cell's text, whole.
	var cells []string
	for _, td := range p.find(func(n *html.Node) bool { return n.Data == "td" && attr(n, "class") == "value" }) {
		cells = append(cells, textOf(td))
	}
	if !strings.Contains(strings.Join(cells, "\n"), `"`+xss+`"`) {
		t.Errorf("no value cell holds the payload as text: %q", cells)
	}
	// The datalist offers the hostile device name as a value, escaped.
	if opts := p.find(func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "sw9"+quote }); len(opts) != 1 {
		t.Error("the device suggestion is not the name as given")
	}
}

// /traps shows the traps newest first, one <details> each: a row of time,
// device, trap, listener, version and a varbind summary; inside, the
// varbinds (name, type, value, hex) and the state changes.
func TestPageTraps(t *testing.T) {
	w := get(t, newHistory(t), http.MethodGet, "/traps")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	p := parsePage(t, w.Body.String())
	p.safe(t)
	rows := p.find(func(n *html.Node) bool { return n.Data == "details" })
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, attr(r, "id"))
	}
	if strings.Join(ids, " ") != "r4 r3 r2 r1" {
		t.Errorf("rows %v, want newest first", ids)
	}
	summary := textOf(rows[0].FirstChild.NextSibling) // <summary>
	for _, want := range []string{"2026-03-01 12:03:00.000", "sw1", "IF-MIB::linkDown", "udp://:162", "v2c", `ifIndex.2=2, ifDescr.2="` + xss + `"`} {
		if !strings.Contains(summary, want) {
			t.Errorf("row summary %q lacks %q", summary, want)
		}
	}
	if strings.Contains(summary, "sysUpTime") || strings.Contains(summary, "snmpTrapOID") {
		t.Errorf("row summary %q has the varbinds every trap carries", summary)
	}
	detail := textOf(rows[0])
	for _, want := range []string{"SNMPv2-MIB::sysUpTime.0", "TimeTicks", "IF-MIB::ifDescr.2", "OCTET STRING", "1.3.6.1.2.1.2.2.1.2.2",
		"192.0.2.7:40000", "123.45 s (12345 ticks)", `snmptrap_interface_up{device="sw1",ifIndex="2"}: 1 → 0`} {
		if !strings.Contains(detail, want) {
			t.Errorf("details lack %q", want)
		}
	}
	if strings.Contains(textOf(rows[1]), "State changes") {
		t.Error("a linkUp without changes shows a State changes heading")
	}
	// The assets, a filter form and the pause (shown by the script).
	for _, sel := range []struct{ tag, key, val string }{
		{"link", "href", "./traps/app.css"}, {"script", "src", "./traps/app.js"}, {"form", "action", "./traps"},
		{"a", "href", "./traps/refused"}, {"a", "href", "./api/v1/traps"}, {"button", "id", "pause"},
	} {
		if len(p.find(func(n *html.Node) bool { return n.Data == sel.tag && attr(n, sel.key) == sel.val })) != 1 {
			t.Errorf("no <%s %s=%q>", sel.tag, sel.key, sel.val)
		}
	}
	// Not paused: the hidden paused field is not sent.
	if in := p.find(func(n *html.Node) bool { return attr(n, "id") == "paused" }); len(in) != 1 || !hasAttr(in[0], "disabled") {
		t.Error("the paused field is sent while not paused")
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// The filters select rows as the API does, are kept in the form, and the
// JSON link carries them; paused=1 stays in the form and the tabs.
func TestPageFilters(t *testing.T) {
	h := newHistory(t)
	w := get(t, h, http.MethodGet, "/traps?device=sw1&trap=IF-MIB%3A%3AlinkUp&listener=&paused=1&limit=10")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	p := parsePage(t, w.Body.String())
	rows := p.find(func(n *html.Node) bool { return n.Data == "details" })
	if len(rows) != 1 || attr(rows[0], "id") != "r3" {
		t.Fatalf("rows %v, want r3 only", rows)
	}
	value := func(name string) string {
		in := p.find(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == name })
		if len(in) != 1 {
			t.Fatalf("%d inputs named %s", len(in), name)
		}
		if hasAttr(in[0], "disabled") {
			return "(disabled)"
		}
		return attr(in[0], "value")
	}
	for name, want := range map[string]string{"device": "sw1", "trap": "IF-MIB::linkUp", "listener": "", "text": "", "limit": "10", "paused": "1"} {
		if got := value(name); got != want {
			t.Errorf("input %s = %q, want %q", name, got, want)
		}
	}
	if len(p.find(func(n *html.Node) bool {
		return attr(n, "href") == "./api/v1/traps?device=sw1&limit=10&trap=IF-MIB%3A%3AlinkUp"
	})) != 1 {
		t.Error("the JSON link does not carry the filters")
	}
	if len(p.find(func(n *html.Node) bool { return attr(n, "href") == "./traps/refused?paused=1" })) != 1 {
		t.Error("the refused tab does not keep the pause")
	}
	if !strings.Contains(p.text, "1 trap, newest first (at most 10; the ring keeps 50)") {
		t.Errorf("count line missing: %q", p.text)
	}
	w = get(t, h, http.MethodGet, "/traps?device=nope")
	if !strings.Contains(parsePage(t, w.Body.String()).text, "No traps match.") {
		t.Error("no 'No traps match.' for a filter that selects nothing")
	}
}

// A bad parameter is a 400 page that says what is wrong, with the same
// policy; other methods are a 405.
func TestPageErrors(t *testing.T) {
	h := newHistory(t)
	for _, tc := range []struct {
		target string
		want   string
	}{
		{"/traps?since=soon", `since: "soon" is not an RFC 3339 time`},
		{"/traps?limit=-5", `limit: "-5" is not an integer from 1 to 50`},
		{"/traps?paused=yes", `paused: "yes" is not 0 or 1`},
		{"/traps?source=1.2.3.4", `unknown parameter "source"`},
		{"/traps/refused?device=x", `unknown parameter "device"`},
		{"/traps?x=%3Cb%3E", `unknown parameter "<b>"`},
	} {
		w := get(t, h, http.MethodGet, strings.Replace(tc.target, "?x=", "?%3Cb%3E=", 1))
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d", tc.target, w.Code)
		}
		checkHeaders(t, w, "text/html; charset=utf-8")
		p := parsePage(t, w.Body.String())
		p.safe(t)
		alerts := p.find(func(n *html.Node) bool { return attr(n, "role") == "alert" })
		if len(alerts) != 1 || !strings.Contains(textOf(alerts[0]), tc.want) {
			t.Errorf("%s: no alert saying %q:\n%s", tc.target, tc.want, w.Body)
		}
		if len(p.find(func(n *html.Node) bool { return n.Data == "details" || attr(n, "id") == "count" })) != 0 {
			t.Errorf("%s: records shown beside the error", tc.target)
		}
	}
	if w := get(t, h, http.MethodPost, "/traps"); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /traps: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

// /traps/refused lists the refused ring: time, listener, source, version,
// result, size and the head of what was not SNMP, as text and hex.
func TestPageRefused(t *testing.T) {
	h := newHistory(t)
	w := get(t, h, http.MethodGet, "/traps/refused")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	checkHeaders(t, w, "text/html; charset=utf-8")
	p := parsePage(t, w.Body.String())
	p.safe(t)
	rows := p.find(func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-seq") != "" })
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	first := textOf(rows[0])
	for _, want := range []string{"2026-03-01 12:02:00.000", "udp://:412", "198.51.100.9:5555", "not_snmp", "43",
		"GET /<script>alert(2)</script> HTTP/1.0....", "474554202f3c736372697074"} {
		if !strings.Contains(first, want) {
			t.Errorf("not_snmp row %q lacks %q", first, want)
		}
	}
	if !strings.Contains(textOf(rows[2]), "v2c") || !strings.Contains(textOf(rows[2]), "community_rejected") {
		t.Errorf("oldest row: %q", textOf(rows[2]))
	}
	for _, sel := range []struct{ tag, key, val string }{
		{"script", "src", "../traps/app.js"}, {"form", "action", "../traps/refused"}, {"a", "href", "../traps"},
		{"a", "href", "../api/v1/refused"}, {"input", "name", "source"}, {"a", "id", "tab-refused"},
	} {
		if len(p.find(func(n *html.Node) bool { return n.Data == sel.tag && attr(n, sel.key) == sel.val })) != 1 {
			t.Errorf("no <%s %s=%q>", sel.tag, sel.key, sel.val)
		}
	}
	if tab := p.find(func(n *html.Node) bool { return attr(n, "id") == "tab-refused" }); attr(tab[0], "aria-current") != "page" {
		t.Error("the refused tab is not marked current")
	}
	w = get(t, h, http.MethodGet, "/traps/refused?listener=udp%3A%2F%2F%3A162")
	if rows := parsePage(t, w.Body.String()).find(func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-seq") != "" }); len(rows) != 1 {
		t.Errorf("listener filter: %d rows, want 1", len(rows))
	}
}

// With the rings off the page says so.
func TestPageRingsOff(t *testing.T) {
	h := traps.New(traps.Options{})
	for target, want := range map[string]string{
		"/traps":         "The history is off (--trap.history.size=0).",
		"/traps/refused": "The refused ring is off (--trap.history.rejected-size=0).",
	} {
		if w := get(t, h, http.MethodGet, target); w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("%s: %d, want %q", target, w.Code, want)
		}
	}
}

// The script and style sheet come from the binary, under the same policy.
func TestAssets(t *testing.T) {
	h := traps.New(traps.Options{})
	for path, ct := range map[string]string{PathScript: "text/javascript; charset=utf-8", PathStyle: "text/css; charset=utf-8"} {
		w := get(t, h, http.MethodGet, path)
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("%s: %d, %d bytes", path, w.Code, w.Body.Len())
		}
		checkHeaders(t, w, ct)
	}
	// The script builds no markup from strings: it moves the server's
	// escaped nodes and sets text only.
	js := get(t, h, http.MethodGet, PathScript).Body.String()
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout('", "http://", "https://"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}
