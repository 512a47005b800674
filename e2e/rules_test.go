package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertRules runs the alert rules' unit tests with promtool.
func TestAlertRules(t *testing.T) {
	need(t)
	out, err := exec.Command("promtool", "test", "rules", filepath.Join("..", "alerts", "snmptrap.rules.test.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	out, err = exec.Command("promtool", "check", "rules", filepath.Join("..", "alerts", "snmptrap.rules.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestDashboardQueries proves every dashboard query is valid PromQL: with
// Grafana's variables replaced, each becomes a recording rule and promtool
// checks the file.
func TestDashboardQueries(t *testing.T) {
	need(t)
	files, err := filepath.Glob(filepath.Join("..", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h",
		"$instance", ".+", "$device", ".+", "$listener", ".+")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard-queries\n    rules:\n")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		type panel struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
			Panels []panel `json:"panels"` // a collapsed row's
		}
		var d struct {
			Panels []panel `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var panels []panel
		for _, p := range d.Panels {
			panels = append(append(panels, p), p.Panels...)
		}
		for _, p := range panels {
			for _, tg := range p.Targets {
				n++
				q, _ := json.Marshal(vars.Replace(tg.Expr)) // a JSON string is a YAML string
				fmt.Fprintf(&rules, "      - record: dashboard:query_%d\n        expr: %s\n", n, q)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "queries.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("promtool", "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules on %d dashboard queries: %v\n%s\n%s", n, err, out, rules.String())
	}
	if !strings.Contains(string(out), fmt.Sprintf("SUCCESS: %d rules found", n)) {
		t.Fatalf("promtool checked something else than the %d queries:\n%s", n, out)
	}
}
