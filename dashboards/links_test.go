package dashboards

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// trapsKeys are the labels the exporter's /traps page filters on, and
// trapsParams the query parameters it takes.
var (
	trapsKeys   = []string{"device", "trap"}
	trapsParams = []string{"device", "trap", "listener", "text", "tab"}
)

// fieldVar is a data link's reference to a series label
// (${__field.labels.x}) or to a table row's column (${__data.fields.x}),
// with its format.
var fieldVar = regexp.MustCompile(`\$\{__(field\.labels|data\.fields)\.([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?\}`)

// keptLabels returns the labels the series of a panel's queries carry.
func keptLabels(t *testing.T, file string, p panel, metrics map[string][]string) map[string]bool {
	t.Helper()
	kept := map[string]bool{}
	for _, tg := range p.Targets {
		s, err := outputLabels(tg.Expr, metrics)
		if err != nil {
			t.Errorf("%s: panel %q: cannot tell the labels of %s: %v", file, p.Title, tg.Expr, err)
			continue
		}
		for n := range s.names {
			kept[n] = true
		}
	}
	return kept
}

// TestDataLinks: a panel whose series carry device or trap links each one
// to the exporter's /traps page filtered on exactly those labels; a link
// only names labels its panel's series have, percent-encoded; links to the
// exporter go through the dashboard's exporter_url variable.
func TestDataLinks(t *testing.T) {
	metrics := metricLabels(t)
	for file, d := range loadDashboards(t) {
		usesExporterURL := false
		checkExporterLink := func(where, raw string) {
			if strings.Contains(raw, "${exporter_url}") {
				usesExporterURL = true
			}
			if !strings.Contains(raw, "/traps") {
				return
			}
			if !strings.HasPrefix(raw, "${exporter_url}/traps") {
				t.Errorf("%s: %s: a link to the exporter must start with ${exporter_url}/traps: %s", file, where, raw)
				return
			}
			u, err := url.Parse(strings.TrimPrefix(fieldVar.ReplaceAllString(raw, "x"), "${exporter_url}"))
			if err != nil {
				t.Errorf("%s: %s: %s: %v", file, where, raw, err)
				return
			}
			for k, v := range u.Query() {
				if !slices.Contains(trapsParams, k) {
					t.Errorf("%s: %s: /traps takes no parameter %q: %s", file, where, k, raw)
				}
				if k == "tab" && (len(v) != 1 || v[0] != "refused") {
					t.Errorf("%s: %s: /traps has no tab %v: %s", file, where, v, raw)
				}
			}
		}
		for _, l := range d.Links {
			checkExporterLink("dashboard link "+l.Title, l.URL)
			if fieldVar.MatchString(l.URL) {
				t.Errorf("%s: dashboard link %q uses a series variable: %s", file, l.Title, l.URL)
			}
		}
		for _, p := range d.allPanels() {
			kept := keptLabels(t, file, p, metrics)
			for _, l := range p.Links {
				checkExporterLink("panel "+p.Title, l.URL)
				if fieldVar.MatchString(l.URL) {
					t.Errorf("%s: panel %q: a panel link has no series, use a data link: %s", file, p.Title, l.URL)
				}
			}
			want := "field.labels"
			if p.Type == "table" {
				want = "data.fields" // a table's labels are its columns
			}
			linked := map[string]bool{} // the labels of the /traps data link
			for _, l := range p.FieldConfig.Defaults.Links {
				checkExporterLink("panel "+p.Title, l.URL)
				for _, m := range fieldVar.FindAllStringSubmatch(l.URL, -1) {
					if m[1] != want {
						t.Errorf("%s: panel %q (%s): use ${__%s.%s}, not %s", file, p.Title, p.Type, want, m[2], m[0])
					}
					if !kept[m[2]] {
						t.Errorf("%s: panel %q: link uses label %s, which its series do not carry: %s", file, p.Title, m[2], l.URL)
					}
					if m[3] != "percentencode" {
						t.Errorf("%s: panel %q: %s must be percent-encoded (:percentencode)", file, p.Title, m[0])
					}
				}
				if !strings.HasPrefix(l.URL, "${exporter_url}/traps?") || strings.Contains(l.URL, "tab=") {
					continue
				}
				u, _ := url.Parse(strings.TrimPrefix(l.URL, "${exporter_url}"))
				for _, k := range trapsKeys {
					if v := u.Query().Get(k); v != "" {
						linked[k] = true
						if v != "${__"+want+"."+k+":percentencode}" {
							t.Errorf("%s: panel %q: %s=%s, want the series' own %s", file, p.Title, k, v, k)
						}
					}
				}
			}
			for _, k := range trapsKeys {
				if kept[k] && !linked[k] {
					t.Errorf("%s: panel %q: its series carry %s but no data link opens ${exporter_url}/traps?%s=${__%s.%s:percentencode}",
						file, p.Title, k, k, want, k)
				}
			}
		}
		if !usesExporterURL {
			continue
		}
		var v *variable
		for i := range d.Templating.List {
			if d.Templating.List[i].Name == "exporter_url" {
				v = &d.Templating.List[i]
			}
		}
		switch {
		case v == nil:
			t.Errorf("%s: links use ${exporter_url}, but there is no exporter_url variable", file)
		case v.Type != "textbox" && v.Type != "constant":
			t.Errorf("%s: exporter_url is a %s variable, want textbox or constant", file, v.Type)
		default:
			if q, _ := v.Query.(string); !strings.HasPrefix(q, "http://") && !strings.HasPrefix(q, "https://") {
				t.Errorf("%s: exporter_url's default %v is not a URL", file, v.Query)
			}
		}
	}
}

// refused is how a query selects refused messages: every result but
// accepted, duplicate and discovery (SNMPv3 engine discovery, normal).
const refused = `result!~"accepted|duplicate|discovery"`

// TestRefusedLinks: there is one definition of refused traffic, and a
// panel counting it links to the exporter's Refused tab; when its series
// carry listener, each series links to that listener's refused messages.
func TestRefusedLinks(t *testing.T) {
	metrics := metricLabels(t)
	for file, d := range loadDashboards(t) {
		for _, p := range d.allPanels() {
			counts := false
			for _, tg := range p.Targets {
				if strings.Count(tg.Expr, "result!~") != strings.Count(tg.Expr, refused) {
					t.Errorf("%s: panel %q: select refused messages with %s: %s", file, p.Title, refused, tg.Expr)
				}
				counts = counts || strings.Contains(tg.Expr, refused)
			}
			if !counts {
				continue
			}
			if !slices.ContainsFunc(p.Links, func(l link) bool { return l.URL == "${exporter_url}/traps?tab=refused" }) {
				t.Errorf("%s: panel %q counts refused messages but has no panel link to ${exporter_url}/traps?tab=refused", file, p.Title)
			}
			if !keptLabels(t, file, p, metrics)["listener"] {
				continue
			}
			kind := "field.labels"
			if p.Type == "table" {
				kind = "data.fields"
			}
			want := "${exporter_url}/traps?tab=refused&listener=${__" + kind + ".listener:percentencode}"
			if !slices.ContainsFunc(p.FieldConfig.Defaults.Links, func(l link) bool { return l.URL == want }) {
				t.Errorf("%s: panel %q: its refused series carry listener but no data link opens %s", file, p.Title, want)
			}
		}
	}
}

// TestListenersDashboard: the listeners on port 412 have their own row, and
// only its panels are about them.
func TestListenersDashboard(t *testing.T) {
	d, ok := loadDashboards(t)["snmptrap-listeners.json"]
	if !ok {
		t.Fatal("no snmptrap-listeners.json")
	}
	const port412 = `listener=~".*:412"`
	var rows []panel
	for _, p := range d.Panels {
		if p.Type == "row" {
			if len(p.Panels) > 0 {
				t.Errorf("row %q is collapsed: keep the rows open", p.Title)
			}
			rows = append(rows, p)
		}
	}
	slices.SortFunc(rows, func(a, b panel) int { return a.GridPos.Y - b.GridPos.Y })
	rowOf := func(p panel) string {
		title := ""
		for _, r := range rows {
			if r.GridPos.Y <= p.GridPos.Y {
				title = r.Title
			}
		}
		return title
	}
	in412 := 0
	for _, p := range d.allPanels() {
		about412 := len(p.Targets) > 0
		for _, tg := range p.Targets {
			about412 = about412 && strings.Contains(tg.Expr, port412)
		}
		row412 := strings.Contains(rowOf(p), "412")
		if row412 {
			in412++
		}
		if about412 != row412 {
			t.Errorf("panel %q in row %q: its queries select %s: %v", p.Title, rowOf(p), port412, about412)
		}
	}
	if in412 == 0 {
		t.Error("no row of panels for the port 412 listeners")
	}
}

// TestDashboardLinks: links between the dashboards name a bundled
// dashboard's uid.
func TestDashboardLinks(t *testing.T) {
	all := loadDashboards(t)
	uids := map[string]bool{}
	for _, d := range all {
		uids[d.UID] = true
	}
	for file, d := range all {
		for _, l := range d.Links {
			rest, ok := strings.CutPrefix(l.URL, "/d/")
			if !ok {
				continue
			}
			if uid, _, _ := strings.Cut(rest, "?"); !uids[strings.Split(uid, "/")[0]] {
				t.Errorf("%s: link %q: no bundled dashboard has uid %q", file, l.Title, uid)
			}
		}
	}
}
