package pipeline

import (
	"net/netip"

	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// agentAddress returns the address that names the trap's device (see
// Inventory.address). A trap from a relay that named no original agent is
// counted per relay in snmptrap_relay_traps_without_agent_total, and the
// first one from each relay is logged at warning level: snmptrapd forwards
// without snmpTrapAddress.0 unless told to, and then every device behind
// it looks like the relay.
func (pr *Processor) agentAddress(inv *Inventory, p *receiver.Packet, m *snmp.Message) netip.Addr {
	addr, noAgent := inv.address(p.Source.Addr(), m)
	if noAgent {
		pr.relayWithoutAgent(p, m)
	}
	return addr
}

// relayWithoutAgent counts a trap from a relay that named no agent and
// warns once per relay. The relays remembered are bounded (the counters'
// bounds): past them one last warning says so, and new relays are counted
// without a warning. They are not forgotten at a reload: the counter is
// not reset either, and a reload that keeps the relay changes nothing the
// warning is about (the fix is in the relay's configuration).
func (pr *Processor) relayWithoutAgent(p *receiver.Packet, m *snmp.Message) {
	relay := p.Source.Addr()
	switch pr.packets.RelayWithoutAgent(relay) {
	case metrics.RelayNew:
		level.Warn(pr.logger).Log("msg", "trap from a relay names no original agent (no snmpTrapAddress.0, no SNMPv1 agent-addr), so its device is the relay itself; "+
			"if the relay is snmptrapd forwarding traps, add 'addForwarderInfo yes' to snmptrapd.conf. "+
			"Logged once per relay; snmptrap_relay_traps_without_agent_total counts every such trap",
			"relay", relay, "listener", p.Listener, "version", m.Version)
	case metrics.RelayForgotten:
		level.Warn(pr.logger).Log("msg", "more relays sent traps that name no original agent than can be remembered: no more warnings for new ones; "+
			"snmptrap_relay_traps_without_agent_total goes on counting them under relay=\"other\"",
			"relay", relay, "listener", p.Listener)
	}
}
