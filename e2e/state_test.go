package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestStateRules drives the built-in rules and a rule from the
// configuration with net-snmp traps: interface state from linkDown/linkUp
// with and without ifOperStatus (Cisco sends none), restarts, SynOptics
// unit down/up (v1, as that gear sends them) and a user state rule.
func TestStateRules(t *testing.T) {
	need(t)
	port := freePort(t)
	// Two rules of the operator's own, on traps no MIB names.
	cfg := writeConfig(t, `
rules:
  - name: lab-power
    action: state
    raise: [1.3.6.1.4.1.99999.0.1]
    clear: [1.3.6.1.4.1.99999.0.2]
    alarm: power
    labels:
      resource: {index_of: IF-MIB::ifOperStatus}
    severity: warning
  - name: lab-speed
    action: gauge
    traps: [1.3.6.1.4.1.99999.0.3]
    metric: snmptrap_lab_interface_speed_bits
    value: IF-MIB::ifSpeed
    labels:
      ifIndex: {index_of: IF-MIB::ifSpeed}
      status: {value_of: IF-MIB::ifOperStatus}
`)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port), "--config.file="+cfg)
	to := fmt.Sprintf("udp:127.0.0.1:%d", port)
	v2 := func(args ...string) {
		run(t, "snmptrap", append([]string{"-v", "2c", "-c", "public", to, ""}, args...)...)
	}
	const (
		ifAdmin5  = "1.3.6.1.2.1.2.2.1.7.5"
		ifOper5   = "1.3.6.1.2.1.2.2.1.8.5"
		ifIndex5  = "1.3.6.1.2.1.2.2.1.1.5"
		ifDescr7  = "1.3.6.1.2.1.2.2.1.2.7"
		ifIndex7  = "1.3.6.1.2.1.2.2.1.1.7"
		coldStart = "1.3.6.1.6.3.1.1.5.1"
		s5Ent     = "1.3.6.1.4.1.45.1.6.2.4" // S5-CHASSIS-TRAP-MIB, enterprise of the v1 traps
		s5OpState = "1.3.6.1.4.1.45.1.6.3.3.1.1.10.3.1.0"
		s5Type    = "1.3.6.1.4.1.45.1.6.3.3.1.1.4.3.1.0"
	)
	// ifIndex 5: a linkDown with admin and oper status (RFC 2863), then a
	// linkUp whose ifOperStatus says dormant(5): oper status wins.
	v2(linkDown, ifIndex5, "i", "5", ifAdmin5, "i", "1", ifOper5, "i", "2")
	e.waitMetric(t, map[string]float64{`snmptrap_interface_up{device="127.0.0.1",ifIndex="5"}`: 0})
	v2(linkUp, ifIndex5, "i", "5", ifAdmin5, "i", "1", ifOper5, "i", "5")
	// ifIndex 7: Cisco style, no status varbinds, ifDescr given: the trap
	// type decides, and the description becomes an info series.
	v2(linkDown, ifIndex7, "i", "7", ifDescr7, "s", "GigabitEthernet1/0/7")
	// A restart does not clear interface state.
	v2(coldStart)
	// SynOptics unit 3.1.0 down, as SNMPv1 from the chassis.
	run(t, "snmptrap", "-v", "1", "-c", "public", to, s5Ent, "", "6", "4", "", s5Type, "o", "1.3.6.1.4.1.45.3.1", s5OpState, "i", "10")
	run(t, "snmptrap", "-v", "1", "-c", "public", to, s5Ent, "", "6", "4", "", s5Type, "o", "1.3.6.1.4.1.45.3.1",
		"1.3.6.1.4.1.45.1.6.3.3.1.1.10.4.1.0", "i", "10") // unit 4.1.0 down too

	got := e.waitMetric(t, map[string]float64{
		`snmptrap_interface_up{device="127.0.0.1",ifIndex="5"}`:                                            0,
		`snmptrap_interface_up{device="127.0.0.1",ifIndex="7"}`:                                            0,
		`snmptrap_interface_info{device="127.0.0.1",ifDescr="GigabitEthernet1/0/7",ifIndex="7",ifName=""}`: 1,
		`snmptrap_device_restarts_total{device="127.0.0.1"}`:                                               1,
		`snmptrap_alarm_active{alarm="unit_down",device="127.0.0.1",resource="3.1.0",severity="critical"}`: 1,
		`snmptrap_alarm_active{alarm="unit_down",device="127.0.0.1",resource="4.1.0",severity="critical"}`: 1,
	})
	if ts := got[`snmptrap_device_last_restart_timestamp_seconds{device="127.0.0.1"}`]; ts < 1.7e9 {
		t.Errorf("last restart timestamp %v", ts)
	}

	// Unit 3.1.0 comes back (s5CtrNewUnitUp, specific 3); ifIndex 7 too.
	run(t, "snmptrap", "-v", "1", "-c", "public", to, s5Ent, "", "6", "3", "", s5Type, "o", "1.3.6.1.4.1.45.3.1", s5OpState, "i", "5")
	v2(linkUp, ifIndex7, "i", "7")
	// The operator's rules: power lost on 9 then back, power lost on 8; a
	// speed gauge labelled by index and an enumeration.
	v2("1.3.6.1.4.1.99999.0.1", "1.3.6.1.2.1.2.2.1.8.9", "i", "2")
	v2("1.3.6.1.4.1.99999.0.1", "1.3.6.1.2.1.2.2.1.8.8", "i", "2")
	v2("1.3.6.1.4.1.99999.0.2", "1.3.6.1.2.1.2.2.1.8.9", "i", "1")
	v2("1.3.6.1.4.1.99999.0.3", "1.3.6.1.2.1.2.2.1.5.9", "u", "1000000000", "1.3.6.1.2.1.2.2.1.8.9", "i", "1")
	e.waitMetric(t, map[string]float64{
		`snmptrap_alarm_active{alarm="power",device="127.0.0.1",resource="9",severity="warning"}`:          0,
		`snmptrap_alarm_active{alarm="power",device="127.0.0.1",resource="8",severity="warning"}`:          1,
		`snmptrap_lab_interface_speed_bits{device="127.0.0.1",ifIndex="9",status="up"}`:                    1e9,
		`snmptrap_interface_up{device="127.0.0.1",ifIndex="7"}`:                                            1,
		`snmptrap_alarm_active{alarm="unit_down",device="127.0.0.1",resource="3.1.0",severity="critical"}`: 0,
		`snmptrap_alarm_active{alarm="unit_down",device="127.0.0.1",resource="4.1.0",severity="critical"}`: 1,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"}`:   2,
	})
}

// TestRulesReload: a reload adds a rule and renames a device; a reload
// with a rule that names an unknown trap is refused with its line and
// keeps everything running as it was.
func TestRulesReload(t *testing.T) {
	need(t)
	port := freePort(t)
	path := writeConfig(t, "devices:\n  - address: 127.0.0.1\n    name: lab-sw1\n")
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port), "--config.file="+path)
	to := fmt.Sprintf("udp:127.0.0.1:%d", port)
	const custom = "1.3.6.1.4.1.99999.0.7"
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", custom)
	e.waitMetric(t, map[string]float64{trapKey("lab-sw1", custom): 1})

	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`devices:
  - address: 127.0.0.1
    name: lab-sw2
rules:
  - name: lab-last
    action: timestamp
    traps: [1.3.6.1.4.1.99999]
    metric: snmptrap_lab_last_timestamp_seconds
`)
	if code, body := e.request(t, http.MethodPost, "/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", custom)
	got := e.waitMetric(t, map[string]float64{trapKey("lab-sw2", custom): 1, "snmptrap_exporter_config_last_reload_successful": 1})
	if ts := got[`snmptrap_lab_last_timestamp_seconds{device="lab-sw2"}`]; ts < 1.7e9 {
		t.Errorf("the reloaded rule's timestamp: %v", ts)
	}

	write(`rules:
  - name: broken
    action: state
    raise: [IF-MIB::linkDwon]
`)
	code, body := e.request(t, http.MethodPost, "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, "line 4") || !strings.Contains(body, "IF-MIB::linkDwon") {
		t.Errorf("reload of a broken rule: %d %q, want 500 naming line 4 and the trap", code, body)
	}
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", custom)
	e.waitMetric(t, map[string]float64{trapKey("lab-sw2", custom): 2, "snmptrap_exporter_config_last_reload_successful": 0})
}
