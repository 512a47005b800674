package trapsweb

import (
	"bytes"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// ContentSecurityPolicy is the pages' policy: nothing but this package's
// own script, style sheet and fetches of the page itself; no inline
// script, event handler attribute or style; no remote content; forms
// submit only here; no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

var page = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"utc":    func(t any) string { return when(t).Format("2006-01-02 15:04:05.000") },
	"rfc":    func(t any) string { return when(t).Format(time.RFC3339Nano) },
	"change": change,
}).ParseFS(assets, "assets/page.html"))

// when is a record's time (or pointer to one, as a summary's first and
// last are) in UTC.
func when(t any) time.Time {
	switch t := t.(type) {
	case time.Time:
		return t.UTC()
	case *time.Time:
		if t != nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// filters are the parameters that select records.
var filters = []string{"device", "trap", "listener", "text", "source", "since", "after"}

// summaryRunes bounds a row's one-line varbind summary.
const summaryRunes = 160

// Varbinds every trap carries, left out of the row's summary.
var summarySkip = []string{"1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0"}

// pageHandler serves /traps (admitted traps) and /traps/refused.
type pageHandler struct {
	h       *traps.History
	refused bool
}

// pageData is what page.html shows.
type pageData struct {
	Refused bool
	// Root leads from the page to the server's root ("./" or "../"),
	// so that the links hold behind a proxy that adds a path prefix.
	Root string
	// Form holds the parameters as given (the form's values); Filtered
	// says whether any of them selects records.
	Form     url.Values
	Filtered bool
	Paused   bool
	Error    string
	Limit    int
	Size     int
	// API is the JSON of what the page shows.
	API     string
	Records []record
	Refusal []refusal
	// Suggestions for the filters, from the records shown.
	Devices, Traps, Listeners []string
}

// record is a trap as a row shows it.
type record struct {
	traps.Record
	Summary string
}

// refusal is a refused message as a row shows it.
type refusal struct {
	traps.Refused
	// Text is Head as characters, a dot for each byte that is not
	// printable ASCII.
	Text string
}

func (p pageHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowRead(w, r, pageError) {
		return
	}
	d := pageData{Refused: p.refused, Root: "./", Size: p.h.Size()}
	known, api := trapParams, PathAPITraps
	if p.refused {
		d.Root, d.Size, known, api = "../", p.h.RefusedSize(), refusedParams, PathAPIRefused
	}
	req, err := parse(r.URL.Query(), slices.Concat(known, []string{"paused"}), d.Size)
	d.Form, d.Paused, d.Limit = req.raw, req.paused, req.limit
	d.Filtered = slices.ContainsFunc(filters, func(k string) bool { return req.raw.Has(k) })
	status := http.StatusOK
	if err != nil {
		d.Error, status = err.Error(), http.StatusBadRequest
	} else {
		d.API = d.Root + strings.TrimPrefix(api, "/")
		if q := apiQuery(req.raw); q != "" {
			d.API += "?" + q
		}
		if p.refused {
			for _, rf := range p.h.RefusedRecords(req.query) {
				d.Refusal = append(d.Refusal, refusal{Refused: rf, Text: headText(rf.Head)})
			}
		} else {
			for _, rec := range p.h.Records(req.query) {
				d.Records = append(d.Records, record{Record: rec, Summary: summary(rec.Varbinds)})
				d.Devices, d.Traps, d.Listeners = add(d.Devices, rec.Device), add(d.Traps, rec.Trap), add(d.Listeners, rec.Listener)
			}
			slices.Sort(d.Devices)
			slices.Sort(d.Traps)
			slices.Sort(d.Listeners)
		}
	}
	var b bytes.Buffer
	if err := page.Execute(&b, d); err != nil {
		pageError(w, http.StatusInternalServerError, "cannot render the page: "+err.Error())
		return
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// apiQuery is the page's query without its own parameter.
func apiQuery(raw url.Values) string {
	v := url.Values{}
	for k, s := range raw {
		if k != "paused" {
			v[k] = s
		}
	}
	return v.Encode()
}

func add(set []string, s string) []string {
	if s == "" || slices.Contains(set, s) {
		return set
	}
	return append(set, s)
}

// summary is a row's line: each varbind but sysUpTime.0 and
// snmpTrapOID.0 as name=value, the name without its module, cut at
// summaryRunes.
func summary(vbs []traps.Varbind) string {
	var b strings.Builder
	for _, vb := range vbs {
		if slices.Contains(summarySkip, vb.OID) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		name := vb.Name
		if _, after, ok := strings.Cut(name, "::"); ok {
			name = after
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(vb.Value)
		if utf8.RuneCountInString(b.String()) > summaryRunes {
			break
		}
	}
	s := b.String()
	if utf8.RuneCountInString(s) > summaryRunes {
		s = string([]rune(s)[:summaryRunes-1]) + "…"
	}
	return s
}

// change is a derived series' change as "series: 1 → 0" ("new → 1" for
// a series the trap made).
func change(c traps.Change) string {
	from := "new"
	if c.From != nil {
		from = strconv.FormatFloat(*c.From, 'g', -1, 64)
	}
	return c.Series + ": " + from + " → " + strconv.FormatFloat(c.To, 'g', -1, 64)
}

// headText shows the first bytes of what was not SNMP as characters.
func headText(h string) string {
	raw, err := hex.DecodeString(h)
	if err != nil {
		return ""
	}
	for i, c := range raw {
		if c < 0x20 || c > 0x7e {
			raw[i] = '.'
		}
	}
	return string(raw)
}

// pageHeaders are the headers of every page and asset: the policy, and
// neither caching nor sniffing nor framing.
func pageHeaders(w http.ResponseWriter) {
	noStore(w)
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

func pageError(w http.ResponseWriter, status int, msg string) {
	pageHeaders(w)
	http.Error(w, msg, status)
}

// asset serves an embedded file.
type asset struct {
	name        string
	contentType string
}

func (a asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowRead(w, r, pageError) {
		return
	}
	b, err := assets.ReadFile("assets/" + a.name)
	if err != nil {
		pageError(w, http.StatusInternalServerError, err.Error())
		return
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", a.contentType)
	w.Write(b)
}
