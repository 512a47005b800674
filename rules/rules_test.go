package rules

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/race"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// The rules of config/testdata/rules.yml: a counter with an index label, a
// state rule on snmptrap_alarm_active, a gauge with index and enum labels,
// a timestamp by numeric prefix.
func TestExampleRules(t *testing.T) {
	c := loadExample(t)
	s := mustCompile(t, c.Rules, c.BuiltinRules)
	rec := &recorder{}

	peer := []uint32{10, 0, 0, 1}
	s.Apply(trap(t, "BGP4-MIB::bgpBackwardTransNotification",
		vbStr(t, "BGP4-MIB::bgpPeerLastError", "\x06\x02", peer...),
		vbInt(t, "BGP4-MIB::bgpPeerState", 1, peer...)), rec)
	check(t, "bgpBackwardTransNotification", rec.take(),
		`snmptrap_bgp_backward_transitions_total{device="sw1",peer="10.0.0.1"} add 1`,
		`snmptrap_alarm_active{device="sw1",alarm="bgp-peer",resource="10.0.0.1",severity="major"} set 1`)
	s.Apply(trap(t, "BGP4-MIB::bgpEstablishedNotification",
		vbInt(t, "BGP4-MIB::bgpPeerState", 6, peer...)), rec)
	check(t, "bgpEstablishedNotification", rec.take(),
		`snmptrap_alarm_active{device="sw1",alarm="bgp-peer",resource="10.0.0.1",severity="major"} set 0`)

	s.Apply(trap(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification",
		vbStr(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusDescr", "Inlet", 1),
		vbGauge(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusValue", 45, 1),
		vbInt(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureState", 2, 1)), rec)
	check(t, "ciscoEnvMonTemperatureNotification", rec.take(),
		`snmptrap_cisco_temperature_celsius{device="sw1",sensor="1",state="warning"} set 45`)
	// Without the value there is nothing to set.
	s.Apply(trap(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification",
		vbInt(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureState", 2, 1)), rec)
	check(t, "temperature without value", rec.take())
	// A number outside the enumeration is shown as the number.
	s.Apply(trap(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification",
		vbGauge(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusValue", 50, 2),
		vbInt(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureState", 42, 2)), rec)
	check(t, "unknown enum value", rec.take(),
		`snmptrap_cisco_temperature_celsius{device="sw1",sensor="2",state="42"} set 50`)

	// clogMessageGenerated (CISCO-SYSLOG-MIB, not in the table) by its
	// numeric prefix.
	s.Apply(trap(t, "1.3.6.1.4.1.9.9.41.2.0.1"), rec)
	check(t, "syslog", rec.take(), `snmptrap_cisco_syslog_last_timestamp_seconds{device="sw1"} set 1.7840304e+09`)
	// 1.3.6.1.4.1.9.9.410 is not under 1.3.6.1.4.1.9.9.41.
	s.Apply(trap(t, "1.3.6.1.4.1.9.9.410.0.1"), rec)
	check(t, "not under the prefix", rec.take())
}

func TestModuleAndPrefixMatching(t *testing.T) {
	c := parseRules(t, `
builtin_rules: {interface_up: false, device_restarts: false, synoptics_chassis: false}
rules:
  - name: chassis
    traps: ["S5-CHASSIS-TRAP-MIB::*"]
    action: timestamp
    metric: chassis_trap_timestamp_seconds
  - name: synoptics
    traps: [1.3.6.1.4.1.45]
    metric: synoptics_traps_total
  - name: synoptics-chassis-prefix
    traps: [1.3.6.1.4.1.45.1.6.2.4]
    metric: synoptics_chassis_traps_total
  - name: by-bare-name
    traps: [s5CtrNewHotSwap]
    metric: hotswaps_total
`)
	s := mustCompile(t, c.Rules, c.BuiltinRules)
	rec := &recorder{}
	for _, tc := range []struct {
		trap string
		want []string
	}{
		{"S5-CHASSIS-TRAP-MIB::s5CtrNewHotSwap", []string{
			`chassis_trap_timestamp_seconds{device="sw1"} set 1.7840304e+09`,
			`synoptics_traps_total{device="sw1"} add 1`,
			`synoptics_chassis_traps_total{device="sw1"} add 1`,
			`hotswaps_total{device="sw1"} add 1`}},
		// legacy form of s5CtrNewHotSwap
		{"1.3.6.1.4.1.45.1.6.2.4.1", []string{
			`chassis_trap_timestamp_seconds{device="sw1"} set 1.7840304e+09`,
			`synoptics_traps_total{device="sw1"} add 1`,
			`synoptics_chassis_traps_total{device="sw1"} add 1`,
			`hotswaps_total{device="sw1"} add 1`}},
		// an unknown trap under both prefixes
		{"1.3.6.1.4.1.45.1.6.2.4.0.99", []string{
			`synoptics_traps_total{device="sw1"} add 1`,
			`synoptics_chassis_traps_total{device="sw1"} add 1`}},
		// under one
		{"1.3.6.1.4.1.45.9.0.1", []string{`synoptics_traps_total{device="sw1"} add 1`}},
		// the prefix itself
		{"1.3.6.1.4.1.45", []string{`synoptics_traps_total{device="sw1"} add 1`}},
		{"S5-ETHERNET-TRAP-MIB::s5EtrSbsMacTableFull", []string{`synoptics_traps_total{device="sw1"} add 1`}},
		{"IF-MIB::linkDown", nil},
		{"1.3.6.1.4.1.4", nil},
	} {
		s.Apply(trap(t, tc.trap), rec)
		check(t, tc.trap, rec.take(), tc.want...)
	}
}

func TestStateFromWithoutClearTrap(t *testing.T) {
	c := parseRules(t, `
rules:
  - name: bgp-state
    action: state
    metric: bgp_peer_up
    raise: [BGP4-MIB::bgpEstablishedNotification, BGP4-MIB::bgpBackwardTransNotification]
    labels:
      peer: {index_of: BGP4-MIB::bgpPeerState}
    state_from:
      object: BGP4-MIB::bgpPeerState
      raise: [established]
      clear: ["*"]
    ttl: 1h
`)
	s := mustCompile(t, c.Rules, c.BuiltinRules)
	rec := &recorder{}
	s.Apply(trap(t, "BGP4-MIB::bgpBackwardTransNotification", vbInt(t, "BGP4-MIB::bgpPeerState", 3, 192, 0, 2, 1)), rec)
	check(t, "active", rec.take(), `bgp_peer_up{device="sw1",peer="192.0.2.1"} set 0`)
	s.Apply(trap(t, "BGP4-MIB::bgpEstablishedNotification", vbInt(t, "BGP4-MIB::bgpPeerState", 6, 192, 0, 2, 1)), rec)
	check(t, "established", rec.take(), `bgp_peer_up{device="sw1",peer="192.0.2.1"} set 1`)
	for _, f := range s.Families() {
		if f.Name == "bgp_peer_up" && f.TTL != time.Hour {
			t.Errorf("ttl %v, want 1h", f.TTL)
		}
	}
}

func TestInfoRule(t *testing.T) {
	c := parseRules(t, `
builtin_rules: {interface_up: false}
rules:
  - name: sensors
    action: info
    traps: [CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification]
    metric: snmptrap_cisco_sensor_info
    labels:
      sensor: {index_of: CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusDescr}
    info_labels:
      descr: {value_of: CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusDescr}
      state: {value_of: CISCO-ENVMON-MIB::ciscoEnvMonTemperatureState}
`)
	s := mustCompile(t, c.Rules, c.BuiltinRules)
	rec := &recorder{}
	long := strings.Repeat("é", 200) // 400 bytes
	s.Apply(trap(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification",
		vbStr(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusDescr", long, 4)), rec)
	check(t, "long text", rec.take(),
		`snmptrap_cisco_sensor_info{device="sw1",sensor="4",descr="`+strings.Repeat("é", 128)+`",state=""} set 1`)
	s.Apply(trap(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification",
		vbStr(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureStatusDescr", "bad\xffutf8", 4),
		vbInt(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureState", 1, 4)), rec)
	check(t, "invalid UTF-8", rec.take(),
		`snmptrap_cisco_sensor_info{device="sw1",sensor="4",descr="bad`+"\ufffd"+`utf8",state="normal"} set 1`)
	// No info varbind: nothing to say.
	s.Apply(trap(t, "CISCO-ENVMON-MIB::ciscoEnvMonTemperatureNotification"), rec)
	check(t, "no info", rec.take())
}

// TestCompileErrors: rules that parse but do not fit the MIB table, and
// their exact messages.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, err string }{
		{`
rules:
  - name: bgp-peer
    action: state
    raise: [BGP4-MIB::bgpBackwardTransNotification]
    metric: bgp_peer_down
    labels:
      peer: {value_of: BGP4-MIB::bgpPeerRemoteAddr}
`, `line 8: rules[0] (bgp-peer): label "peer" takes the value of BGP4-MIB::bgpPeerRemoteAddr, an IpAddress: unbounded; use index_of BGP4-MIB::bgpPeerRemoteAddr to label by its instance index, or an enumerated object`},
		{`
rules:
  - name: a
    traps: [BGP4-MIB::bgpBackwardTransNotification]
    metric: a_total
    labels:
      error: {value_of: BGP4-MIB::bgpPeerLastError}
`, `line 7: rules[0] (a): label "error" takes the value of BGP4-MIB::bgpPeerLastError, an OCTET STRING: unbounded; use index_of BGP4-MIB::bgpPeerLastError to label by its instance index, or an enumerated object`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: a_total
    labels:
      descr: {value_of: IF-MIB::ifDescr}
`, `line 7: rules[0] (a): label "descr" takes the value of IF-MIB::ifDescr, a DisplayString (free text): unbounded; use index_of IF-MIB::ifDescr to label by its instance index, or an enumerated object`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: a_total
    labels:
      type: {value_of: IF-MIB::ifSpecific}
`, `line 7: rules[0] (a): label "type" takes the value of IF-MIB::ifSpecific, an OBJECT IDENTIFIER: unbounded; use index_of IF-MIB::ifSpecific to label by its instance index, or an enumerated object`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: a_total
    labels:
      mtu: {value_of: IF-MIB::ifMtu}
`, `line 7: rules[0] (a): label "mtu" takes the value of IF-MIB::ifMtu, an INTEGER without enumeration: unbounded; use index_of IF-MIB::ifMtu to label by its instance index, or an enumerated object`},
		{`
rules:
  - name: a
    traps: [BGP4-MIB::bgpBackwardTransNotification]
    metric: a_total
    labels:
      n: {value_of: BGP4-MIB::bgpPeerFsmEstablishedTransitions}
`, `line 7: rules[0] (a): label "n" takes the value of BGP4-MIB::bgpPeerFsmEstablishedTransitions, a Counter32: unbounded; use index_of BGP4-MIB::bgpPeerFsmEstablishedTransitions to label by its instance index, or an enumerated object`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDwn]
    metric: a_total
`, "line 4: rules[0] (a): unknown notification IF-MIB::linkDwn"},
		{`
rules:
  - name: a
    traps:
      - IF-MIB::linkDown
      - CISCO-SYSLOG-MIB::clogMessageGenerated
    metric: a_total
`, "line 6: rules[0] (a): unknown notification CISCO-SYSLOG-MIB::clogMessageGenerated: no module CISCO-SYSLOG-MIB in the MIB table"},
		{`
rules:
  - name: a
    traps: ["CISCO-SYSLOG-MIB::*"]
    metric: a_total
`, "line 4: rules[0] (a): no module CISCO-SYSLOG-MIB in the MIB table"},
		{`
rules:
  - name: a
    traps: ["IANAifType-MIB::*"]
    metric: a_total
`, "line 4: rules[0] (a): module IANAifType-MIB defines no notifications"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: a_total
    labels:
      i: {index_of: IF-MIB::ifOperStatuss}
`, "line 7: rules[0] (a): unknown object IF-MIB::ifOperStatuss"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: a_total
    labels:
      i: {index_of: IF-MIB::ifTable}
`, "line 7: rules[0] (a): IF-MIB::ifTable is a table, not an object a varbind can carry"},
		{`
rules:
  - name: a
    traps: [BGP4-MIB::bgpBackwardTransNotification]
    metric: a_total
    labels:
      i: {index_of: BGP4-MIB::bgpIdentifier}
`, `line 7: rules[0] (a): label "i": index_of BGP4-MIB::bgpIdentifier: a scalar's index is always 0; index_of needs a table column`},
		{`
rules:
  - name: a
    action: gauge
    traps: [IF-MIB::linkDown]
    metric: a
    value: IF-MIB::ifDescr
`, "line 7: rules[0] (a): value IF-MIB::ifDescr is a DisplayString (free text): a gauge needs a number"},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    state_from:
      object: IF-MIB::ifMtu
      raise: ["1500"]
`, "line 7: rules[0] (a): state_from: IF-MIB::ifMtu is an INTEGER without enumeration; state_from needs an enumerated INTEGER"},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    state_from:
      object: IF-MIB::ifOperStatus
      raise: [down, broken]
`, `line 8: rules[0] (a): state_from: "broken" is not a value of IF-MIB::ifOperStatus (up(1), down(2), testing(3), unknown(4), dormant(5), notPresent(6), lowerLayerDown(7))`},
		{`
rules:
  - name: a
    action: state
    raise: ["IF-MIB::*"]
    clear: [IF-MIB::linkUp]
`, "line 6: rules[0] (a): trap IF-MIB::linkUp is both a raise and a clear trap"},
		{`
rules:
  - name: a
    action: state
    raise: [1.3.6.1.4.1.9]
    clear: [1.3.6.1.4.1.9.9.41]
`, "line 6: rules[0] (a): OID prefixes 1.3.6.1.4.1.9 (raise) and 1.3.6.1.4.1.9.9.41 (clear) overlap: a trap under both would both raise and clear"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: ifs_total
  - name: b
    traps: [IF-MIB::linkUp]
    metric: ifs_total
    labels:
      i: {index_of: IF-MIB::ifOperStatus}
`, "line 8: rules[1] (b): metric ifs_total has the labels {device,i} here but {device} in line 3: rules[0] (a); rules that share a metric need the same labels"},
		{`
rules:
  - name: a
    action: timestamp
    traps: [IF-MIB::linkDown]
    metric: snmptrap_interface_up
`, "line 6: rules[0] (a): metric snmptrap_interface_up has the labels {device} here but {device,ifIndex} in built-in rule (interface-up); rules that share a metric need the same labels"},
	} {
		c, err := config.Parse([]byte(tc.yaml))
		if err != nil {
			t.Errorf("parse error %v for\n%s", err, tc.yaml)
			continue
		}
		_, err = Compile(c.Rules, c.BuiltinRules, testTable())
		if err == nil {
			t.Errorf("no error for\n%s\nwant %s", tc.yaml, tc.err)
			continue
		}
		if err.Error() != tc.err {
			t.Errorf("error for\n%s\n got %s\nwant %s", tc.yaml, err, tc.err)
		}
	}
}

func TestSharedMetric(t *testing.T) {
	c := parseRules(t, `
rules:
  - name: link-down-alarm
    action: state
    raise: [IF-MIB::linkDown]
    clear: [IF-MIB::linkUp]
    labels:
      resource: {index_of: IF-MIB::ifOperStatus}
  - name: downs
    traps: [IF-MIB::linkDown]
    metric: link_changes_total
  - name: ups
    traps: [IF-MIB::linkUp]
    metric: link_changes_total
`)
	s := mustCompile(t, c.Rules, config.BuiltinRules{InterfaceUp: off()})
	n := 0
	for _, f := range s.Families() {
		if f.Name == "link_changes_total" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d families link_changes_total, want 1", n)
	}
	rec := &recorder{}
	s.Apply(trap(t, "IF-MIB::linkDown", vbInt(t, "IF-MIB::ifOperStatus", 2, 4)), rec)
	check(t, "linkDown", rec.take(),
		`snmptrap_alarm_active{device="sw1",alarm="link-down-alarm",resource="4",severity=""} set 1`,
		`link_changes_total{device="sw1"} add 1`)
}

func TestNilSet(t *testing.T) {
	var s *Set
	s.Apply(trap(t, "IF-MIB::linkDown"), &recorder{})
	if s.Families() != nil {
		t.Error("families of a nil set")
	}
}

// discard is a Sink that keeps nothing.
type discard struct{}

func (discard) Update(metrics.Update) bool {
	return true
}

func TestApplyUnmatchedAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates")
	}
	withPrefix := parseRules(t, `
rules:
  - name: cisco
    traps: [1.3.6.1.4.1.9.9.41, 1.3.6.1.4.1.9.9.43.2]
    metric: cisco_traps_total
`)
	for name, s := range map[string]*Set{
		"built-ins":          mustCompile(t, nil, config.BuiltinRules{}),
		"with prefix rules":  mustCompile(t, withPrefix.Rules, config.BuiltinRules{}),
		"no rules":           mustCompile(t, nil, config.BuiltinRules{InterfaceUp: off(), DeviceRestarts: off(), SynOpticsChassis: off()}),
		"nil (no rules yet)": nil,
	} {
		for _, trapName := range []string{"SNMPv2-MIB::authenticationFailure", "1.3.6.1.4.1.8072.4.0.1", "1.3.6.1.4.1.9.9.42.0.1"} {
			tr := trap(t, trapName)
			if n := testing.AllocsPerRun(100, func() { s.Apply(tr, discard{}) }); n != 0 {
				t.Errorf("%s: Apply(%s) allocates %v times", name, trapName, n)
			}
		}
	}
}

// One test through a real store and its collector: state, info with a
// renamed interface, a restart counter.
func TestThroughStore(t *testing.T) {
	now := at
	store := metrics.NewStore(0, 7*24*time.Hour, func() time.Time { return now })
	s := mustCompile(t, nil, config.BuiltinRules{SynOpticsChassis: off()})
	if err := store.SetFamilies(s.Families()); err != nil {
		t.Fatal(err)
	}
	s.Apply(trap(t, "IF-MIB::linkDown", vbInt(t, "IF-MIB::ifIndex", 3, 3), vbStr(t, "IF-MIB::ifDescr", "eth0", 3)), store)
	s.Apply(trap(t, "IF-MIB::linkUp", vbInt(t, "IF-MIB::ifIndex", 3, 3), vbStr(t, "IF-MIB::ifDescr", "uplink", 3)), store)
	s.Apply(trap(t, "IF-MIB::linkDown", vbInt(t, "IF-MIB::ifIndex", 4, 4)), store)
	s.Apply(trap(t, "SNMPv2-MIB::coldStart"), store)
	s.Apply(trap(t, "SNMPv2-MIB::warmStart"), store)
	const want = `
# HELP snmptrap_device_last_restart_timestamp_seconds When the last coldStart or warmStart trap of a device was received (Unix seconds).
# TYPE snmptrap_device_last_restart_timestamp_seconds gauge
snmptrap_device_last_restart_timestamp_seconds{device="sw1"} 1.7840304e+09
# HELP snmptrap_device_restarts_total Restarts of a device: coldStart and warmStart traps received.
# TYPE snmptrap_device_restarts_total counter
snmptrap_device_restarts_total{device="sw1"} 2
# HELP snmptrap_interface_info Names of an interface (ifDescr, ifName) as its last linkUp or linkDown trap gave them; always 1.
# TYPE snmptrap_interface_info gauge
snmptrap_interface_info{device="sw1",ifDescr="uplink",ifIndex="3",ifName=""} 1
# HELP snmptrap_interface_up Whether an interface is up (1) or down (0), from the last linkUp or linkDown trap: its ifOperStatus when it carries one, else its type.
# TYPE snmptrap_interface_up gauge
snmptrap_interface_up{device="sw1",ifIndex="3"} 1
snmptrap_interface_up{device="sw1",ifIndex="4"} 0
`
	if err := testutil.CollectAndCompare(collector.NewDerivedCollector(store), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	// Interface state is kept; the restart series follow the store's TTL.
	now = at.Add(8 * 24 * time.Hour)
	store.Expire()
	const kept = `
# HELP snmptrap_interface_info Names of an interface (ifDescr, ifName) as its last linkUp or linkDown trap gave them; always 1.
# TYPE snmptrap_interface_info gauge
snmptrap_interface_info{device="sw1",ifDescr="uplink",ifIndex="3",ifName=""} 1
# HELP snmptrap_interface_up Whether an interface is up (1) or down (0), from the last linkUp or linkDown trap: its ifOperStatus when it carries one, else its type.
# TYPE snmptrap_interface_up gauge
snmptrap_interface_up{device="sw1",ifIndex="3"} 1
snmptrap_interface_up{device="sw1",ifIndex="4"} 0
`
	if err := testutil.CollectAndCompare(collector.NewDerivedCollector(store), strings.NewReader(kept)); err != nil {
		t.Error(err)
	}
}

func TestConcurrentApply(t *testing.T) {
	store := metrics.NewStore(0, 0, nil)
	s := mustCompile(t, nil, config.BuiltinRules{})
	if err := store.SetFamilies(s.Families()); err != nil {
		t.Fatal(err)
	}
	traps := []*Trap{
		trap(t, "IF-MIB::linkDown", vbInt(t, "IF-MIB::ifIndex", 3, 3), vbStr(t, "IF-MIB::ifDescr", "eth0", 3)),
		trap(t, "IF-MIB::linkUp", vbInt(t, "IF-MIB::ifIndex", 3, 3), vbStr(t, "IF-MIB::ifDescr", "eth1", 3)),
		trap(t, "SNMPv2-MIB::coldStart"),
		trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown", vbInt(t, "S5-CHASSIS-MIB::s5ChasComOperState", 3, 3, 1, 0)),
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				s.Apply(traps[(g+i)%len(traps)], store)
			}
		})
	}
	wg.Wait()
	var restarts float64
	for _, d := range store.DerivedSnapshot() {
		if d.Family.Name == MetricDeviceRestarts {
			restarts = d.Value
		}
	}
	if restarts != 200 {
		t.Errorf("%g restarts, want 200", restarts)
	}
}

func BenchmarkApply(b *testing.B) {
	withPrefix := parseRules(b, `
rules:
  - name: cisco
    traps: [1.3.6.1.4.1.9.9.41, 1.3.6.1.4.1.9.9.43.2]
    metric: cisco_traps_total
`)
	builtins := mustCompile(b, nil, config.BuiltinRules{})
	prefixes := mustCompile(b, withPrefix.Rules, config.BuiltinRules{})
	store := metrics.NewStore(0, 0, nil)
	if err := store.SetFamilies(builtins.Families()); err != nil {
		b.Fatal(err)
	}
	rfcDown := trap(b, "IF-MIB::linkDown", vbInt(b, "IF-MIB::ifIndex", 3, 3), vbInt(b, "IF-MIB::ifAdminStatus", 1, 3), vbInt(b, "IF-MIB::ifOperStatus", 2, 3))
	ciscoDown := trap(b, "IF-MIB::linkDown", vbInt(b, "IF-MIB::ifIndex", 3, 3), vbStr(b, "IF-MIB::ifDescr", "GigabitEthernet0/3", 3), vbInt(b, "IF-MIB::ifType", 6, 3))
	unit := trap(b, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown", vbOID(b, "S5-CHASSIS-MIB::s5ChasComType", "1.3.6.1.4.1.45.3.35.1", 3, 1, 0), vbInt(b, "S5-CHASSIS-MIB::s5ChasComOperState", 3, 3, 1, 0))
	unmatched := trap(b, "SNMPv2-MIB::authenticationFailure")
	unknown := trap(b, "1.3.6.1.4.1.8072.9999.0.1")
	for _, bc := range []struct {
		name string
		s    *Set
		t    *Trap
		sink Sink
	}{
		{"unmatched", builtins, unmatched, discard{}},
		{"unmatched/prefix-rules", prefixes, unknown, discard{}},
		{"linkDown-rfc/discard", builtins, rfcDown, discard{}},
		{"linkDown-cisco/discard", builtins, ciscoDown, discard{}},
		{"linkDown-rfc/store", builtins, rfcDown, store},
		{"linkDown-cisco/store", builtins, ciscoDown, store},
		{"s5CtrNewUnitDown/store", builtins, unit, store},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.s.Apply(bc.t, bc.sink)
			}
		})
	}
}

// A rule's ttl applies to its own series even on a metric it shares with
// rules that keep theirs (the default snmptrap_alarm_active).
func TestTTLPerRuleOnSharedMetric(t *testing.T) {
	c, err := config.Parse([]byte(`
rules:
  - name: flap
    action: state
    raise: [IF-MIB::linkDown]
    clear: [IF-MIB::linkUp]
    ttl: 1h
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compile(c.Rules, c.BuiltinRules, mib.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	store := metrics.NewStore(0, 0, func() time.Time { return now })
	if err := store.SetFamilies(set.Families()); err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddr("192.0.2.1")
	set.Apply(&Trap{Src: src, Device: "sw1", OID: snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")}, store)
	set.Apply(&Trap{Src: src, Device: "sw1", OID: snmp.MustParseOID("1.3.6.1.4.1.45.1.6.2.4.0.4")}, store) // s5CtrNewUnitDown: kept
	alarms := func() (names []string) {
		for _, d := range store.DerivedSnapshot() {
			if d.Family.Name == "snmptrap_alarm_active" {
				names = append(names, d.Values[0])
			}
		}
		return names
	}
	if got := alarms(); !slices.Equal(got, []string{"flap", "unit_down"}) {
		t.Fatalf("alarms %v", got)
	}
	now = now.Add(2 * time.Hour)
	store.Expire()
	if got := alarms(); !slices.Equal(got, []string{"unit_down"}) {
		t.Errorf("after 2h: alarms %v, want unit_down only (flap has a 1h ttl)", got)
	}
}
