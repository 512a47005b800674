package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
)

// The landing page counts the notifications of each source of names, as
// they are at the request: a reload of --mib.dir changes them.
func TestLandingPageMIBSources(t *testing.T) {
	stats := loader.Stats{BySource: map[string]loader.SourceCount{
		mib.SourceBuiltin: {Modules: 30, Notifications: 45},
		mib.SourceVendor:  {Modules: 1200, Notifications: 21735},
	}}
	var current atomic.Pointer[loader.Stats]
	current.Store(&stats)
	var ready atomic.Bool
	metrics := http.NotFoundHandler()
	h, err := routes(metrics, "/metrics", &ready, nil, nil, landingMIBs{
		Stats: func() loader.Stats { return *current.Load() }, Vendor: true, Dirs: []string{"/etc/mibs/<x>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=UTF-8" {
			t.Fatalf("GET /: %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		return rec.Body.String()
	}
	body := get()
	for _, want := range []string{
		"<tr><td>built in</td><td>45</td><td>30</td>",
		"<tr><td>vendor table</td><td>21735</td><td>1200</td>",
		"<tr><td>--mib.dir</td><td>0</td><td>0</td><td>/etc/mibs/&lt;x&gt;</td>", // escaped
		`href="/metrics"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "debug/pprof") {
		t.Errorf("landing page links to pprof, which is not served:\n%s", body)
	}

	// A reload loaded --mib.dir: the next request shows it.
	reloaded := loader.Stats{BySource: map[string]loader.SourceCount{
		mib.SourceBuiltin: {Modules: 30, Notifications: 44},
		mib.SourceVendor:  {Modules: 1200, Notifications: 21735},
		mib.SourceMIBDir:  {Modules: 1, Notifications: 2},
	}}
	current.Store(&reloaded)
	if body := get(); !strings.Contains(body, "<tr><td>--mib.dir</td><td>2</td><td>1</td>") || !strings.Contains(body, "<td>built in</td><td>44</td>") {
		t.Errorf("landing page after a reload:\n%s", body)
	}

	// With --no-mib.vendor the page says the table is off.
	h, err = routes(metrics, "/metrics", &ready, nil, nil, landingMIBs{Stats: func() loader.Stats { return stats }})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), "off (--no-mib.vendor)") || !strings.Contains(rec.Body.String(), "no --mib.dir") {
		t.Errorf("landing page with the vendor table off:\n%s", rec.Body.String())
	}
	// Any other path is not the landing page.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/nothing", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", rec.Code)
	}
}
