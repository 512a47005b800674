package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Vendor notifications and objects the compiled vendor table names
// (`snmptrap_exporter translate OID` shows them); the senders know no MIB
// (netsnmp passes -M /dev/null -m ”), so every OID goes out numeric.
const (
	ciscoConfigManEvent   = "1.3.6.1.4.1.9.9.43.2.0.1"       // CISCO-CONFIG-MAN-MIB
	ccmCommandSource1     = "1.3.6.1.4.1.9.9.43.1.1.6.1.3.1" // ccmHistoryEventCommandSource.1: commandLine(1), snmp(2)
	ccmConfigSource1      = "1.3.6.1.4.1.9.9.43.1.1.6.1.4.1" // ccmHistoryEventConfigSource.1: running(3), startup(4), ...
	ccmConfigDestination1 = "1.3.6.1.4.1.9.9.43.1.1.6.1.5.1" // ccmHistoryEventConfigDestination.1
	jnxPowerSupplyFailure = "1.3.6.1.4.1.2636.4.1.1"         // JUNIPER-MIB
	jnxPowerSupplyOK      = "1.3.6.1.4.1.2636.4.2.1"
	jnxContentsDescrPEM   = "1.3.6.1.4.1.2636.3.1.8.1.6.2.4.0.0"  // jnxContentsDescr.2.4.0.0
	jnxOperatingStatePEM  = "1.3.6.1.4.1.2636.3.1.13.1.6.2.4.0.0" // jnxOperatingState.2.4.0.0: running(2), down(6), ...
)

// sendVendorTraps sends, to the UDP address to, a Cisco configuration
// change as SNMPv2c (from snmp, running to startup) and as SNMPv1
// (enterprise ciscoConfigManMIBNotificationPrefix, specific 1: RFC 3584
// makes it ...43.2.0.1; from the command line, to running), and a Juniper
// power supply failure (jnxOperatingState down) as SNMPv2c.
func sendVendorTraps(t *testing.T, to string) {
	t.Helper()
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", ciscoConfigManEvent,
		ccmCommandSource1, "i", "2", ccmConfigSource1, "i", "3", ccmConfigDestination1, "i", "4")
	run(t, "snmptrap", "-v", "1", "-c", "public", to, "1.3.6.1.4.1.9.9.43.2", "127.0.0.1", "6", "1", "",
		ccmCommandSource1, "i", "1", ccmConfigSource1, "i", "2", ccmConfigDestination1, "i", "3")
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", jnxPowerSupplyFailure,
		jnxContentsDescrPEM, "s", "PEM 3", jnxOperatingStatePEM, "i", "6")
}

// TestVendorTraps: with no --mib.dir, Cisco and Juniper traps sent with
// numeric OIDs are counted under their vendor names, their varbinds are
// rendered with names and enumerations in /api/v1/traps, rules written
// with vendor names apply, and the metrics and the landing page say what
// each source of names contributed.
func TestVendorTraps(t *testing.T) {
	need(t)
	rules := filepath.Join("testdata", "vendor-rules.yml")
	p := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p), "--config.file="+rules)
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)
	sendVendorTraps(t, to)

	const alarm = `snmptrap_alarm_active{alarm="power_supply",device="127.0.0.1",resource="2.4.0.0",severity="critical"}`
	got := e.waitMetric(t, map[string]float64{
		trapKey("127.0.0.1", "CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent"):                                           2,
		trapKey("127.0.0.1", "JUNIPER-MIB::jnxPowerSupplyFailure"):                                                  1,
		`snmptrap_traps_untranslated_total`:                                                                         0,
		`snmptrap_cisco_config_events_total{command_source="snmp",destination="startup",device="127.0.0.1"}`:        1,
		`snmptrap_cisco_config_events_total{command_source="commandLine",destination="running",device="127.0.0.1"}`: 1,
		alarm: 1,
		`snmptrap_mib_notifications{source="builtin"}`: 45,
		`snmptrap_mib_notifications{source="mib.dir"}`: 0,
	})
	if n := got[`snmptrap_mib_notifications{source="vendor"}`]; n <= 20000 {
		t.Errorf(`snmptrap_mib_notifications{source="vendor"} = %v, want more than 20000`, n)
	}
	if n := got[`snmptrap_mib_modules_loaded{source="vendor"}`]; n < 2 {
		t.Errorf(`snmptrap_mib_modules_loaded{source="vendor"} = %v, want CISCO-CONFIG-MAN-MIB, JUNIPER-MIB and more`, n)
	}

	// The records: names and enumerations from the vendor table, for the
	// v1 trap too (newest first).
	var cisco [2]trapRecord
	for i, raw := range e.records(t, "/api/v1/traps?trap=CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent", 2) {
		if err := json.Unmarshal(raw, &cisco[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		r           trapRecord
		name, value string
	}{
		{cisco[1], "CISCO-CONFIG-MAN-MIB::ccmHistoryEventCommandSource.1", "snmp(2)"},
		{cisco[1], "CISCO-CONFIG-MAN-MIB::ccmHistoryEventConfigSource.1", "running(3)"},
		{cisco[1], "CISCO-CONFIG-MAN-MIB::ccmHistoryEventConfigDestination.1", "startup(4)"},
		{cisco[0], "CISCO-CONFIG-MAN-MIB::ccmHistoryEventCommandSource.1", "commandLine(1)"},
		{cisco[0], "CISCO-CONFIG-MAN-MIB::ccmHistoryEventConfigDestination.1", "running(3)"},
	} {
		if !hasVarbind(c.r, c.name, c.value) {
			t.Errorf("record %d lacks %s = %s: %+v", c.r.Seq, c.name, c.value, c.r)
		}
	}
	var juniper trapRecord
	if err := json.Unmarshal(e.records(t, "/api/v1/traps?trap=JUNIPER-MIB::jnxPowerSupplyFailure", 1)[0], &juniper); err != nil {
		t.Fatal(err)
	}
	if !hasVarbind(juniper, "JUNIPER-MIB::jnxContentsDescr.2.4.0.0", `"PEM 3"`) ||
		!hasVarbind(juniper, "JUNIPER-MIB::jnxOperatingState.2.4.0.0", "down(6)") ||
		len(juniper.Changes) != 1 || juniper.Changes[0].To != 1 ||
		juniper.Changes[0].Series != `snmptrap_alarm_active{device="127.0.0.1",alarm="power_supply",resource="2.4.0.0",severity="critical"}` {
		t.Errorf("jnxPowerSupplyFailure record: %+v", juniper)
	}

	// The supply is back: jnxPowerSupplyOK clears the alarm.
	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", jnxPowerSupplyOK,
		jnxContentsDescrPEM, "s", "PEM 3", jnxOperatingStatePEM, "i", "2")
	e.waitMetric(t, map[string]float64{trapKey("127.0.0.1", "JUNIPER-MIB::jnxPowerSupplyOK"): 1, alarm: 0})

	// The landing page counts each source's notifications.
	code, body := e.request(t, http.MethodGet, "/")
	want := fmt.Sprintf("<td>vendor table</td><td>%d</td>", int(got[`snmptrap_mib_notifications{source="vendor"}`]))
	if code != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, "<td>built in</td><td>45</td>") {
		t.Errorf("GET /: %d, want the counts (%s):\n%s", code, want, body)
	}
}

// TestVendorTableOff: with --no-mib.vendor the same traps are counted
// under their numeric OIDs, as untranslated, and the vendor source
// contributes nothing.
func TestVendorTableOff(t *testing.T) {
	need(t)
	p := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p), "--no-mib.vendor")
	sendVendorTraps(t, fmt.Sprintf("udp:127.0.0.1:%d", p))
	got := e.waitMetric(t, map[string]float64{
		trapKey("127.0.0.1", ciscoConfigManEvent):      2,
		trapKey("127.0.0.1", jnxPowerSupplyFailure):    1,
		`snmptrap_traps_untranslated_total`:            3,
		`snmptrap_mib_notifications{source="builtin"}`: 45,
		`snmptrap_mib_notifications{source="vendor"}`:  0,
		`snmptrap_mib_modules_loaded{source="vendor"}`: 0,
	})
	for k := range got {
		if strings.Contains(k, "CISCO-") || strings.Contains(k, "JUNIPER-") {
			t.Errorf("vendor name with --no-mib.vendor: %s", k)
		}
	}
}

// TestVendorRulesCheck: --config.check accepts rules written with vendor
// names and no --mib.dir, and refuses them with --no-mib.vendor, naming
// the line, the rule and the module it lacks.
func TestVendorRulesCheck(t *testing.T) {
	need(t)
	path := filepath.Join("testdata", "vendor-rules.yml")
	out, code := runBinary(t, binary, nil, "--config.check", "--config.file="+path)
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Errorf("--config.check %s: exit %d\n%s", path, code, out)
	}
	out, code = runBinary(t, binary, nil, "--no-mib.vendor", "--config.check", "--config.file="+path)
	want := path + ": line 10: rules[0] (cisco-config-events): unknown object CISCO-CONFIG-MAN-MIB::ccmHistoryEventCommandSource: no module CISCO-CONFIG-MAN-MIB in the MIB table"
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("--no-mib.vendor --config.check %s: exit %d, output %q; want exit 1 and %q", path, code, out, want)
	}
}
