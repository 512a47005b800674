package trapmatch

import (
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

func TestMatcher(t *testing.T) {
	m, err := New([]string{"IF-MIB::linkDown", "S5-CHASSIS-TRAP-MIB::*", "1.3.6.1.4.1.9.9.41"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for oid, want := range map[string]bool{
		"1.3.6.1.6.3.1.1.5.3":        true,  // linkDown
		"1.3.6.1.6.3.1.1.5.4":        false, // linkUp
		"1.3.6.1.4.1.45.1.6.2.4.0.5": true,  // s5CtrNewUnitDown... any S5-CHASSIS-TRAP-MIB notification
		"1.3.6.1.4.1.9.9.41.2.0.1":   true,  // under the numeric prefix, named or not
		"1.3.6.1.4.1.9.9.410.1":      false, // not on an arc boundary
	} {
		if got := m.Match(snmp.MustParseOID(oid)); got != want {
			t.Errorf("%s: %v, want %v", oid, got, want)
		}
	}
	oid := snmp.MustParseOID("1.3.6.1.4.1.9.9.41.2.0.1")
	if n := testing.AllocsPerRun(100, func() { m.Match(oid) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
	if _, err := New([]string{"IF-MIB::linkDown", "NO-SUCH-MIB::*"}, nil); err == nil || !strings.HasPrefix(err.Error(), "traps[1]: ") {
		t.Errorf("err = %v", err)
	}
}
