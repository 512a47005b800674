package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A telemetry path that another page already uses, or that ServeMux cannot
// parse, is a start error naming the flag, not a panic.
func TestRoutesTelemetryPath(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics here")) })
	var ready atomic.Bool
	for _, path := range []string{"/config", "/traps", "/traps/refused", "/api/v1/traps", "/-/healthy", "metrics", "GET /metrics", "/m/{x}"} {
		_, err := routes(metrics, path, &ready, nil, nil, landingMIBs{})
		if err == nil || !strings.Contains(err.Error(), "--web.telemetry-path") {
			t.Errorf("path %q: err = %v, want an error naming --web.telemetry-path", path, err)
		}
	}
	for _, path := range []string{"/metrics", "/", "/snmp/metrics", "/traps/metrics"} {
		h, err := routes(metrics, path, &ready, nil, nil, landingMIBs{})
		if err != nil {
			t.Errorf("path %q: %v", path, err)
			continue
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Body.String() != "metrics here" {
			t.Errorf("path %q serves %q, want the metrics handler", path, rec.Body.String())
		}
	}
}
