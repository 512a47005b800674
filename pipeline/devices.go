package pipeline

import (
	"net/netip"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/inventory"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Inventory turns the address a trap is from into its `device` label: the
// inventory name of a single address, else the address itself. From a
// trusted relay the address is the one the trap names (snmpTrapAddress.0,
// else the v1 agent-addr); from anyone else it is the packet's source, so a
// sender never chooses its own device label. It is immutable; a reload
// builds a new one (the labels made from it are cached per Settings).
type Inventory struct {
	table  *inventory.Table
	relays []netip.Prefix
}

// NewInventory builds the inventory of a configuration's devices and relays.
func NewInventory(c *config.Config) *Inventory {
	inv := &Inventory{table: inventory.New(c.Devices)}
	for _, r := range c.Relays {
		inv.relays = append(inv.relays, r.Prefix)
	}
	return inv
}

// Table returns the devices' table, which the collector writes
// snmptrap_device_info from.
func (inv *Inventory) Table() *inventory.Table { return inv.table }

// address returns the address that names the trap's device, and whether
// src is a relay whose trap named no original agent (neither
// snmpTrapAddress.0 nor an SNMPv1 agent-addr): the relay itself is then the
// device, which is right for the relay's own traps and wrong for the ones
// it forwards (snmptrapd without addForwarderInfo).
func (inv *Inventory) address(src netip.Addr, m *snmp.Message) (addr netip.Addr, noAgent bool) {
	if len(inv.relays) == 0 || !inv.isRelay(src) {
		return src, false
	}
	for _, vb := range m.Varbinds {
		if vb.Type == snmp.TagIPAddress && len(vb.Value) == 4 && string(vb.OID) == snmp.OIDSnmpTrapAddress {
			return netip.AddrFrom4([4]byte(vb.Value)), false
		}
	}
	if m.Version == snmp.V1 && m.AgentAddr != [4]byte{} {
		return netip.AddrFrom4(m.AgentAddr), false
	}
	return src, true
}

func (inv *Inventory) isRelay(a netip.Addr) bool {
	for _, p := range inv.relays {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// label returns the device label of an address.
func (inv *Inventory) label(a netip.Addr) string {
	if s, ok := inv.table.Name(a); ok {
		return s
	}
	return a.String()
}
