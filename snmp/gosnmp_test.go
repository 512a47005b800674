package snmp

import (
	"bytes"
	"math"
	"net"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// This file checks our decoder against an independent one, gosnmp.

// gosnmpDecode decodes a v1/v2c payload with gosnmp's trap decoder, which
// takes every PDU type.
func gosnmpDecode(payload []byte) (*gosnmp.SnmpPacket, error) {
	// UnmarshalTrap may modify its input (it decrypts v3 in place), so it
	// gets a copy.
	return (&gosnmp.GoSNMP{}).UnmarshalTrap(bytes.Clone(payload), false)
}

// agreeWithGosnmp decodes payload with both decoders, which must both
// succeed, and compares every field gosnmp exposes.
func agreeWithGosnmp(t *testing.T, payload []byte) {
	t.Helper()
	var m Message
	if err := m.Decode(payload); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	p, err := gosnmpDecode(payload)
	if err != nil {
		t.Fatalf("gosnmp: %v", err)
	}

	if int(p.Version) != int(m.Version) {
		t.Errorf("version: gosnmp %v, ours %v", p.Version, m.Version)
	}
	if p.Community != string(m.Community) {
		t.Errorf("community: gosnmp %q, ours %q", p.Community, m.Community)
	}
	if byte(p.PDUType) != byte(m.PDUType) {
		t.Errorf("PDU type: gosnmp %#x, ours %#x", byte(p.PDUType), byte(m.PDUType))
	}
	if m.PDUType == PDUTrapV1 {
		agreeV1(t, p, &m)
	} else {
		if p.RequestID != uint32(m.RequestID) {
			t.Errorf("request-id: gosnmp %d, ours %d", p.RequestID, m.RequestID)
		}
		// gosnmp keeps error-status and error-index in 8 bits and reads
		// GetBulk's fields elsewhere; compare what it keeps.
		if m.PDUType != PDUGetBulkRequest &&
			(uint8(p.Error) != uint8(m.ErrorStatus) || p.ErrorIndex != uint8(m.ErrorIndex)) {
			t.Errorf("error-status/index: gosnmp %d/%d, ours %d/%d", p.Error, p.ErrorIndex, m.ErrorStatus, m.ErrorIndex)
		}
	}

	if len(p.Variables) != len(m.Varbinds) {
		t.Fatalf("varbinds: gosnmp has %d, ours %d", len(p.Variables), len(m.Varbinds))
	}
	for i, v := range m.Varbinds {
		agreeVarbind(t, i, p.Variables[i], v)
	}
}

func agreeV1(t *testing.T, p *gosnmp.SnmpPacket, m *Message) {
	t.Helper()
	if want := "." + dotted(t, m.Enterprise); p.Enterprise != want {
		t.Errorf("enterprise: gosnmp %s, ours %s", p.Enterprise, want)
	}
	if want := net.IP(m.AgentAddr[:]).String(); p.AgentAddress != want {
		t.Errorf("agent-addr: gosnmp %s, ours %s", p.AgentAddress, want)
	}
	if p.GenericTrap != int(m.GenericTrap) || p.SpecificTrap != int(m.SpecificTrap) {
		t.Errorf("generic/specific: gosnmp %d/%d, ours %d/%d", p.GenericTrap, p.SpecificTrap, m.GenericTrap, m.SpecificTrap)
	}
	if p.Timestamp != uint(m.TimeStamp) {
		t.Errorf("time-stamp: gosnmp %d, ours %d", p.Timestamp, m.TimeStamp)
	}
}

// agreeVarbind compares one varbind, by meaning: gosnmp converts values to
// Go types, we keep them raw.
func agreeVarbind(t *testing.T, i int, pv gosnmp.SnmpPDU, v Varbind) {
	t.Helper()
	if want := "." + dotted(t, v.OID); pv.Name != want {
		t.Errorf("varbind %d name: gosnmp %s, ours %s", i, pv.Name, want)
	}
	if byte(pv.Type) != v.Type {
		t.Errorf("varbind %d type: gosnmp %#x, ours %#x", i, byte(pv.Type), v.Type)
		return
	}
	var ours any
	switch v.Type {
	case TagInteger:
		n, _ := v.Int64()
		ours = int(n)
	case TagCounter32, TagGauge32:
		n, _ := v.Uint64()
		ours = uint(n)
	case TagTimeTicks:
		n, _ := v.Uint64()
		ours = uint32(n)
	case TagCounter64:
		n, _ := v.Uint64()
		ours = n
	case TagOctetString:
		ours = v.Value
	case TagObjectIdentifier:
		ours = "." + dotted(t, v.Value)
	case TagIPAddress:
		switch len(v.Value) {
		case 0:
			ours = nil
		case net.IPv4len, net.IPv6len:
			ours = net.IP(v.Value).String()
		}
	case TagNull, TagNoSuchObject, TagNoSuchInstance, TagEndOfMibView:
		ours = nil
	default:
		t.Fatalf("varbind %d: no comparison for type %#x", i, v.Type)
	}
	if b, ok := ours.([]byte); ok {
		if pb, _ := pv.Value.([]byte); !bytes.Equal(pb, b) {
			t.Errorf("varbind %d value: gosnmp %q, ours %q", i, pv.Value, b)
		}
		return
	}
	if pv.Value != ours {
		t.Errorf("varbind %d value: gosnmp %#v, ours %#v", i, pv.Value, ours)
	}
}

// TestGosnmpAgreesOnEncoder checks that gosnmp reads what our encoders write
// as we do.
func TestGosnmpAgreesOnEncoder(t *testing.T) {
	vbs := []Varbind{
		{MustParseOID(oidSysUpTime0), TagTimeTicks, UnsignedValue(math.MaxUint32)},
		{MustParseOID(oidSnmpTrapOID0), TagObjectIdentifier, MustParseOID("1.3.6.1.4.1.45.1.6.2.4.0.4")},
		{MustParseOID("1.3.6.1.4.1.99.1"), TagInteger, IntegerValue(math.MinInt32)},
		{MustParseOID("1.3.6.1.4.1.99.2"), TagInteger, IntegerValue(math.MaxInt32)},
		{MustParseOID("1.3.6.1.4.1.99.3"), TagOctetString, []byte("\x00binary\xff")},
		{MustParseOID("1.3.6.1.4.1.99.4"), TagOctetString, nil},
		{MustParseOID("1.3.6.1.4.1.99.5"), TagIPAddress, []byte{192, 0, 2, 1}},
		{MustParseOID("1.3.6.1.4.1.99.6"), TagCounter32, UnsignedValue(math.MaxUint32)},
		{MustParseOID("1.3.6.1.4.1.99.7"), TagGauge32, UnsignedValue(1 << 31)},
		{MustParseOID("1.3.6.1.4.1.99.8"), TagCounter64, UnsignedValue(math.MaxUint64)},
		{MustParseOID("1.3.6.1.4.1.99.9"), TagNull, nil},
		{MustParseOID("1.3.6.1.4.1.99.10"), TagNoSuchInstance, nil},
		{MustParseOID("2.999.4294967295"), TagObjectIdentifier, MustParseOID("1.3.6.1.4.1.4294967295")},
		{MustParseOID("1.3.6.1.4.1.99.11"), TagOctetString, bytes.Repeat([]byte("z"), 1000)},
	}
	tests := []struct {
		name string
		msg  []byte
	}{
		{"v2c linkDown", AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1234567, testfixtures.LinkDownVarbinds[Varbind]())},
		{"v2c trap, every type", AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, math.MaxInt32, vbs)},
		{"v2c inform", AppendTrapV2(nil, V2c, []byte("private"), PDUInformRequest, 1, vbs[:3])},
		{"v2c inform, no varbinds", AppendTrapV2(nil, V2c, []byte("private"), PDUInformRequest, 99, nil)},
		{"v1 linkDown", AppendTrapV1(nil, []byte("public"), MustParseOID("1.3.6.1.4.1.9.1.516"), [4]byte{10, 1, 30, 1}, 2, 0, 239244, testfixtures.LinkDownVarbinds[Varbind]()[2:])},
		{"v1 enterprise-specific, every type", AppendTrapV1(nil, []byte("public"), MustParseOID(oidSynOptics), [4]byte{192, 0, 2, 7}, 6, 4, math.MaxUint32, vbs)},
		{"v1 coldStart, no varbinds", AppendTrapV1(nil, []byte(""), MustParseOID("1.3.6.1.4.1.8072.3.2.10"), [4]byte{}, 0, 0, 0, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agreeWithGosnmp(t, tt.msg)
		})
	}
	t.Run("response to an inform", func(t *testing.T) {
		var m Message
		if err := m.Decode(AppendTrapV2(nil, V2c, []byte("private"), PDUInformRequest, -7, vbs)); err != nil {
			t.Fatal(err)
		}
		agreeWithGosnmp(t, AppendResponse(nil, &m))
	})
}
