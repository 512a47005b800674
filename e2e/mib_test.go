package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The loader's test MIBs: a good module (ACME-TRAP-MIB, in a file named
// acme-trap.my), one with a syntax error, one with a missing import, and a
// README.
var mixedMIBs = filepath.Join("..", "mib", "loader", "testdata", "mixed")

// TestMIBDir: names from the built-in table and from --mib.dir, SynOptics in
// both forms, unknown OIDs kept numeric and counted, bad MIB files reported
// by name and line without stopping the start.
func TestMIBDir(t *testing.T) {
	need(t)
	p := freePort(t)
	began := time.Now()
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p), "--mib.dir="+mixedMIBs)
	took := time.Since(began)
	t.Logf("start-up with --mib.dir: %v", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Errorf("start-up took %v, want under 10s", took)
	}
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", "1.3.6.1.4.1.99999.2.0.1",
		"1.3.6.1.4.1.99999.1.1.1.2.3", "i", "2")
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "2")
	run(t, "snmptrap", "-v", "1", "-c", "public", to, "1.3.6.1.4.1.45.1.6.2.4", "127.0.0.1", "6", "4", "")
	// The legacy form of the same SynOptics trap, from a badly converted MIB.
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", "1.3.6.1.4.1.45.1.6.2.4.4")
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", "1.3.6.1.4.1.88888.0.1")

	got := e.waitMetric(t, map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.1",trap="ACME-TRAP-MIB::acmeFanFailure"}`:         1,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`:                      1,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"}`: 2,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="1.3.6.1.4.1.88888.0.1"}`:                 1,
		`snmptrap_traps_untranslated_total`:                                                              1,
		`snmptrap_mib_load_errors_total`:                                                                 2,
	})
	for _, src := range []string{"builtin", "vendor", "mib.dir"} {
		if n := got[`snmptrap_mib_modules_loaded{source="`+src+`"}`]; n < 1 {
			t.Errorf("snmptrap_mib_modules_loaded{source=%q} = %v", src, n)
		}
		if n := got[`snmptrap_mib_notifications{source="`+src+`"}`]; n < 1 {
			t.Errorf("snmptrap_mib_notifications{source=%q} = %v", src, n)
		}
	}
	logs := e.stderr.String()
	for _, re := range []string{
		`level=warn .*msg="problem in MIB file" file=\S*syntax-error\.mib line=\d+`,
		`level=warn .*msg="problem in MIB file" file=\S*missing-import\.mib`,
		// Varbinds are rendered with the operator's MIB in the debug log.
		`msg="trap received" .*trap=ACME-TRAP-MIB::acmeFanFailure varbinds="[^"]*ACME-TRAP-MIB::acmeFanStatus\.3 = failed\(2\)`,
	} {
		if !regexp.MustCompile(re).MatchString(logs) {
			t.Errorf("log lacks %s:\n%s", re, logs)
		}
	}
}

func TestTranslateCommand(t *testing.T) {
	need(t)
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"translate", "1.3.6.1.6.3.1.1.5.3"}, 0, []string{"1.3.6.1.6.3.1.1.5.3 = IF-MIB::linkDown (notification", "IF-MIB::ifOperStatus"}},
		{[]string{"translate", ".1.3.6.1.2.1.2.2.1.8.3"}, 0, []string{"IF-MIB::ifOperStatus.3", "down(2)"}},
		{[]string{"translate", "1.3.6.1.4.1.45.1.6.2.4.4"}, 0, []string{"S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"}},
		{[]string{"--mib.dir=" + mixedMIBs, "translate", "1.3.6.1.4.1.99999.2.0.1"}, 0, []string{"ACME-TRAP-MIB::acmeFanFailure"}},
		{[]string{"translate", "1.3.6.1.4.1.88888.0.1"}, 1, []string{"not in any loaded MIB"}},
	} {
		out, code := runBinary(t, binary, nil, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d:\n%s", tc.args, code, tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
}
