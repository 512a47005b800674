package snmp

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// This file holds a tiny BER builder for tests. It is written apart from the
// package's encoder so that decoder tests do not depend on it.

// hx decodes hex written with optional spaces: "30 03 02 01 01".
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// tlv builds an element with a minimal length from the concatenated parts.
func tlv(tag byte, parts ...[]byte) []byte {
	var content []byte
	for _, p := range parts {
		content = append(content, p...)
	}
	n := len(content)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, content...)
}

// integer builds an INTEGER element holding v in the fewest octets.
func integer(v int64) []byte {
	var c []byte
	for {
		c = append([]byte{byte(v)}, c...)
		if v >= -0x80 && v < 0x80 {
			return tlv(TagInteger, c)
		}
		v >>= 8
	}
}

func octets(s string) []byte { return tlv(TagOctetString, []byte(s)) }

func oidElem(s string) []byte { return tlv(TagObjectIdentifier, MustParseOID(s)) }

// vb builds one varbind from an OID and a whole value element.
func vb(oid string, value []byte) []byte { return tlv(TagSequence, oidElem(oid), value) }

// message builds a v1/v2c message around a whole PDU element.
func message(version int64, community string, pdu []byte) []byte {
	return tlv(TagSequence, integer(version), octets(community), pdu)
}

// v2PDU builds a PDU with the RFC 3416 layout.
func v2PDU(tag PDUType, requestID, errStatus, errIndex int64, varbinds ...[]byte) []byte {
	return tlv(byte(tag), integer(requestID), integer(errStatus), integer(errIndex), tlv(TagSequence, varbinds...))
}

// v2cTrap builds a v2c SNMPv2-Trap, community "c", request-id 1, holding the
// given varbind list content. Its first varbind starts at offset 21.
func v2cTrap(varbinds ...[]byte) []byte {
	return message(1, "c", v2PDU(PDUTrapV2, 1, 0, 0, varbinds...))
}

// v2cPDU builds a v2c message, community "c", around a PDU of the given tag
// and raw content. The content starts at offset 10.
func v2cPDU(tag byte, content ...[]byte) []byte {
	return message(1, "c", tlv(tag, content...))
}

// v1TrapPDU builds a v1 message, community "c", around a Trap-PDU holding
// the given raw content. The content starts at offset 10.
func v1TrapPDU(content ...[]byte) []byte {
	return message(0, "c", tlv(byte(PDUTrapV1), content...))
}

// Common OIDs, dotted.
const (
	oidSysUpTime0    = "1.3.6.1.2.1.1.3.0"
	oidSnmpTrapOID0  = "1.3.6.1.6.3.1.1.4.1.0"
	oidLinkDown      = "1.3.6.1.6.3.1.1.5.3"
	oidIfIndex2      = "1.3.6.1.2.1.2.2.1.1.2"
	oidIfAdminStatus = "1.3.6.1.2.1.2.2.1.7.2"
	oidIfOperStatus  = "1.3.6.1.2.1.2.2.1.8.2"
	oidIfDescr2      = "1.3.6.1.2.1.2.2.1.2.2"
	oidSynOptics     = "1.3.6.1.4.1.45.1.6.2.4"
)

// vbSum and msgSum are comparable views of a Message, with OIDs dotted.
type vbSum struct {
	OID   string
	Type  byte
	Value string
}

type msgSum struct {
	Version      Version
	Community    string
	PDUType      PDUType
	RequestID    int32
	ErrorStatus  int32
	ErrorIndex   int32
	Enterprise   string
	AgentAddr    [4]byte
	GenericTrap  int32
	SpecificTrap int32
	TimeStamp    uint32
	Varbinds     []vbSum
}

func dotted(t testing.TB, c []byte) string {
	t.Helper()
	if c == nil {
		return ""
	}
	s, err := AppendOID(nil, c)
	if err != nil {
		t.Fatalf("AppendOID(% x): %v", c, err)
	}
	return string(s)
}

func summarize(t testing.TB, m *Message) msgSum {
	t.Helper()
	s := msgSum{
		Version:      m.Version,
		Community:    string(m.Community),
		PDUType:      m.PDUType,
		RequestID:    m.RequestID,
		ErrorStatus:  m.ErrorStatus,
		ErrorIndex:   m.ErrorIndex,
		Enterprise:   dotted(t, m.Enterprise),
		AgentAddr:    m.AgentAddr,
		GenericTrap:  m.GenericTrap,
		SpecificTrap: m.SpecificTrap,
		TimeStamp:    m.TimeStamp,
	}
	for _, v := range m.Varbinds {
		value := string(v.Value)
		if v.Type == TagObjectIdentifier {
			value = dotted(t, v.Value)
		}
		s.Varbinds = append(s.Varbinds, vbSum{OID: dotted(t, v.OID), Type: v.Type, Value: value})
	}
	return s
}

// decodeError asserts that err is a *DecodeError and returns it.
func decodeError(t testing.TB, err error) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	return de
}

// linkDownV2c is a v2c linkDown as net-snmp's agent sends it: sysUpTime.0,
// snmpTrapOID.0 and the IF-MIB objects. It is over 127 bytes long, so its
// outer length takes the long form.
func linkDownV2c() []byte {
	return message(1, "public", v2PDU(PDUTrapV2, 1234567, 0, 0,
		vb(oidSysUpTime0, tlv(TagTimeTicks, hx("07 5b cd 15"))), // 123456789
		vb(oidSnmpTrapOID0, oidElem(oidLinkDown)),
		vb(oidIfIndex2, integer(2)),
		vb(oidIfAdminStatus, integer(2)),
		vb(oidIfOperStatus, integer(2)),
		vb(oidIfDescr2, octets("GigabitEthernet0/1")),
	))
}

// linkDownV1 is the same event as an SNMPv1 Trap-PDU from a Cisco switch.
func linkDownV1() []byte {
	return message(0, "public", tlv(byte(PDUTrapV1),
		oidElem("1.3.6.1.4.1.9.1.516"),
		tlv(TagIPAddress, []byte{10, 1, 30, 1}),
		integer(2), integer(0),
		tlv(TagTimeTicks, hx("03 a6 8c")), // 239244
		tlv(TagSequence,
			vb(oidIfIndex2, integer(2)),
			vb(oidIfAdminStatus, integer(2)),
			vb(oidIfOperStatus, integer(2)),
			vb(oidIfDescr2, octets("GigabitEthernet0/1")),
		)))
}
