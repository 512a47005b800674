package e2e

import (
	"fmt"
	"testing"
)

// TestDevicesAndRelays sends net-snmp traps from three loopback addresses:
// a named device, a trusted relay forwarding for others (snmpTrapAddress.0
// in v2c, the agent-addr in v1), and an untrusted sender making the same
// claims, which must not choose its device label.
func TestDevicesAndRelays(t *testing.T) {
	need(t)
	port := freePort(t)
	cfg := writeConfig(t, `
devices:
  - address: 127.0.0.2
    name: core-sw1
    labels: {site: lab, role: core}
  - address: 10.20.0.0/16
    labels: {site: branch}
relays:
  - 127.0.0.3/32
`)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port), "--config.file="+cfg)
	target := fmt.Sprintf("udp:127.0.0.1:%d", port)
	from := func(addr string) string { return "--clientaddr=" + addr }
	const trapAddr = "1.3.6.1.6.3.18.1.3.0"

	// The named device.
	run(t, "snmptrap", from("127.0.0.2"), "-v", "2c", "-c", "public", target, "", linkDown, ifIndex2, "i", "2")
	// The relay, for 10.20.1.1 (v2c) and 10.20.1.2 (v1 agent-addr).
	run(t, "snmptrap", from("127.0.0.3"), "-v", "2c", "-c", "public", target, "", linkDown, ifIndex2, "i", "2", trapAddr, "a", "10.20.1.1")
	run(t, "snmptrap", from("127.0.0.3"), "-v", "1", "-c", "public", target, "1.3.6.1.4.1.9", "10.20.1.2", "2", "0", "", ifIndex2, "i", "2")
	// The relay's own trap: no claim, so the relay itself.
	run(t, "snmptrap", from("127.0.0.3"), "-v", "2c", "-c", "public", target, "", linkUp, ifIndex2, "i", "2")
	// Not a relay: the same claims are ignored.
	run(t, "snmptrap", from("127.0.0.4"), "-v", "2c", "-c", "public", target, "", linkDown, ifIndex2, "i", "2", trapAddr, "a", "127.0.0.2")
	run(t, "snmptrap", from("127.0.0.4"), "-v", "1", "-c", "public", target, "1.3.6.1.4.1.9", "127.0.0.2", "2", "0", "", ifIndex2, "i", "2")

	want := map[string]float64{
		trapKey("core-sw1", "IF-MIB::linkDown"):                          1,
		trapKey("10.20.1.1", "IF-MIB::linkDown"):                         1,
		trapKey("10.20.1.2", "IF-MIB::linkDown"):                         1,
		trapKey("127.0.0.3", "IF-MIB::linkUp"):                           1,
		trapKey("127.0.0.4", "IF-MIB::linkDown"):                         2,
		`snmptrap_device_info{device="core-sw1",role="core",site="lab"}`: 1,
		`snmptrap_device_info{device="10.20.1.1",role="",site="branch"}`: 1,
		`snmptrap_device_info{device="10.20.1.2",role="",site="branch"}`: 1,
		// The relay's own trap named no agent: counted as such.
		`snmptrap_relay_traps_without_agent_total{relay="127.0.0.3"}`: 1,
	}
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_traps_received_total", "snmptrap_device_info", "snmptrap_relay_traps_without_agent_total")
}
