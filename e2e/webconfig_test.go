package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestWebConfigGuardsEveryPage: under --web.config.file the recent traps,
// their JSON and the refused messages sit behind the same basic auth as
// /metrics, as README says. A trap's varbinds can be as sensitive as the
// counters.
func TestWebConfigGuardsEveryPage(t *testing.T) {
	need(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf("basic_auth_users:\n  prom: %s\n", hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	e := launch(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port), "--web.config.file="+webConfig)

	get := func(path, user, pass string) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+e.web+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(10 * time.Second)
	for get("/-/ready", "prom", "s3cret-pw") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("not ready with credentials after 10s\n%s", e.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	run(t, "snmptrap", "-v", "2c", "-c", "public", fmt.Sprintf("udp:127.0.0.1:%d", port), "", "1.3.6.1.6.3.1.1.5.3")

	for _, path := range []string{"/metrics", "/traps", "/traps/refused", "/traps/app.js", "/api/v1/traps", "/api/v1/refused", "/config"} {
		if got := get(path, "", ""); got != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: status %d, want 401", path, got)
		}
		if got := get(path, "prom", "wrong"); got != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong password: status %d, want 401", path, got)
		}
		if got := get(path, "prom", "s3cret-pw"); got != http.StatusOK {
			t.Errorf("GET %s with credentials: status %d, want 200", path, got)
		}
	}
}
