package forward

import (
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
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
	size := len(snmp.OIDSnmpTrapAddress) + 4 + len(snmp.OIDSnmpTrapEnterprise) + len(m.Enterprise)
	if m.Version == snmp.V1 {
		size += len(snmp.OIDSysUpTime) + 5 + len(snmp.OIDSnmpTrapOID) + len(t.TrapOID)
	}
	for _, vb := range m.Varbinds {
		size += len(vb.OID) + len(vb.Value)
	}
	arena := make([]byte, 0, size)
	vbs := make([]snmp.Varbind, 0, len(m.Varbinds)+4)
	add := func(oid string, typ byte, value []byte) { arena, vbs = appendVarbind(arena, vbs, oid, typ, value) }
	haveAddr, haveEnterprise := false, false
	if m.Version == snmp.V1 {
		add(snmp.OIDSysUpTime, snmp.TagTimeTicks, snmp.UnsignedValue(uint64(m.TimeStamp)))
		add(snmp.OIDSnmpTrapOID, snmp.TagObjectIdentifier, t.TrapOID)
	}
	for _, vb := range m.Varbinds {
		switch {
		case string(vb.OID) == snmp.OIDSnmpTrapCommunity:
			continue
		case string(vb.OID) == snmp.OIDSnmpTrapAddress:
			if ipv4 {
				continue // replaced below
			}
			haveAddr = true
		case string(vb.OID) == snmp.OIDSnmpTrapEnterprise:
			haveEnterprise = true
		}
		arena, vbs = appendVarbind(arena, vbs, vb.OID, vb.Type, vb.Value)
	}
	if ipv4 && !haveAddr {
		add(snmp.OIDSnmpTrapAddress, snmp.TagIPAddress, addr[:])
	}
	if m.Version == snmp.V1 && !haveEnterprise {
		add(snmp.OIDSnmpTrapEnterprise, snmp.TagObjectIdentifier, m.Enterprise)
	}
	return vbs
}

// appendVarbind copies a varbind into arena and appends it, pointing
// there, to vbs. arena must have room: the varbinds point into it.
func appendVarbind[OID string | []byte](arena []byte, vbs []snmp.Varbind, oid OID, typ byte, value []byte) ([]byte, []snmp.Varbind) {
	o := len(arena)
	arena = append(arena, oid...)
	v := len(arena)
	arena = append(arena, value...)
	return arena, append(vbs, snmp.Varbind{OID: arena[o:v:v], Type: typ, Value: arena[v:len(arena):len(arena)]})
}
