package trapsweb

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

func decode[T any](t *testing.T, w interface{ Result() *http.Response }) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(w.Result().Body).Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

// The answer is {"records": [...]}, newest first, as JSON, never cached.
func TestAPITrapsShape(t *testing.T) {
	w := get(t, newHistory(t), http.MethodGet, "/api/v1/traps")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil || len(raw) != 1 || raw["records"] == nil {
		t.Fatalf("answer is not {\"records\": [...]}: %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "<img") {
		t.Error("< is not escaped in the JSON")
	}
	resp := decode[trapsResponse](t, w)
	var seqs []uint64
	for _, r := range resp.Records {
		seqs = append(seqs, r.Seq)
	}
	if !slices.Equal(seqs, []uint64{4, 3, 2, 1}) {
		t.Errorf("seqs %v, want newest first", seqs)
	}
	if r := resp.Records[0]; r.Device != "sw1" || r.Trap != "IF-MIB::linkDown" || len(r.Varbinds) != 4 || r.Varbinds[3].Value != `"`+xss+`"` ||
		len(r.Changes) != 1 || r.Changes[0].Series != `snmptrap_interface_up{device="sw1",ifIndex="2"}` {
		t.Errorf("newest record: %+v", r)
	}
}

// Each parameter selects what it says.
func TestAPITrapsParameters(t *testing.T) {
	h := newHistory(t)
	for _, tc := range []struct {
		query string
		want  []uint64
	}{
		{"device=sw1", []uint64{4, 3, 1}},
		{"device=sw2", []uint64{2}},
		{"device=nope", nil},
		{"trap=IF-MIB::linkUp", []uint64{3, 2}},
		{"trap=1.3.6.1.6.3.1.1.5.3", []uint64{4, 1}},
		{"trap=.1.3.6.1.6.3.1.1.5", []uint64{4, 3, 2, 1}}, // an OID prefix, leading dot or not
		{"listener=tcp://:412", []uint64{3}},
		{"text=UPLINK", []uint64{3, 1}},          // any rendered value, any case
		{"text=onerror", []uint64{4}},            // the payload, as text
		{"text=ifIndex=%222%22", []uint64{4, 1}}, // the derived change
		{"since=2026-03-01T12:01:00Z", []uint64{4, 3, 2}},
		{"since=2026-03-01T13:01:30%2B01:00", []uint64{4, 3}}, // 12:01:30Z
		{"after=2", []uint64{4, 3}},
		{"limit=1", []uint64{4}},
		{"limit=50", []uint64{4, 3, 2, 1}},
		{"device=sw1&trap=IF-MIB::linkDown&limit=1", []uint64{4}},
		{"device=&trap=&text=", []uint64{4, 3, 2, 1}}, // empty is none, as a form sends it
	} {
		w := get(t, h, http.MethodGet, "/api/v1/traps?"+tc.query)
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", tc.query, w.Code, w.Body)
			continue
		}
		var got []uint64
		for _, r := range decode[trapsResponse](t, w).Records {
			got = append(got, r.Seq)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: seqs %v, want %v", tc.query, got, tc.want)
		}
	}
}

// Without limit, a request gets DefaultLimit records (or the ring's size
// when that is smaller).
func TestAPIDefaultLimit(t *testing.T) {
	for _, size := range []int{3, 150} {
		h := traps.New(traps.Options{Size: size})
		for range 200 {
			h.Admitted(&traps.Admitted{Device: "d", Trap: "t"})
		}
		got := len(decode[trapsResponse](t, get(t, h, http.MethodGet, "/api/v1/traps")).Records)
		if want := min(size, DefaultLimit); got != want {
			t.Errorf("ring of %d: %d records, want %d", size, got, want)
		}
	}
}

// A bad parameter is a 400 with {"error": "..."} naming it; so is a
// parameter the endpoint does not take. Other methods than GET and HEAD
// are a 405.
func TestAPIErrors(t *testing.T) {
	h := newHistory(t)
	for _, tc := range []struct {
		method, target string
		status         int
		want           string
	}{
		{"GET", "/api/v1/traps?since=yesterday", 400, `since: "yesterday" is not an RFC 3339 time`},
		{"GET", "/api/v1/traps?since=2026-03-01", 400, `since: "2026-03-01" is not an RFC 3339 time`},
		{"GET", "/api/v1/traps?limit=ten", 400, `limit: "ten" is not an integer from 1 to 50 (the ring's size)`},
		{"GET", "/api/v1/traps?limit=-1", 400, `limit: "-1" is not an integer from 1 to 50`},
		{"GET", "/api/v1/traps?limit=0", 400, `limit: "0" is not an integer from 1 to 50`},
		{"GET", "/api/v1/traps?limit=51", 400, `limit: "51" is not an integer from 1 to 50`},
		{"GET", "/api/v1/traps?after=-3", 400, `after: "-3" is not a sequence number`},
		{"GET", "/api/v1/traps?devcie=sw1", 400, `unknown parameter "devcie" (this endpoint takes device, trap, listener, text, since, after, limit)`},
		{"GET", "/api/v1/traps?paused=1", 400, `unknown parameter "paused"`},
		{"GET", "/api/v1/traps?device=sw1&device=sw2", 400, `parameter "device" given 2 times`},
		{"GET", "/api/v1/refused?limit=21", 400, `limit: "21" is not an integer from 1 to 20`},
		{"GET", "/api/v1/refused?device=x", 400, `unknown parameter "device" (this endpoint takes listener, source, since, limit)`},
		{"GET", "/api/v1/refused?text=x", 400, `unknown parameter "text"`},
		{"POST", "/api/v1/traps", 405, "method POST not allowed (GET or HEAD)"},
		{"DELETE", "/api/v1/refused", 405, "method DELETE not allowed (GET or HEAD)"},
	} {
		w := get(t, h, tc.method, tc.target)
		if w.Code != tc.status || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: status %d, Content-Type %q, want %d JSON", tc.method, tc.target, w.Code, w.Header().Get("Content-Type"), tc.status)
		}
		var e map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || len(e) != 1 || !strings.HasPrefix(e["error"], tc.want) {
			t.Errorf("%s %s: body %s, want {\"error\": %q...}", tc.method, tc.target, w.Body, tc.want)
		}
		if tc.status == 405 && w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tc.method, tc.target, w.Header().Get("Allow"))
		}
	}
}

// /api/v1/refused: the refused ring, newest first, by listener, source,
// since and limit.
func TestAPIRefused(t *testing.T) {
	h := newHistory(t)
	for _, tc := range []struct {
		query string
		want  []string // results
	}{
		{"", []string{"not_snmp", "malformed", "community_rejected"}},
		{"listener=" + url.QueryEscape("udp://:412"), []string{"not_snmp", "malformed"}},
		{"source=198.51.100.9", []string{"not_snmp", "community_rejected"}},
		{"since=2026-03-01T12:01:00Z", []string{"not_snmp", "malformed"}},
		{"limit=1", []string{"not_snmp"}},
		{"source=192.0.2.200", []string{}},
	} {
		w := get(t, h, http.MethodGet, "/api/v1/refused?"+tc.query)
		if w.Code != http.StatusOK {
			t.Errorf("%q: status %d: %s", tc.query, w.Code, w.Body)
			continue
		}
		if strings.Contains(w.Body.String(), `"records":null`) {
			t.Errorf("%q: records is null, want []", tc.query)
		}
		got := []string{}
		for _, r := range decode[refusedResponse](t, w).Records {
			got = append(got, r.Result)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: results %v, want %v", tc.query, got, tc.want)
		}
	}
	r := decode[refusedResponse](t, get(t, h, http.MethodGet, "/api/v1/refused?limit=1")).Records[0]
	if r.Listener != "udp://:412" || r.Source != "198.51.100.9:5555" || r.Size != 43 || !strings.HasPrefix(r.Head, "474554202f3c") {
		t.Errorf("not_snmp record: %+v", r)
	}
}

// With the rings off, the API answers empty lists, and limit 1 is the
// only one.
func TestAPIRingsOff(t *testing.T) {
	h := traps.New(traps.Options{})
	for _, target := range []string{"/api/v1/traps", "/api/v1/traps?limit=1", "/api/v1/refused"} {
		if w := get(t, h, http.MethodGet, target); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `{"records":[]}`) {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	if w := get(t, h, http.MethodGet, "/api/v1/traps?limit=2"); w.Code != http.StatusBadRequest {
		t.Errorf("limit=2 on a ring of none: %d %s", w.Code, w.Body)
	}
}
