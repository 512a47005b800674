// Package dashboards holds the Grafana dashboards; this test keeps them
// portable (a datasource variable, a fixed uid, no hard-coded instance) and
// in step with the metrics the exporter emits. The end-to-end suite checks
// that every query parses as PromQL.
package dashboards

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type target struct {
	Expr       string         `json:"expr"`
	Datasource map[string]any `json:"datasource"`
}

type link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

type panel struct {
	ID          int            `json:"id"`
	Title       string         `json:"title"`
	Type        string         `json:"type"`
	Datasource  map[string]any `json:"datasource"`
	Targets     []target       `json:"targets"`
	Links       []link         `json:"links"` // panel links, in the panel's header
	FieldConfig struct {
		Defaults struct {
			Links []link `json:"links"` // data links, on each series or table row
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Panels  []panel `json:"panels"` // a collapsed row's panels
	GridPos struct {
		X, Y, W, H int
	} `json:"gridPos"`
}

type variable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Query any    `json:"query"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Links      []link  `json:"links"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// allPanels returns the dashboard's panels, those inside collapsed rows
// too, without the rows themselves.
func (d dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

var metricName = regexp.MustCompile(`\bsnmptrap_[a-z0-9_]+`)

// queryVariable is a Grafana variable in a query: $name or ${name}.
var queryVariable = regexp.MustCompile(`\$(?:\{(\w+)[^}]*\}|(\w+))`)

// declaredName finds the metric names the Go sources give to a metric: a
// prometheus Opts `Name:`, a NewDesc's first argument, or a constant (the
// built-in rules' metrics in rules/builtin.go). A bare list of names, such as
// the reserved names in config/rules.go, does not count.
var declaredName = regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*|=\s*)"(snmptrap_[a-z0-9_]+)"`)

// exportedMetrics returns the metric names the exporter emits: those in the
// collector's golden exposition, the exporter's other self-metrics (storage,
// reload, MIBs), the built-in rules' metrics, and the build-info metric.
// Metrics of user-defined rules are not here: the bundled dashboards and
// alerts must not rely on them.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "collector", "testdata", "exporter.prom"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"snmptrap_exporter_build_info": true}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
		}
	}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "vendor", "e2e", "dashboards", "cmd", "scripts":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range declaredName.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = d
	}
	return out
}

func TestDashboards(t *testing.T) {
	known := exportedMetrics(t)
	uids := map[string]string{}
	for file, d := range loadDashboards(t) {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid and title must be set so links and provisioning stay stable", file)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q also used by %s", file, d.UID, other)
		}
		uids[d.UID] = file
		hasDS := false
		for _, v := range d.Templating.List {
			if v.Name == "datasource" && v.Type == "datasource" {
				hasDS = true
			}
		}
		if !hasDS {
			t.Errorf("%s: no ${datasource} variable", file)
		}
		defined := map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}
		for _, v := range d.Templating.List {
			defined[v.Name] = true
		}
		if len(d.allPanels()) == 0 {
			t.Errorf("%s: no panels", file)
		}
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if p.Type == "row" {
				ids[p.ID] = true
			}
		}
		for _, p := range d.allPanels() {
			if ids[p.ID] {
				t.Errorf("%s: panel %q: id %d is not unique", file, p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.Datasource["uid"] != "${datasource}" {
				t.Errorf("%s: panel %q: datasource %v, want uid ${datasource}", file, p.Title, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no queries", file, p.Title)
			}
			for _, tg := range p.Targets {
				if tg.Datasource["uid"] != "${datasource}" {
					t.Errorf("%s: panel %q: target datasource %v", file, p.Title, tg.Datasource)
				}
				if !strings.Contains(tg.Expr, `instance=~"$instance"`) || strings.Contains(tg.Expr, `instance="`) {
					t.Errorf("%s: panel %q: query must select instance=~\"$instance\" and nothing fixed: %s", file, p.Title, tg.Expr)
				}
				for _, v := range queryVariable.FindAllStringSubmatch(tg.Expr, -1) {
					if !defined[v[1]+v[2]] {
						t.Errorf("%s: panel %q: query uses $%s, which the dashboard does not define", file, p.Title, v[1]+v[2])
					}
				}
				for _, m := range metricName.FindAllString(tg.Expr, -1) {
					if !known[m] {
						t.Errorf("%s: panel %q uses %s, which the exporter does not emit", file, p.Title, m)
					}
				}
			}
		}
	}
}

// TestAlertRulesUseExportedMetrics keeps alerts/ in step with the exporter:
// promtool proves the rules parse and fire, this proves they ask for
// metrics that exist.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	known := exportedMetrics(t)
	files, _ := filepath.Glob(filepath.Join("..", "alerts", "*.rules.yml"))
	if len(files) == 0 {
		t.Fatal("no alert rules in ../alerts")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, expr := range ruleExprs(string(b)) {
			n++
			for _, m := range metricName.FindAllString(expr, -1) {
				if !known[m] {
					t.Errorf("%s: %s uses %s, which the exporter does not emit", f, expr, m)
				}
			}
		}
		if rules := strings.Count(string(b), "- alert:") + strings.Count(string(b), "- record:"); n != rules || n == 0 {
			t.Errorf("%s: read %d exprs for %d rules", f, n, rules)
		}
	}
}

// ruleExprs returns each rule's expr, also the multi-line ones (`expr: |`
// and the lines indented below it).
func ruleExprs(yml string) []string {
	var out []string
	lines := strings.Split(yml, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		rest, ok := strings.CutPrefix(trimmed, "expr:")
		if !ok {
			continue
		}
		indent := len(lines[i]) - len(trimmed)
		expr := strings.TrimSpace(rest)
		for i+1 < len(lines) {
			next := lines[i+1]
			if strings.TrimSpace(next) != "" && len(next)-len(strings.TrimLeft(next, " ")) <= indent {
				break
			}
			expr += " " + strings.TrimSpace(next)
			i++
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(expr, "|")))
	}
	return out
}
