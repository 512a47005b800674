// Package trapsweb serves the history of traps (internal/traps) over HTTP:
// the JSON API (/api/v1/traps, /api/v1/refused) and the /traps page with
// its refused tab. Everything a device sends is untrusted: the page is an
// html/template with no inline script or style, under a
// Content-Security-Policy that allows only this package's own script and
// style sheet, both embedded in the binary.
package trapsweb

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// DefaultLimit is how many records a request returns when it gives no
// limit (or fewer, when the ring is smaller).
const DefaultLimit = 100

// Paths served.
const (
	PathTraps      = "/traps"
	PathRefused    = "/traps/refused"
	PathScript     = "/traps/app.js"
	PathStyle      = "/traps/app.css"
	PathAPITraps   = "/api/v1/traps"
	PathAPIRefused = "/api/v1/refused"
)

// Register serves the API and the page of h on mux. Like everything else
// on the exporter's mux, they get --web.config.file's TLS and basic auth.
func Register(mux *http.ServeMux, h *traps.History) {
	mux.Handle(PathAPITraps, apiHandler{h: h, refused: false})
	mux.Handle(PathAPIRefused, apiHandler{h: h, refused: true})
	mux.Handle(PathTraps, pageHandler{h: h, refused: false})
	mux.Handle(PathRefused, pageHandler{h: h, refused: true})
	mux.Handle(PathScript, asset{name: "app.js", contentType: "text/javascript; charset=utf-8"})
	mux.Handle(PathStyle, asset{name: "app.css", contentType: "text/css; charset=utf-8"})
}

// The parameters each view takes. The page takes paused besides (its
// auto-refresh state, kept in the URL).
var (
	trapParams    = []string{"device", "trap", "listener", "text", "since", "after", "limit"}
	refusedParams = []string{"listener", "source", "since", "limit"}
)

// request is what a request asks for, parsed and checked.
type request struct {
	query  traps.Query
	limit  int
	paused bool
	// raw holds the parameters as given, for the page's form.
	raw url.Values
}

// parse checks the parameters of a request: each known to the view and
// given at most once, since an RFC 3339 time, after a sequence number,
// limit an integer from 1 to the ring's size. An empty value is the same
// as none (a form sends its empty fields). The errors name the parameter.
func parse(v url.Values, known []string, ringSize int) (request, error) {
	r := request{raw: url.Values{}}
	for name, values := range v {
		if !slices.Contains(known, name) {
			return r, fmt.Errorf("unknown parameter %q (this endpoint takes %s)", name, strings.Join(known, ", "))
		}
		if len(values) > 1 {
			return r, fmt.Errorf("parameter %q given %d times (at most once)", name, len(values))
		}
		if values[0] != "" {
			r.raw.Set(name, values[0])
		}
	}
	maxLimit := max(ringSize, 1)
	r.limit = min(DefaultLimit, maxLimit)
	q := &r.query
	q.Device = r.raw.Get("device")
	if s := r.raw.Get("source"); s != "" {
		q.Device = s // the refused ring matches a source address there
	}
	q.Trap = r.raw.Get("trap")
	q.Listener = r.raw.Get("listener")
	q.Text = r.raw.Get("text")
	if s := r.raw.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return r, fmt.Errorf("since: %q is not an RFC 3339 time such as 2006-01-02T15:04:05Z", s)
		}
		q.Since = t
	}
	if s := r.raw.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return r, fmt.Errorf("after: %q is not a sequence number (a record's seq, 0 or more)", s)
		}
		q.After = n
	}
	if s := r.raw.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return r, fmt.Errorf("limit: %q is not an integer from 1 to %d (the ring's size)", s, maxLimit)
		}
		r.limit = n
	}
	q.Limit = r.limit
	switch s := r.raw.Get("paused"); s {
	case "", "0":
	case "1":
		r.paused = true
	default:
		return r, fmt.Errorf("paused: %q is not 0 or 1", s)
	}
	return r, nil
}

// allowRead answers 405 to anything but GET and HEAD, with fail's body.
func allowRead(w http.ResponseWriter, r *http.Request, fail func(w http.ResponseWriter, status int, msg string)) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	fail(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed (GET or HEAD)")
	return false
}

// noStore marks an answer as the current state, never cached, and not to
// be sniffed as another type.
func noStore(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}
