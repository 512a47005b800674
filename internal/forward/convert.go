package forward

import (
	"bytes"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// OIDs of RFC 3416 and RFC 3584 (BER content).
var (
	oidSysUpTime          = snmp.MustParseOID("1.3.6.1.2.1.1.3.0")
	oidSnmpTrapOID        = snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0")
	oidSnmpTrapAddress    = snmp.MustParseOID("1.3.6.1.6.3.18.1.3.0")
	oidSnmpTrapCommunity  = snmp.MustParseOID("1.3.6.1.6.3.18.1.4.0")
	oidSnmpTrapEnterprise = snmp.MustParseOID("1.3.6.1.6.3.1.1.4.3.0")
)

// v2Varbinds returns the varbinds of the SNMPv2-Trap that forwards t, in
// one block of memory that t does not share:
//
//   - an SNMPv1 trap is translated as RFC 3584 §3.1 says: sysUpTime.0 from
//     its time-stamp, snmpTrapOID.0 from its enterprise and generic and
//     specific trap numbers (t.TrapOID, which the pipeline has mapped so),
//     its varbinds, then snmpTrapAddress.0 (the agent-addr: the device's
//     address) and snmpTrapEnterprise.0 when not already present. The
//     section's snmpTrapCommunity.0 is left out, and any the trap carries
//     dropped: a community is a secret, and the destination gets ours.
//   - an SNMPv2c or SNMPv3 trap or inform keeps its varbinds (a v3 one as
//     decrypted), with snmpTrapAddress.0 set to the device's address, so
//     that a destination that trusts this exporter as a relay names the
//     right device. snmpTrapAddress is an IpAddress, IPv4 only: for an
//     IPv6 device the trap's own snmpTrapAddress.0, if any, is kept.
func v2Varbinds(t *Trap) []snmp.Varbind {
	m := t.Msg
	var addr [4]byte
	ipv4 := t.Addr.Unmap().Is4()
	if ipv4 {
		addr = t.Addr.Unmap().As4()
	}
	// One arena for every OID and value: the varbinds point into it.
	size := len(oidSnmpTrapAddress) + 4 + len(oidSnmpTrapEnterprise) + len(m.Enterprise)
	if m.Version == snmp.V1 {
		size += len(oidSysUpTime) + 5 + len(oidSnmpTrapOID) + len(t.TrapOID)
	}
	for _, vb := range m.Varbinds {
		size += len(vb.OID) + len(vb.Value)
	}
	arena := make([]byte, 0, size)
	vbs := make([]snmp.Varbind, 0, len(m.Varbinds)+4)
	add := func(oid []byte, typ byte, value []byte) {
		o := len(arena)
		arena = append(arena, oid...)
		v := len(arena)
		arena = append(arena, value...)
		vbs = append(vbs, snmp.Varbind{OID: arena[o:v:v], Type: typ, Value: arena[v:len(arena):len(arena)]})
	}
	haveAddr, haveEnterprise := false, false
	if m.Version == snmp.V1 {
		add(oidSysUpTime, snmp.TagTimeTicks, snmp.UnsignedValue(uint64(m.TimeStamp)))
		add(oidSnmpTrapOID, snmp.TagObjectIdentifier, t.TrapOID)
	}
	for _, vb := range m.Varbinds {
		switch {
		case bytes.Equal(vb.OID, oidSnmpTrapCommunity):
			continue
		case bytes.Equal(vb.OID, oidSnmpTrapAddress):
			if ipv4 {
				continue // replaced below
			}
			haveAddr = true
		case bytes.Equal(vb.OID, oidSnmpTrapEnterprise):
			haveEnterprise = true
		}
		add(vb.OID, vb.Type, vb.Value)
	}
	if ipv4 && !haveAddr {
		add(oidSnmpTrapAddress, snmp.TagIPAddress, addr[:])
	}
	if m.Version == snmp.V1 && !haveEnterprise {
		add(oidSnmpTrapEnterprise, snmp.TagObjectIdentifier, m.Enterprise)
	}
	return vbs
}
