package snmp

// OID contents used to identify traps. They are strings, not byte slices, so
// that they are constants no one can modify; comparing string(b) with them
// does not allocate.
const (
	// snmpTrapOID.0, 1.3.6.1.6.3.1.1.4.1.0 (SNMPv2-MIB).
	snmpTrapOID0 = OIDSnmpTrapOID
	// snmpTraps, 1.3.6.1.6.3.1.1.5 (SNMPv2-MIB): the parent of the generic
	// traps coldStart(1) .. egpNeighborLoss(6).
	snmpTraps = "\x2b\x06\x01\x06\x03\x01\x01\x05"
)

// The varbinds of trap messages that the exporter reads or writes, as OID
// content octets (compare with string(vb.OID), which does not allocate).
const (
	// sysUpTime.0, 1.3.6.1.2.1.1.3.0 (SNMPv2-MIB): the first varbind of
	// an SNMPv2-Trap.
	OIDSysUpTime = "\x2b\x06\x01\x02\x01\x01\x03\x00"
	// snmpTrapOID.0, 1.3.6.1.6.3.1.1.4.1.0 (SNMPv2-MIB): the second.
	OIDSnmpTrapOID = "\x2b\x06\x01\x06\x03\x01\x01\x04\x01\x00"
	// snmpTrapEnterprise.0, 1.3.6.1.6.3.1.1.4.3.0 (SNMPv2-MIB).
	OIDSnmpTrapEnterprise = "\x2b\x06\x01\x06\x03\x01\x01\x04\x03\x00"
	// snmpTrapAddress.0, 1.3.6.1.6.3.18.1.3.0 (SNMP-COMMUNITY-MIB, RFC
	// 3584): the original agent, as a forwarder names it.
	OIDSnmpTrapAddress = "\x2b\x06\x01\x06\x03\x12\x01\x03\x00"
	// snmpTrapCommunity.0, 1.3.6.1.6.3.18.1.4.0 (SNMP-COMMUNITY-MIB).
	OIDSnmpTrapCommunity = "\x2b\x06\x01\x06\x03\x12\x01\x04\x00"
)

// v1 generic-trap values (RFC 1157 §4.1.6).
const (
	genericEgpNeighborLoss    = 5
	genericEnterpriseSpecific = 6
)

// TrapOID appends the identity of the notification in m, as OID content
// octets, to dst. It does not allocate when dst has room.
//
// For an SNMPv2-Trap or InformRequest that is the value of the
// snmpTrapOID.0 varbind, which must be an OBJECT IDENTIFIER. For a v1
// Trap-PDU it is the RFC 3584 §3.1 mapping: generic-trap 0..5 gives
// snmpTraps.(generic+1) (coldStart is 1.3.6.1.6.3.1.1.5.1), and
// enterpriseSpecific(6) gives enterprise.0.specific-trap.
//
// Errors are *DecodeError with Offset 0: Malformed when the notification
// cannot be identified, Unsupported when m holds another kind of PDU.
func (m *Message) TrapOID(dst []byte) ([]byte, error) {
	switch m.PDUType {
	case PDUTrapV1:
		return m.v1TrapOID(dst)
	case PDUTrapV2, PDUInformRequest:
		return m.v2TrapOID(dst)
	}
	return dst, unsupported(ReasonNotNotification, 0)
}

func (m *Message) v2TrapOID(dst []byte) ([]byte, error) {
	vb, ok := m.snmpTrapOIDVarbind()
	if !ok {
		return dst, malformed(ReasonNoSnmpTrapOID, 0)
	}
	if vb.Type != TagObjectIdentifier {
		return dst, malformed(ReasonSnmpTrapOIDNotOID, 0)
	}
	return append(dst, vb.Value...), nil
}

// snmpTrapOIDVarbind finds the snmpTrapOID.0 varbind. RFC 3416 §4.2.6 puts
// it second, after sysUpTime.0, so that place is tried first; agents that
// put it elsewhere are still understood.
func (m *Message) snmpTrapOIDVarbind() (Varbind, bool) {
	if len(m.Varbinds) > 1 && string(m.Varbinds[1].OID) == snmpTrapOID0 {
		return m.Varbinds[1], true
	}
	for _, vb := range m.Varbinds {
		if string(vb.OID) == snmpTrapOID0 {
			return vb, true
		}
	}
	return Varbind{}, false
}

func (m *Message) v1TrapOID(dst []byte) ([]byte, error) {
	switch g := m.GenericTrap; {
	case g >= 0 && g <= genericEgpNeighborLoss:
		dst = append(dst, snmpTraps...)
		return append(dst, byte(g+1)), nil
	case g == genericEnterpriseSpecific:
		// specific-trap is INTEGER (0..2147483647) in RFC 1157; a
		// negative one has no place in an OID.
		if m.SpecificTrap < 0 {
			return dst, malformed(ReasonBadSpecificTrap, 0)
		}
		dst = append(dst, m.Enterprise...)
		dst = append(dst, 0)
		return appendSubID(dst, uint64(m.SpecificTrap)), nil
	}
	return dst, malformed(ReasonBadGenericTrap, 0)
}
