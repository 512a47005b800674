package rules

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// recorder is a Sink that writes each update as one line:
//
//	snmptrap_interface_up{device="sw1",ifIndex="3"} set 0
type recorder struct {
	mu      sync.Mutex
	updates []string
}

func (r *recorder) Update(u metrics.Update) bool {
	f, op, device, values, v := u.Family, u.Op, u.Device, u.Values, u.Value
	if len(values) != len(f.Labels) {
		panic(fmt.Sprintf("%d values for the labels %v of %s", len(values), f.Labels, f.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s{device=%q", f.Name, device)
	for i, l := range f.Labels {
		fmt.Fprintf(&b, ",%s=%q", l, values[i])
	}
	b.WriteString("} ")
	if op == metrics.OpAdd {
		b.WriteString("add ")
	} else {
		b.WriteString("set ")
	}
	fmt.Fprintf(&b, "%g", v)
	r.mu.Lock()
	r.updates = append(r.updates, b.String())
	r.mu.Unlock()
	return true
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.updates
	r.updates = nil
	return u
}

// testTable is the built-in table with a few objects and notifications of
// MIBs it does not ship (CISCO-ENVMON-MIB, BGP4-MIB's peer table), as an
// operator's MIB directory would add them.
var testTable = sync.OnceValue(func() *mib.Table {
	over := &mib.Table{
		Objects: map[string]*mib.Object{},
		Notifications: map[string]*mib.Notification{
			"1.3.6.1.4.1.9.9.13.3.0.3": {Module: "CISCO-ENVMON-MIB", Name: "ciscoEnvMonTemperatureNotification", OID: "1.3.6.1.4.1.9.9.13.3.0.3"},
		},
	}
	for _, o := range []*mib.Object{
		{Module: "CISCO-ENVMON-MIB", Name: "ciscoEnvMonTemperatureStatusDescr", OID: "1.3.6.1.4.1.9.9.13.1.3.1.2", Kind: mib.KindColumn, Syntax: mib.SyntaxDisplayString, TC: "DisplayString"},
		{Module: "CISCO-ENVMON-MIB", Name: "ciscoEnvMonTemperatureStatusValue", OID: "1.3.6.1.4.1.9.9.13.1.3.1.3", Kind: mib.KindColumn, Syntax: mib.SyntaxGauge32},
		{Module: "CISCO-ENVMON-MIB", Name: "ciscoEnvMonTemperatureState", OID: "1.3.6.1.4.1.9.9.13.1.3.1.6", Kind: mib.KindColumn, Syntax: mib.SyntaxInteger,
			Enums: map[int64]string{1: "normal", 2: "warning", 3: "critical", 4: "shutdown", 5: "notPresent", 6: "notFunctioning"}},
		{Module: "BGP4-MIB", Name: "bgpPeerTable", OID: "1.3.6.1.2.1.15.3", Kind: mib.KindTable},
		{Module: "BGP4-MIB", Name: "bgpPeerState", OID: "1.3.6.1.2.1.15.3.1.2", Kind: mib.KindColumn, Syntax: mib.SyntaxInteger,
			Enums: map[int64]string{1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm", 6: "established"}},
		{Module: "BGP4-MIB", Name: "bgpPeerRemoteAddr", OID: "1.3.6.1.2.1.15.3.1.7", Kind: mib.KindColumn, Syntax: mib.SyntaxIPAddress},
		{Module: "BGP4-MIB", Name: "bgpPeerLastError", OID: "1.3.6.1.2.1.15.3.1.14", Kind: mib.KindColumn, Syntax: mib.SyntaxOctetString},
		{Module: "BGP4-MIB", Name: "bgpPeerFsmEstablishedTransitions", OID: "1.3.6.1.2.1.15.3.1.15", Kind: mib.KindColumn, Syntax: mib.SyntaxCounter32},
		{Module: "BGP4-MIB", Name: "bgpIdentifier", OID: "1.3.6.1.2.1.15.4", Kind: mib.KindScalar, Syntax: mib.SyntaxIPAddress},
	} {
		over.Objects[o.OID] = o
	}
	return mib.Builtin().Merge(over)
})

// oidOf returns the BER content of a notification's or object's OID, by
// name or dotted, plus an optional index.
func oidOf(t testing.TB, name string, index ...uint32) []byte {
	t.Helper()
	dotted := name
	if !strings.Contains(name, "::") {
		// numeric already
	} else if n, err := testTable().ByName().Notification(name); err == nil {
		dotted = n.OID
	} else if o, err := testTable().ByName().Object(name); err == nil {
		dotted = o.OID
	} else {
		t.Fatalf("no %s", name)
	}
	for _, i := range index {
		dotted += fmt.Sprintf(".%d", i)
	}
	return snmp.MustParseOID(dotted)
}

func vbInt(t testing.TB, name string, v int64, index ...uint32) snmp.Varbind {
	return snmp.Varbind{OID: oidOf(t, name, index...), Type: snmp.TagInteger, Value: snmp.IntegerValue(v)}
}

func vbGauge(t testing.TB, name string, v uint64, index ...uint32) snmp.Varbind {
	return snmp.Varbind{OID: oidOf(t, name, index...), Type: snmp.TagGauge32, Value: snmp.UnsignedValue(v)}
}

func vbStr(t testing.TB, name, s string, index ...uint32) snmp.Varbind {
	return snmp.Varbind{OID: oidOf(t, name, index...), Type: snmp.TagOctetString, Value: []byte(s)}
}

func vbOID(t testing.TB, name, value string, index ...uint32) snmp.Varbind {
	return snmp.Varbind{OID: oidOf(t, name, index...), Type: snmp.TagObjectIdentifier, Value: snmp.MustParseOID(value)}
}

var at = time.Date(2026, 7, 14, 12, 0, 0, 0, time.UTC)

// trap builds a trap from device sw1 with the usual sysUpTime.0 and
// snmpTrapOID.0 varbinds first, as a v2c trap has them.
func trap(t testing.TB, name string, vbs ...snmp.Varbind) *Trap {
	oid := oidOf(t, name)
	head := []snmp.Varbind{
		{OID: snmp.MustParseOID("1.3.6.1.2.1.1.3.0"), Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(12345)},
		{OID: snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: snmp.TagObjectIdentifier, Value: oid},
	}
	return &Trap{
		Src:      netip.MustParseAddr("192.0.2.7"),
		Device:   "sw1",
		OID:      oid,
		Varbinds: append(head, vbs...),
		At:       at,
	}
}

func mustCompile(t testing.TB, rules []config.Rule, b config.BuiltinRules) *Set {
	t.Helper()
	s, err := Compile(rules, b, testTable())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parseRules reads rules from YAML, as the configuration file has them.
func parseRules(t testing.TB, y string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadExample(t testing.TB) *config.Config {
	t.Helper()
	b, err := os.ReadFile("../config/testdata/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	return parseRules(t, string(b))
}

func off() *bool { f := false; return &f }

func check(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}
