package snmp

import (
	"testing"
)

func TestTrapOIDV1(t *testing.T) {
	tests := []struct {
		name       string
		enterprise string
		generic    int64
		specific   int64
		want       string
	}{
		{"coldStart", "1.3.6.1.4.1.4.1.2.21", 0, 0, "1.3.6.1.6.3.1.1.5.1"},
		{"warmStart", "1.3.6.1.4.1.4.1.2.21", 1, 0, "1.3.6.1.6.3.1.1.5.2"},
		{"linkDown", "1.3.6.1.4.1.9.1.516", 2, 0, "1.3.6.1.6.3.1.1.5.3"},
		{"linkUp", "1.3.6.1.4.1.9.1.516", 3, 0, "1.3.6.1.6.3.1.1.5.4"},
		{"authenticationFailure", "1.3.6.1.4.1.9.1.516", 4, 0, "1.3.6.1.6.3.1.1.5.5"},
		{"egpNeighborLoss", "1.3.6.1.4.1.9.1.516", 5, 0, "1.3.6.1.6.3.1.1.5.6"},
		{"generic trap ignores specific", "1.3.6.1.4.1.9.1.516", 2, 77, "1.3.6.1.6.3.1.1.5.3"},
		{"SynOptics enterprise-specific", oidSynOptics, 6, 4, "1.3.6.1.4.1.45.1.6.2.4.0.4"},
		{"enterprise-specific 0", "1.3.6.1.4.1.8072.4", 6, 0, "1.3.6.1.4.1.8072.4.0.0"},
		{"enterprise-specific 200", "1.3.6.1.4.1.8072.4", 6, 200, "1.3.6.1.4.1.8072.4.0.200"},
		{"enterprise-specific max", "1.3.6.1.4.1.8072.4", 6, 2147483647, "1.3.6.1.4.1.8072.4.0.2147483647"},
		{"enterprise ending in 0", "1.3.6.1.4.1.31337.0", 6, 1, "1.3.6.1.4.1.31337.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decodeV1(t, tt.enterprise, tt.generic, tt.specific)
			got, err := m.TrapOID([]byte("x"))
			if err != nil {
				t.Fatalf("TrapOID: %v", err)
			}
			if got[0] != 'x' {
				t.Fatalf("TrapOID overwrote dst: % x", got)
			}
			if s := dotted(t, got[1:]); s != tt.want {
				t.Errorf("TrapOID = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestTrapOIDV1Errors(t *testing.T) {
	tests := []struct {
		name              string
		generic, specific int64
		reason            string
	}{
		{"generic 7", 7, 0, ReasonBadGenericTrap},
		{"negative generic", -1, 0, ReasonBadGenericTrap},
		{"huge generic", 2147483647, 0, ReasonBadGenericTrap},
		{"negative specific", 6, -1, ReasonBadSpecificTrap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decodeV1(t, oidSynOptics, tt.generic, tt.specific)
			got, err := m.TrapOID([]byte("x"))
			if err == nil {
				t.Fatalf("TrapOID = % x, want an error", got)
			}
			if de := decodeError(t, err); de.Kind != Malformed || de.Reason != tt.reason {
				t.Errorf("TrapOID error = %v, want malformed %q", err, tt.reason)
			}
			if string(got) != "x" {
				t.Errorf("TrapOID changed dst to % x on error", got)
			}
		})
	}
}

// decodeV1 decodes a v1 Trap-PDU with the given identity.
func decodeV1(t *testing.T, enterprise string, generic, specific int64) *Message {
	t.Helper()
	b := message(0, "public", tlv(byte(PDUTrapV1), oidElem(enterprise),
		tlv(TagIPAddress, []byte{192, 0, 2, 1}), integer(generic), integer(specific),
		tlv(TagTimeTicks, []byte{1}), tlv(TagSequence)))
	var m Message
	if err := m.Decode(b); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return &m
}

func TestTrapOIDV2(t *testing.T) {
	upTime := vb(oidSysUpTime0, tlv(TagTimeTicks, []byte{5}))
	trapOID := func(oid string) []byte { return vb(oidSnmpTrapOID0, oidElem(oid)) }
	ifIndex := vb(oidIfIndex2, integer(2))
	tests := []struct {
		name string
		pdu  PDUType
		vbs  [][]byte
		want string
	}{
		{"second varbind", PDUTrapV2, [][]byte{upTime, trapOID(oidLinkDown), ifIndex}, oidLinkDown},
		{"inform", PDUInformRequest, [][]byte{upTime, trapOID("1.3.6.1.4.1.8072.2.3.0.1")}, "1.3.6.1.4.1.8072.2.3.0.1"},
		{"first varbind", PDUTrapV2, [][]byte{trapOID(oidLinkDown)}, oidLinkDown},
		{"last varbind", PDUTrapV2, [][]byte{upTime, ifIndex, trapOID("1.3.6.1.6.3.1.1.5.4")}, "1.3.6.1.6.3.1.1.5.4"},
		{"second preferred over first", PDUTrapV2, [][]byte{trapOID("1.3.6.1.6.3.1.1.5.1"), trapOID("1.3.6.1.6.3.1.1.5.2")}, "1.3.6.1.6.3.1.1.5.2"},
		{"first of several elsewhere", PDUTrapV2, [][]byte{upTime, ifIndex, trapOID("1.3.6.1.6.3.1.1.5.5"), trapOID("1.3.6.1.6.3.1.1.5.6")}, "1.3.6.1.6.3.1.1.5.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := m.Decode(message(1, "public", v2PDU(tt.pdu, 1, 0, 0, tt.vbs...))); err != nil {
				t.Fatal(err)
			}
			got, err := m.TrapOID(nil)
			if err != nil {
				t.Fatalf("TrapOID: %v", err)
			}
			if s := dotted(t, got); s != tt.want {
				t.Errorf("TrapOID = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestTrapOIDV2Errors(t *testing.T) {
	upTime := vb(oidSysUpTime0, tlv(TagTimeTicks, []byte{5}))
	tests := []struct {
		name   string
		pdu    PDUType
		vbs    [][]byte
		kind   ErrorKind
		reason string
	}{
		{"no varbinds", PDUTrapV2, nil, Malformed, ReasonNoSnmpTrapOID},
		{"no snmpTrapOID.0", PDUTrapV2, [][]byte{upTime, vb(oidIfIndex2, integer(2))}, Malformed, ReasonNoSnmpTrapOID},
		{"snmpTrapOID without .0", PDUTrapV2, [][]byte{upTime, vb("1.3.6.1.6.3.1.1.4.1", oidElem(oidLinkDown))}, Malformed, ReasonNoSnmpTrapOID},
		{"snmpTrapOID.0 as a string", PDUInformRequest, [][]byte{upTime, vb(oidSnmpTrapOID0, octets(oidLinkDown))}, Malformed, ReasonSnmpTrapOIDNotOID},
		{"snmpTrapOID.0 NULL", PDUTrapV2, [][]byte{upTime, vb(oidSnmpTrapOID0, tlv(TagNull))}, Malformed, ReasonSnmpTrapOIDNotOID},
		{"GetRequest", PDUGetRequest, [][]byte{vb(oidSnmpTrapOID0, tlv(TagNull))}, Unsupported, ReasonNotNotification},
		{"Response", PDUResponse, [][]byte{upTime, vb(oidSnmpTrapOID0, oidElem(oidLinkDown))}, Unsupported, ReasonNotNotification},
		{"Report", PDUReport, nil, Unsupported, ReasonNotNotification},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := m.Decode(message(1, "public", v2PDU(tt.pdu, 1, 0, 0, tt.vbs...))); err != nil {
				t.Fatal(err)
			}
			got, err := m.TrapOID([]byte("x"))
			if err == nil {
				t.Fatalf("TrapOID = % x, want an error", got)
			}
			if de := decodeError(t, err); de.Kind != tt.kind || de.Reason != tt.reason {
				t.Errorf("TrapOID error = %v, want %s %q", err, tt.kind, tt.reason)
			}
			if string(got) != "x" {
				t.Errorf("TrapOID changed dst to % x on error", got)
			}
		})
	}
}

func TestTrapOIDZeroAllocs(t *testing.T) {
	m := decodeV1(t, oidSynOptics, 6, 4)
	buf := make([]byte, 0, 32)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := m.TrapOID(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("TrapOID allocated %v times per run", allocs)
	}
}

func TestVarbindNumbers(t *testing.T) {
	tests := []struct {
		vb      Varbind
		i       int64
		iok     bool
		u       uint64
		uok     bool
		comment string
	}{
		{Varbind{Type: TagInteger, Value: hx("ff")}, -1, true, 0, false, "INTEGER -1"},
		{Varbind{Type: TagInteger, Value: hx("80 00 00 00")}, -2147483648, true, 0, false, "INTEGER min"},
		{Varbind{Type: TagInteger, Value: nil}, 0, false, 0, false, "empty INTEGER"},
		{Varbind{Type: TagCounter32, Value: hx("00 ff ff ff ff")}, 4294967295, true, 4294967295, true, "Counter32 max"},
		{Varbind{Type: TagGauge32, Value: hx("80")}, 128, true, 128, true, "Gauge32 top bit without sign octet"},
		{Varbind{Type: TagTimeTicks, Value: hx("07 5b cd 15")}, 123456789, true, 123456789, true, "TimeTicks"},
		{Varbind{Type: TagUInteger32, Value: hx("07")}, 7, true, 7, true, "UInteger32"},
		{Varbind{Type: TagCounter64, Value: hx("00 ff ff ff ff ff ff ff ff")}, 0, false, 1<<64 - 1, true, "Counter64 max"},
		{Varbind{Type: TagCounter64, Value: hx("01 00 00 00 00 00 00 00 00")}, 0, false, 0, false, "Counter64 too large"},
		{Varbind{Type: TagOctetString, Value: hx("01")}, 0, false, 0, false, "OCTET STRING"},
	}
	for _, tt := range tests {
		i, iok := tt.vb.Int64()
		u, uok := tt.vb.Uint64()
		if i != tt.i || iok != tt.iok || u != tt.u || uok != tt.uok {
			t.Errorf("%s: Int64 = %d, %v; Uint64 = %d, %v; want %d, %v; %d, %v",
				tt.comment, i, iok, u, uok, tt.i, tt.iok, tt.u, tt.uok)
		}
	}
}
