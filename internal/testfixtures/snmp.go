package testfixtures

import (
	"strconv"
	"strings"
	"testing"
)

// varbind is the shape of snmp.Varbind. LinkDownVarbinds[snmp.Varbind]
// builds snmp's own type without this package importing snmp (see the
// package comment).
type varbind interface {
	~struct {
		OID   []byte
		Type  byte
		Value []byte
	}
}

// The tags the varbinds below use (X.690, RFC 2578).
const (
	tagInteger          = 0x02
	tagOctetString      = 0x04
	tagObjectIdentifier = 0x06
	tagTimeTicks        = 0x43
)

// LinkDownVarbinds returns the varbinds of a v2c linkDown (IF-MIB) as a
// switch sends it: sysUpTime.0 (123456789), snmpTrapOID.0 (linkDown), then
// ifIndex, ifAdminStatus (down), ifOperStatus (down) and ifDescr
// ("GigabitEthernet0/1") of interface 2. An SNMPv1 linkDown carries the last
// four, [2:]. Call it as LinkDownVarbinds[snmp.Varbind]() (in package snmp,
// LinkDownVarbinds[Varbind]()); every call returns new slices.
func LinkDownVarbinds[V varbind]() []V {
	return []V{
		{OID: oid("1.3.6.1.2.1.1.3.0"), Type: tagTimeTicks, Value: []byte{0x07, 0x5b, 0xcd, 0x15}}, // 123456789
		{OID: oid("1.3.6.1.6.3.1.1.4.1.0"), Type: tagObjectIdentifier, Value: oid("1.3.6.1.6.3.1.1.5.3")},
		{OID: oid("1.3.6.1.2.1.2.2.1.1.2"), Type: tagInteger, Value: []byte{2}},
		{OID: oid("1.3.6.1.2.1.2.2.1.7.2"), Type: tagInteger, Value: []byte{2}},
		{OID: oid("1.3.6.1.2.1.2.2.1.8.2"), Type: tagInteger, Value: []byte{2}},
		{OID: oid("1.3.6.1.2.1.2.2.1.2.2"), Type: tagOctetString, Value: []byte("GigabitEthernet0/1")},
	}
}

// oid returns the BER content octets of a dotted OID of two or more arcs
// (X.690 §8.19), written apart from snmp's encoder; snmp's TestEncodeExact
// compares the two.
func oid(dotted string) []byte {
	var arcs []uint64
	for _, s := range strings.Split(dotted, ".") {
		a, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			panic("testfixtures: bad OID " + dotted)
		}
		arcs = append(arcs, a)
	}
	if len(arcs) < 2 {
		panic("testfixtures: bad OID " + dotted)
	}
	arcs = append([]uint64{arcs[0]*40 + arcs[1]}, arcs[2:]...)
	var out []byte
	for _, a := range arcs {
		n := 1 // base-128 digits, high first, all but the last with bit 8 set
		for v := a >> 7; v > 0; v >>= 7 {
			n++
		}
		for i := n - 1; i >= 0; i-- {
			b := byte(a>>(7*i)) & 0x7f
			if i > 0 {
				b |= 0x80
			}
			out = append(out, b)
		}
	}
	return out
}

// trapIdentified is *snmp.Message, as far as TrapOID needs it.
type trapIdentified interface {
	TrapOID(dst []byte) ([]byte, error)
}

// TrapOID returns the BER content octets of the trap identity of a decoded
// *snmp.Message, failing the test if it has none.
func TrapOID(t testing.TB, m trapIdentified) []byte {
	t.Helper()
	c, err := m.TrapOID(nil)
	if err != nil {
		t.Fatalf("TrapOID: %v", err)
	}
	return c
}
