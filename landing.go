package main

import (
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/trapsweb"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
)

// landingMIBs is what the landing page says of the MIB names: the
// manager's counts (which a reload of --mib.dir changes) and the flags
// that chose the sources.
type landingMIBs struct {
	Stats  func() loader.Stats // nil: the page says nothing of the names
	Vendor bool                // --mib.vendor
	Dirs   []string            // --mib.dir
}

// landingPage is the page at "/": the links, and how many notifications
// each source of names contributed. The counts change when a reload loads
// --mib.dir again, so the page is made for each request (a template of a
// page, rarely asked for).
func landingPage(metricsPath string, mibs landingMIBs) (http.Handler, error) {
	build := func(extra string) (*web.LandingPageHandler, error) {
		return web.NewLandingPage(web.LandingConfig{
			Name:        "SNMP Trap Exporter",
			Description: "Receives SNMP traps and informs and exports them as Prometheus metrics",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: metricsPath, Text: "Metrics"},
				{Address: trapsweb.PathTraps, Text: "Recent traps"},
				{Address: trapsweb.PathRefused, Text: "Refused messages"},
				{Address: trapsweb.PathAPITraps, Text: "Recent traps (JSON)"},
				{Address: "/config", Text: "Configuration (secrets redacted)"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
			ExtraHTML: extra,
			ExtraCSS:  "#mibs th, #mibs td { text-align: left; padding-right: 1.5em; vertical-align: top; }",
			Profiling: "false", // no /debug/pprof is served
		})
	}
	// Checked once at start without the counts, which take a pass over
	// some 40,000 definitions (the first scrape or page view makes them).
	if _, err := build(""); err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := build(mibs.html())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h.ServeHTTP(w, r)
	}), nil
}

// html is the table of the sources of names, highest precedence last as
// in the README: built in, the vendor table, --mib.dir. The landing page's
// template does not escape ExtraHTML; the directories are escaped here.
func (m landingMIBs) html() string {
	if m.Stats == nil {
		return ""
	}
	s := m.Stats()
	var b strings.Builder
	b.WriteString("<div id=\"mibs\"><h3>Trap names</h3>\n<table>\n<tr><th>source</th><th>notifications</th><th>modules</th><th></th></tr>\n")
	row := func(label, source, note string) {
		c := s.BySource[source]
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%s</td></tr>\n", label, c.Notifications, c.Modules, html.EscapeString(note))
	}
	row("built in", mib.SourceBuiltin, "IETF, net-snmp and SynOptics MIBs")
	vendorNote := "compiled from vendors' MIBs; names that the built-in MIBs or --mib.dir define at the same OID win"
	if !m.Vendor {
		vendorNote = "off (--no-mib.vendor)"
	}
	row("vendor table", mib.SourceVendor, vendorNote)
	dirNote := "no --mib.dir"
	if len(m.Dirs) > 0 {
		dirNote = strings.Join(m.Dirs, ", ")
	}
	row("--mib.dir", mib.SourceMIBDir, dirNote)
	b.WriteString("</table>\n<p>A trap whose OID no source names is counted under the numeric OID; <code>snmptrap_exporter translate OID</code> says which source names it.</p></div>\n")
	return b.String()
}
