package mib_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/internal/gen"
)

// TestBuiltinTableUpToDate runs the generator in-process and compares its
// output with the committed builtin_table.go. On failure run
// `go generate ./mib`.
func TestBuiltinTableUpToDate(t *testing.T) {
	want, err := gen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("builtin_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("builtin_table.go is not what the generator makes of mibs/ and extra.csv; run `go generate ./mib`")
	}
}

// TestGenerateDeterministic: two runs give the same bytes (map iteration
// order and gosmi's state must not leak into the output).
func TestGenerateDeterministic(t *testing.T) {
	a, err := gen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := gen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of the generator differ")
	}
}

// wantNotifications is the number of notifications of each module in the
// built-in table (the legacy SynOptics OIDs are aliases, not counted).
var wantNotifications = map[string]int{
	"SNMPv2-MIB":            3, // coldStart, warmStart, authenticationFailure
	"IF-MIB":                2, // linkDown, linkUp
	"BRIDGE-MIB":            2,
	"RMON-MIB":              2,
	"NET-SNMP-AGENT-MIB":    3,
	"NET-SNMP-EXAMPLES-MIB": 1,
	"RFC1213-MIB":           1, // egpNeighborLoss (extra.csv)
	"S5-CHASSIS-TRAP-MIB":   7,
	"S5-ETHERNET-TRAP-MIB":  12,
	"BN-LOG-MESSAGE-MIB":    1,
	"ENTITY-MIB":            1,
	"ENTITY-STATE-MIB":      2,
	"BGP4-MIB":              4,
	"POWER-ETHERNET-MIB":    3,
	"DISMAN-EVENT-MIB":      1,
}

func TestBuiltinNotificationsResolve(t *testing.T) {
	tab := mib.Builtin()
	got := map[string]int{}
	for oid, n := range tab.Notifications {
		got[n.Module]++
		if n.OID != oid {
			t.Errorf("%s::%s filed under %s, has OID %s", n.Module, n.Name, oid, n.OID)
		}
		name, ok := tab.NotificationName([]byte(oid))
		if !ok || name != n.Module+"::"+n.Name {
			t.Errorf("NotificationName(%s) = %q, %v; want %s::%s", oid, name, ok, n.Module, n.Name)
		}
		if name, ok := tab.NotificationName([]byte("." + oid)); !ok || name != n.Module+"::"+n.Name {
			t.Errorf("NotificationName(.%s) = %q, %v", oid, name, ok)
		}
		for _, o := range n.Objects {
			obj, ok := tab.Objects[o]
			if !ok {
				t.Errorf("%s::%s: object %s is not in the table", n.Module, n.Name, o)
				continue
			}
			if !obj.HasInstances() {
				t.Errorf("%s::%s: object %s::%s is a %s", n.Module, n.Name, obj.Module, obj.Name, obj.Kind)
			}
		}
	}
	if !maps.Equal(got, wantNotifications) {
		t.Errorf("notifications per module:\n got %v\nwant %v", got, wantNotifications)
	}
	for m := range wantNotifications {
		if !slices.Contains(tab.Modules, m) {
			t.Errorf("Modules lacks %s", m)
		}
	}
}

func TestBuiltinNames(t *testing.T) {
	tab := mib.Builtin()
	for oid, want := range map[string]string{
		"1.3.6.1.6.3.1.1.5.1":             "SNMPv2-MIB::coldStart",
		"1.3.6.1.6.3.1.1.5.3":             "IF-MIB::linkDown",
		"1.3.6.1.6.3.1.1.5.4":             "IF-MIB::linkUp",
		"1.3.6.1.6.3.1.1.5.5":             "SNMPv2-MIB::authenticationFailure",
		"1.3.6.1.6.3.1.1.5.6":             "RFC1213-MIB::egpNeighborLoss",
		"1.3.6.1.2.1.17.0.2":              "BRIDGE-MIB::topologyChange",
		"1.3.6.1.2.1.16.0.1":              "RMON-MIB::risingAlarm",
		"1.3.6.1.4.1.8072.4.0.3":          "NET-SNMP-AGENT-MIB::nsNotifyRestart",
		"1.3.6.1.4.1.8072.2.3.0.1":        "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatNotification",
		"1.3.6.1.4.1.45.1.6.16.1.2.0.1":   "BN-LOG-MESSAGE-MIB::bnLogMsgBufferFull",
		"1.3.6.1.2.1.47.2.0.1":            "ENTITY-MIB::entConfigChange",
		"1.3.6.1.2.1.131.0.1":             "ENTITY-STATE-MIB::entStateOperEnabled",
		"1.3.6.1.2.1.131.0.2":             "ENTITY-STATE-MIB::entStateOperDisabled",
		"1.3.6.1.2.1.15.0.1":              "BGP4-MIB::bgpEstablishedNotification",
		"1.3.6.1.2.1.15.0.2":              "BGP4-MIB::bgpBackwardTransNotification",
		"1.3.6.1.2.1.15.7.1":              "BGP4-MIB::bgpEstablished",
		"1.3.6.1.2.1.15.7.2":              "BGP4-MIB::bgpBackwardTransition",
		"1.3.6.1.2.1.105.0.1":             "POWER-ETHERNET-MIB::pethPsePortOnOffNotification",
		"1.3.6.1.2.1.105.0.2":             "POWER-ETHERNET-MIB::pethMainPowerUsageOnNotification",
		"1.3.6.1.2.1.105.0.3":             "POWER-ETHERNET-MIB::pethMainPowerUsageOffNotification",
		"1.3.6.1.2.1.88.2.0.1":            "DISMAN-EVENT-MIB::mteTriggerFired",
		"1.3.6.1.4.1.45.1.6.2.4.0.4":      "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown",
		"1.3.6.1.4.1.45.1.6.2.4.4":        "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown",
		"1.3.6.1.4.1.45.1.6.2.1.0.12":     "S5-ETHERNET-TRAP-MIB::s5EtrMacAddressTablesThresholdReached",
		"1.3.6.1.4.1.45.1.6.2.1.0.1":      "S5-ETHERNET-TRAP-MIB::s5EtrSbsMacTableFull",
		"1.3.6.1.4.1.45.1.6.2.1.1":        "S5-ETHERNET-TRAP-MIB::s5EtrNewPortAutoPart",
		"1.3.6.1.4.1.45.1.6.2.1.0.8":      "S5-ETHERNET-TRAP-MIB::s5EtrNewPortAutoPart",
		"1.3.6.1.4.1.45.1.6.2.1.7":        "S5-ETHERNET-TRAP-MIB::s5EtrNewPortManualPart",
		"1.3.6.1.4.1.45.1.6.2.1.0.7":      "S5-ETHERNET-TRAP-MIB::s5EtrNewPortManualPart",
		"1.3.6.1.6.3.1.1.4.1":             "", // snmpTrapOID is an object, not a notification
		"1.3.6.1.4.1.31337.0.0":           "", // the Zeek capture's enterprise
		"1.3.6.1.4.1.45.1.6.2.4.8":        "", // no S5 chassis trap 8, in either form
		"1.3.6.1.4.1.45.1.6.2.1.8":        "", // legacy Ethernet form exists for 1-7 only
		"1.3.6.1.4.1.45.1.6.2.4.0":        "",
		"1.3.6.1.4.1.45.1.6.2.4.0.4.1":    "",
		"":                                "",
		"not an oid":                      "",
		"1.3.6.1.4.1.45.1.6.2.4.0.4.0.0.": "",
	} {
		got, ok := tab.NotificationName([]byte(oid))
		if got != want || ok != (want != "") {
			t.Errorf("NotificationName(%q) = %q, %v; want %q", oid, got, ok, want)
		}
	}
}

// TestSynOpticsBothForms: for every S5 trap number with a legacy form, the
// legacy OID { base N } and the RFC 3584 OID { base 0 M } of the same trap
// give one name, that of the current definition. For S5-CHASSIS-TRAP-MIB
// M = N (1-7); S5-ETHERNET-TRAP-MIB renumbered: old 1-4 are now 8-11, and
// 5-7 kept their numbers.
func TestSynOpticsBothForms(t *testing.T) {
	tab := mib.Builtin()
	const cha, eth = "1.3.6.1.4.1.45.1.6.2.4", "1.3.6.1.4.1.45.1.6.2.1"
	type pair struct{ legacy, current, name string }
	pairs := []pair{
		{cha + ".1", cha + ".0.1", "S5-CHASSIS-TRAP-MIB::s5CtrNewHotSwap"},
		{cha + ".2", cha + ".0.2", "S5-CHASSIS-TRAP-MIB::s5CtrNewProblem"},
		{cha + ".3", cha + ".0.3", "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitUp"},
		{cha + ".4", cha + ".0.4", "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"},
		{cha + ".5", cha + ".0.5", "S5-CHASSIS-TRAP-MIB::s5CtrFanRotationError"},
		{cha + ".6", cha + ".0.6", "S5-CHASSIS-TRAP-MIB::s5CtrFanDirectionError"},
		{cha + ".7", cha + ".0.7", "S5-CHASSIS-TRAP-MIB::s5CtrHighTemperatureError"},
		{eth + ".1", eth + ".0.8", "S5-ETHERNET-TRAP-MIB::s5EtrNewPortAutoPart"},
		{eth + ".2", eth + ".0.9", "S5-ETHERNET-TRAP-MIB::s5EtrNewPortDteJabbering"},
		{eth + ".3", eth + ".0.10", "S5-ETHERNET-TRAP-MIB::s5EtrNewRedPortFailure"},
		{eth + ".4", eth + ".0.11", "S5-ETHERNET-TRAP-MIB::s5EtrNewRedBadRemCfgDetected"},
		{eth + ".5", eth + ".0.5", "S5-ETHERNET-TRAP-MIB::s5EtrNewSbsMacAccessViolation"},
		{eth + ".6", eth + ".0.6", "S5-ETHERNET-TRAP-MIB::s5EtrNewMgmAccessViolation"},
		{eth + ".7", eth + ".0.7", "S5-ETHERNET-TRAP-MIB::s5EtrNewPortManualPart"},
	}
	for _, p := range pairs {
		for _, oid := range []string{p.legacy, p.current} {
			if got, ok := tab.NotificationName([]byte(oid)); !ok || got != p.name {
				t.Errorf("NotificationName(%s) = %q, %v; want %s", oid, got, ok, p.name)
			}
		}
		n, ok := tab.Notification([]byte(p.legacy))
		if !ok || n.OID != p.current {
			t.Errorf("Notification(%s) = %+v, %v; want the definition at %s", p.legacy, n, ok, p.current)
		}
	}
	// Every S5 notification is reached by its RFC 3584 form, and every
	// alias is one of the pairs above.
	for _, n := range tab.Notifications {
		if !strings.HasPrefix(n.Module, "S5-") {
			continue
		}
		if got, _ := tab.NotificationName([]byte(n.OID)); got != n.Module+"::"+n.Name {
			t.Errorf("%s: %q", n.OID, got)
		}
	}
	aliases := mib.Aliases()
	if len(aliases) != len(pairs) {
		t.Errorf("%d aliases, want %d", len(aliases), len(pairs))
	}
	for _, a := range aliases {
		if !slices.ContainsFunc(pairs, func(p pair) bool { return p.legacy == a.OID && p.current == a.Target }) {
			t.Errorf("alias %+v is not tested", a)
		}
	}
	// The collision: { s5EthTrap 0 1..4 } are the current MAC-security
	// traps, not the SMIv1 traps that once had specific-trap 1..4.
	for n, want := range []string{"s5EtrSbsMacTableFull", "s5EtrSbsMacTableClearedForPort", "s5EtrSbsMacTableCleared", "s5EtrSbsMacRemoved"} {
		oid := eth + ".0." + string(rune('1'+n))
		if got, _ := tab.NotificationName([]byte(oid)); got != "S5-ETHERNET-TRAP-MIB::"+want {
			t.Errorf("NotificationName(%s) = %q, want S5-ETHERNET-TRAP-MIB::%s", oid, got, want)
		}
	}
}

func TestExtraFactsObjects(t *testing.T) {
	tab := mib.Builtin()
	n, ok := tab.Notification([]byte("1.3.6.1.4.1.45.1.6.2.4.0.6"))
	if !ok {
		t.Fatal("s5CtrFanDirectionError missing")
	}
	var names []string
	for _, o := range n.Objects {
		names = append(names, tab.Objects[o].Module+"::"+tab.Objects[o].Name)
	}
	want := []string{"S5-CHASSIS-MIB::s5ChasComType", "S5-CHASSIS-MIB::s5ChasComOperState", "S5-CHASSIS-MIB::s5ChasNotifyFanDirection"}
	if !slices.Equal(names, want) {
		t.Errorf("s5CtrFanDirectionError objects %v, want %v", names, want)
	}
	mac := tab.Objects["1.3.6.1.4.1.45.1.6.5.3.12.1.3"]
	if mac == nil || mac.Name != "s5SbsViolationStatusMACAddress" || mac.Hint != "1x:" || mac.Syntax != mib.SyntaxOctetString {
		t.Errorf("s5SbsViolationStatusMACAddress = %+v", mac)
	}
	egp, _ := tab.Notification([]byte("1.3.6.1.6.3.1.1.5.6"))
	if egp == nil || !slices.Equal(egp.Objects, []string{"1.3.6.1.2.1.8.5.1.2"}) {
		t.Errorf("egpNeighborLoss = %+v", egp)
	}
	if bgp, _ := tab.Notification([]byte("1.3.6.1.2.1.15.7.1")); bgp == nil || bgp.Status != "deprecated" {
		t.Errorf("bgpEstablished = %+v, want deprecated", bgp)
	}
}

func TestObjectPrefix(t *testing.T) {
	tab := mib.Builtin()
	for _, c := range []struct {
		oid, name, index string
		kind             mib.Kind
	}{
		{"1.3.6.1.2.1.2.2.1.1.3", "IF-MIB::ifIndex", "3", mib.KindColumn},
		{".1.3.6.1.2.1.2.2.1.1.3", "IF-MIB::ifIndex", "3", mib.KindColumn},
		{"1.3.6.1.2.1.2.2.1.1", "IF-MIB::ifIndex", "", mib.KindColumn},
		{"1.3.6.1.2.1.1.3.0", "SNMPv2-MIB::sysUpTime", "0", mib.KindScalar},
		{"1.3.6.1.2.1.1.1.0", "SNMPv2-MIB::sysDescr", "0", mib.KindScalar},
		{"1.3.6.1.2.1.2.2.1", "IF-MIB::ifEntry", "", mib.KindRow},
		{"1.3.6.1.2.1.2.2.1.99.1", "IF-MIB::ifEntry", "99.1", mib.KindRow},
		{"1.3.6.1.2.1.31.1.1.1.6.7", "IF-MIB::ifHCInOctets", "7", mib.KindColumn},
		{"1.3.6.1.4.1.45.1.6.3.3.1.1.10.1.2.3", "S5-CHASSIS-MIB::s5ChasComOperState", "1.2.3", mib.KindColumn},
		{"1.3.6.1.6.3.1.1.4.1.0", "SNMPv2-MIB::snmpTrapOID", "0", mib.KindScalar},
		{"1.3.6.1.6.3.1.1.5.6", "SNMPv2-MIB::snmpTraps", "6", mib.KindNode},
		{"1.3.6.1.4.1.9.2.2.1.1.20.2", "SNMPv2-SMI::enterprises", "9.2.2.1.1.20.2", mib.KindNode},
		{"1.3.6.1.2.1.1.3.10", "SNMPv2-MIB::sysUpTime", "10", mib.KindScalar}, // 1.3 vs 1.30: arc boundary
		{"1.3.6.1.2.1.1.30", "SNMPv2-MIB::system", "30", mib.KindNode},
	} {
		obj, index, ok := tab.Object([]byte(c.oid))
		if !ok || obj.Module+"::"+obj.Name != c.name || index != c.index || obj.Kind != c.kind {
			t.Errorf("Object(%s) = %+v, %q, %v; want %s %q %s", c.oid, obj, index, ok, c.name, c.index, c.kind)
		}
	}
	for _, oid := range []string{"", "2.999", "0.1", "3.1"} {
		if obj, index, ok := tab.Object([]byte(oid)); ok {
			t.Errorf("Object(%q) = %+v, %q, true", oid, obj, index)
		}
	}
	// The RFC1213-MIB definitions of ifIndex etc. lose to IF-MIB's.
	if o := tab.Objects["1.3.6.1.2.1.2.2.1.3"]; o.Module != "IF-MIB" || o.Enums[6] != "ethernetCsmacd" {
		t.Errorf("ifType = %s::%s %v", o.Module, o.Name, o.Enums[6])
	}
}

func TestMerge(t *testing.T) {
	base := mib.Builtin()
	over := &mib.Table{
		Notifications: map[string]*mib.Notification{
			"1.3.6.1.6.3.1.1.5.3":      {Module: "MY-MIB", Name: "myLinkDown", OID: "1.3.6.1.6.3.1.1.5.3"},
			"1.3.6.1.4.1.99999.0.1":    {Module: "MY-MIB", Name: "myTrap", OID: "1.3.6.1.4.1.99999.0.1"},
			"1.3.6.1.4.1.45.1.6.2.4.4": {Module: "S5-CHASSIS-TRAP-MIB", Name: "s5CtrUnitDown", OID: "1.3.6.1.4.1.45.1.6.2.4.4"},
		},
		Objects: map[string]*mib.Object{
			"1.3.6.1.2.1.2.2.1.8":   {Module: "MY-MIB", Name: "myOperStatus", OID: "1.3.6.1.2.1.2.2.1.8", Kind: mib.KindColumn, Syntax: mib.SyntaxInteger, Enums: map[int64]string{2: "off"}},
			"1.3.6.1.4.1.99999.1.1": {Module: "MY-MIB", Name: "myObject", OID: "1.3.6.1.4.1.99999.1.1", Kind: mib.KindScalar, Syntax: mib.SyntaxInteger},
		},
		Modules: []string{"MY-MIB", "IF-MIB"},
	}
	m := base.Merge(over)
	for oid, want := range map[string]string{
		"1.3.6.1.6.3.1.1.5.3":        "MY-MIB::myLinkDown", // operator wins
		"1.3.6.1.6.3.1.1.5.4":        "IF-MIB::linkUp",     // built-in kept
		"1.3.6.1.4.1.99999.0.1":      "MY-MIB::myTrap",
		"1.3.6.1.4.1.45.1.6.2.4.4":   "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown", // the alias beats the vendor MIB's legacy name
		"1.3.6.1.4.1.45.1.6.2.4.0.4": "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown",
	} {
		if got, _ := m.NotificationName([]byte(oid)); got != want {
			t.Errorf("merged NotificationName(%s) = %q, want %q", oid, got, want)
		}
	}
	if got := string(m.AppendVarbind(nil, mustOID("1.3.6.1.2.1.2.2.1.8.3"), 0x02, []byte{2})); got != "MY-MIB::myOperStatus.3 = off(2)" {
		t.Errorf("merged render %q", got)
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(m.Modules)))); n != len(m.Modules) || !slices.Contains(m.Modules, "MY-MIB") {
		t.Errorf("merged Modules %v", m.Modules)
	}
	// Neither input changed.
	if got, _ := base.NotificationName([]byte("1.3.6.1.6.3.1.1.5.3")); got != "IF-MIB::linkDown" {
		t.Errorf("built-in changed: %q", got)
	}
	if _, ok := base.NotificationName([]byte("1.3.6.1.4.1.99999.0.1")); ok {
		t.Error("built-in gained the operator's trap")
	}
	if len(over.Notifications) != 3 {
		t.Error("over changed")
	}
	// A table that is not merged (built by hand, like the loader's) indexes
	// itself on first use; nil tables and nil arguments are fine.
	if got, _ := over.NotificationName([]byte("1.3.6.1.4.1.99999.0.1")); got != "MY-MIB::myTrap" {
		t.Errorf("unmerged table: %q", got)
	}
	var nilTable *mib.Table
	if _, ok := nilTable.NotificationName([]byte("1.3.6.1.6.3.1.1.5.3")); ok {
		t.Error("nil table resolved a name")
	}
	if got, _ := nilTable.Merge(base).NotificationName([]byte("1.3.6.1.6.3.1.1.5.3")); got != "IF-MIB::linkDown" {
		t.Errorf("nil.Merge(builtin): %q", got)
	}
	if got, _ := base.Merge(nil).NotificationName([]byte("1.3.6.1.4.1.45.1.6.2.1.1")); got != "S5-ETHERNET-TRAP-MIB::s5EtrNewPortAutoPart" {
		t.Errorf("builtin.Merge(nil): %q", got)
	}
}

// TestNotificationNameAllocs: the receive-path lookup allocates nothing,
// for known, aliased and unknown OIDs.
func TestNotificationNameAllocs(t *testing.T) {
	tab := mib.Builtin()
	merged := tab.Merge(&mib.Table{})
	for _, oid := range [][]byte{
		[]byte("1.3.6.1.6.3.1.1.5.3"),
		[]byte("1.3.6.1.4.1.45.1.6.2.4.4"),
		[]byte("1.3.6.1.4.1.31337.0.0"),
	} {
		for _, tb := range []*mib.Table{tab, merged} {
			if n := testing.AllocsPerRun(1000, func() { tb.NotificationName(oid) }); n != 0 {
				t.Errorf("NotificationName(%s): %v allocations", oid, n)
			}
		}
	}
}

// TestFixtureNotificationTable checks the built-in table against the
// smidump table in the shared fixtures: every notification it lists
// resolves to its name (a legacy SynOptics one to its current name, through
// an alias that records the legacy name) with the same varbind OIDs.
func TestFixtureNotificationTable(t *testing.T) {
	data, err := os.ReadFile(testfixtures.Path(t, "notification-table.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tab := mib.Builtin()
	aliases := map[string]mib.Alias{}
	for _, a := range mib.Aliases() {
		aliases[a.OID] = a
	}
	rows := 0
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.SplitN(line, ",", 5)
		module, name, oid := f[0], f[1], f[2]
		rows++
		n, ok := tab.Notification([]byte(oid))
		if !ok {
			t.Errorf("%s::%s (%s) does not resolve", module, name, oid)
			continue
		}
		if a, isAlias := aliases[oid]; isAlias {
			if a.Name != module+"::"+name {
				t.Errorf("alias %s records %q, the fixture says %s::%s", oid, a.Name, module, name)
			}
		} else if n.Module != module || n.Name != name {
			t.Errorf("%s is %s::%s, the fixture says %s::%s", oid, n.Module, n.Name, module, name)
		}
		var want []string
		for _, vb := range strings.Split(strings.Trim(f[4], `"`), "; ") {
			if _, rest, ok := strings.Cut(vb, "="); ok {
				want = append(want, rest[:strings.IndexByte(rest, '[')])
			}
		}
		if !slices.Equal(n.Objects, want) {
			t.Errorf("%s::%s objects %v, fixture %v", module, name, n.Objects, want)
		}
	}
	if rows != 44 {
		t.Errorf("%d rows in the fixture table, want 44", rows)
	}
}

// TestVendorMIBsAgree parses the SynOptics MIBs of the shared fixtures with
// gosmi (as an operator's --mib.dir would) and checks that extra.csv says
// the same about every S5 and BN object and notification, and that merging
// the vendor's own definitions over the built-in table keeps one name per
// trap for both OID forms.
func TestVendorMIBsAgree(t *testing.T) {
	vendor := testfixtures.Path(t, "mibs/vendor-reference/synoptics")
	ietf := testfixtures.Path(t, "mibs/ietf")
	var files []string
	for _, m := range []string{"S5-CHASSIS-TRAP-MIB", "S5-ETHERNET-TRAP-MIB", "BN-LOG-MESSAGE-MIB"} {
		files = append(files, filepath.Join(vendor, m+".mib"))
	}
	set, err := gen.LoadSMI([]string{vendor, ietf}, files)
	if err != nil {
		t.Fatal(err)
	}
	vt := tableOf(set)
	tab := mib.Builtin()
	checked := 0
	for oid, o := range tab.Objects {
		if !strings.HasPrefix(oid, "1.3.6.1.4.1.45.") {
			continue
		}
		v, ok := vt.Objects[oid]
		if !ok {
			t.Errorf("%s::%s (%s) is not in the vendor MIBs", o.Module, o.Name, oid)
			continue
		}
		checked++
		if v.Module != o.Module || v.Name != o.Name || v.Kind != o.Kind || v.Syntax != o.Syntax || v.Hint != o.Hint || !maps.Equal(v.Enums, o.Enums) {
			t.Errorf("%s:\n extra.csv %+v\n vendor    %+v", oid, *o, *v)
		}
	}
	if checked != 28 { // 11 nodes and 17 varbind objects in extra.csv
		t.Errorf("%d SynOptics objects checked, want 28", checked)
	}
	for oid, n := range tab.Notifications {
		if !strings.HasPrefix(oid, "1.3.6.1.4.1.45.") {
			continue
		}
		v, ok := vt.Notifications[oid]
		if !ok || v.Module != n.Module || v.Name != n.Name || !slices.Equal(v.Objects, n.Objects) {
			t.Errorf("%s: extra.csv %+v, vendor %+v", oid, *n, v)
		}
	}
	merged := tab.Merge(vt)
	for _, a := range mib.Aliases() {
		want, _ := tab.NotificationName([]byte(a.Target))
		for _, oid := range []string{a.OID, a.Target} {
			if got, _ := merged.NotificationName([]byte(oid)); got != want {
				t.Errorf("with the vendor MIBs merged, %s is %q, want %q", oid, got, want)
			}
		}
		if a.Name != "" {
			if v := vt.Notifications[a.OID]; v == nil || v.Module+"::"+v.Name != a.Name {
				t.Errorf("alias %s: the vendor MIB names it %+v, extra.csv %q", a.OID, v, a.Name)
			}
		}
	}
}

// tableOf converts the generator's Set into a Table, as a loader would.
func tableOf(s *gen.Set) *mib.Table {
	t := &mib.Table{Notifications: map[string]*mib.Notification{}, Objects: map[string]*mib.Object{}, Modules: s.Modules}
	for _, n := range s.Notifications {
		t.Notifications[n.OID] = &mib.Notification{Module: n.Module, Name: n.Name, OID: n.OID, Status: n.Status, Objects: n.Objects}
	}
	for _, o := range s.Objects {
		t.Objects[o.OID] = &mib.Object{Module: o.Module, Name: o.Name, OID: o.OID, Kind: mib.Kind(o.Kind),
			Syntax: mib.Syntax(o.Syntax), TC: o.TC, Hint: o.Hint, Enums: o.Enums}
	}
	return t
}
