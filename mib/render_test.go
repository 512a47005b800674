package mib_test

import (
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

func mustOID(s string) []byte { return snmp.MustParseOID(s) }

func TestAppendVarbind(t *testing.T) {
	tab := mib.Builtin()
	const (
		ifIndex       = "1.3.6.1.2.1.2.2.1.1.3"
		ifOperStatus  = "1.3.6.1.2.1.2.2.1.8.3"
		ifDescr       = "1.3.6.1.2.1.2.2.1.2.2"
		ifPhysAddress = "1.3.6.1.2.1.2.2.1.6.2"
		sysUpTime     = "1.3.6.1.2.1.1.3.0"
		snmpTrapOID   = "1.3.6.1.6.3.1.1.4.1.0"
		unknown       = "1.3.6.1.4.1.9.2.2.1.1.20.2" // Cisco locIfReason, not built in
	)
	for _, c := range []struct {
		name  string
		oid   string
		typ   byte
		value []byte
		want  string
	}{
		{"integer", ifIndex, snmp.TagInteger, []byte{3}, "IF-MIB::ifIndex.3 = 3"},
		{"negative integer", "1.3.6.1.4.1.99999.1", snmp.TagInteger, []byte{0xff}, "1.3.6.1.4.1.99999.1 = -1"},
		{"enum", ifOperStatus, snmp.TagInteger, []byte{2}, "IF-MIB::ifOperStatus.3 = down(2)"},
		{"enum lowerLayerDown", ifOperStatus, snmp.TagInteger, []byte{7}, "IF-MIB::ifOperStatus.3 = lowerLayerDown(7)"},
		{"enum value without label", ifOperStatus, snmp.TagInteger, []byte{99}, "IF-MIB::ifOperStatus.3 = 99"},
		{"ifAdminStatus", "1.3.6.1.2.1.2.2.1.7.3", snmp.TagInteger, []byte{1}, "IF-MIB::ifAdminStatus.3 = up(1)"},
		{"IANAifType", "1.3.6.1.2.1.2.2.1.3.2", snmp.TagInteger, []byte{6}, "IF-MIB::ifType.2 = ethernetCsmacd(6)"},
		{"s5ChasComOperState normal", "1.3.6.1.4.1.45.1.6.3.3.1.1.10.1.2.3", snmp.TagInteger, []byte{5}, "S5-CHASSIS-MIB::s5ChasComOperState.1.2.3 = normal(5)"},
		{"s5ChasComOperState removed", "1.3.6.1.4.1.45.1.6.3.3.1.1.10.1.2.3", snmp.TagInteger, []byte{3}, "S5-CHASSIS-MIB::s5ChasComOperState.1.2.3 = removed(3)"},
		{"s5ChasComOperState fatalErr", "1.3.6.1.4.1.45.1.6.3.3.1.1.10.1.2.3", snmp.TagInteger, []byte{10}, "S5-CHASSIS-MIB::s5ChasComOperState.1.2.3 = fatalErr(10)"},
		{"s5EnPortPartStatus", "1.3.6.1.4.1.45.1.6.6.1.1.1.3.2.5", snmp.TagInteger, []byte{4}, "S5-ETHERNET-COMMON-MIB::s5EnPortPartStatus.2.5 = autoPartition(4)"},
		{"DisplayString", ifDescr, snmp.TagOctetString, []byte("Ethernet0/1"), `IF-MIB::ifDescr.2 = "Ethernet0/1"`},
		{"empty string", ifDescr, snmp.TagOctetString, nil, `IF-MIB::ifDescr.2 = ""`},
		{"quote and newline escaped", ifDescr, snmp.TagOctetString, []byte("a \"b\"\nc"), `IF-MIB::ifDescr.2 = "a \"b\"\nc"`},
		{"UTF-8 text", ifDescr, snmp.TagOctetString, []byte("Büro 1"), `IF-MIB::ifDescr.2 = "Büro 1"`},
		{"DisplayString with NUL is hex", ifDescr, snmp.TagOctetString, []byte("eth0\x00"), "IF-MIB::ifDescr.2 = 0x6574683000"},
		{"invalid UTF-8 is hex", ifDescr, snmp.TagOctetString, []byte{0xc3, 0x28}, "IF-MIB::ifDescr.2 = 0xc328"},
		{"MAC by DISPLAY-HINT 1x:", ifPhysAddress, snmp.TagOctetString, []byte{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}, "IF-MIB::ifPhysAddress.2 = 00:1a:2b:3c:4d:5e"},
		{"printable MAC still by hint", ifPhysAddress, snmp.TagOctetString, []byte("ABCDEF"), "IF-MIB::ifPhysAddress.2 = 41:42:43:44:45:46"},
		{"S5 MacAddress", "1.3.6.1.4.1.45.1.6.5.3.12.1.3.1.1", snmp.TagOctetString, []byte{0, 0, 0x5e, 0, 1, 1}, "S5-SWITCH-BAYSECURE-MIB::s5SbsViolationStatusMACAddress.1.1 = 00:00:5e:00:01:01"},
		{"unknown name, text", unknown, snmp.TagOctetString, []byte("administratively down"), `1.3.6.1.4.1.9.2.2.1.1.20.2 = "administratively down"`},
		{"unknown name, binary", unknown, snmp.TagOctetString, []byte{0x0a, 0x0b}, "1.3.6.1.4.1.9.2.2.1.1.20.2 = 0x0a0b"},
		{"TimeTicks", sysUpTime, snmp.TagTimeTicks, []byte{0x30, 0x39}, "SNMPv2-MIB::sysUpTime.0 = (12345) 0:02:03.45"},
		{"TimeTicks zero", sysUpTime, snmp.TagTimeTicks, []byte{0}, "SNMPv2-MIB::sysUpTime.0 = (0) 0:00:00.00"},
		{"TimeTicks one day", sysUpTime, snmp.TagTimeTicks, []byte{0x00, 0x83, 0xd6, 0x00}, "SNMPv2-MIB::sysUpTime.0 = (8640000) 1 day, 0:00:00.00"},
		{"TimeTicks max", sysUpTime, snmp.TagTimeTicks, []byte{0x00, 0xff, 0xff, 0xff, 0xff}, "SNMPv2-MIB::sysUpTime.0 = (4294967295) 497 days, 2:27:52.95"},
		{"trap OID value", snmpTrapOID, snmp.TagObjectIdentifier, mustOID("1.3.6.1.6.3.1.1.5.3"), "SNMPv2-MIB::snmpTrapOID.0 = IF-MIB::linkDown"},
		{"legacy S5 trap OID value", snmpTrapOID, snmp.TagObjectIdentifier, mustOID("1.3.6.1.4.1.45.1.6.2.4.4"), "SNMPv2-MIB::snmpTrapOID.0 = S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"},
		{"unknown trap OID value stays numeric", snmpTrapOID, snmp.TagObjectIdentifier, mustOID("1.3.6.1.4.1.31337.0.0"), "SNMPv2-MIB::snmpTrapOID.0 = 1.3.6.1.4.1.31337.0.0"},
		{"sysObjectID node", "1.3.6.1.2.1.1.2.0", snmp.TagObjectIdentifier, mustOID("1.3.6.1.4.1.8072.3.2.10"), "SNMPv2-MIB::sysObjectID.0 = NET-SNMP-TC::linux"},
		{"OID value naming an instance", "1.3.6.1.2.1.16.3.1.1.3.1", snmp.TagObjectIdentifier, mustOID("1.3.6.1.2.1.2.2.1.10.3"), "RMON-MIB::alarmVariable.1 = IF-MIB::ifInOctets.3"},
		{"enterprise OID value", "1.3.6.1.6.3.1.1.4.3.0", snmp.TagObjectIdentifier, mustOID("1.3.6.1.4.1.45.1.6.2.4"), "SNMPv2-MIB::snmpTrapEnterprise.0 = S5-ROOT-MIB::s5ChaTrap"},
		{"zeroDotZero", "1.3.6.1.2.1.2.2.1.22.1", snmp.TagObjectIdentifier, mustOID("0.0"), "IF-MIB::ifSpecific.1 = SNMPv2-SMI::zeroDotZero"},
		{"IpAddress", "1.3.6.1.2.1.8.5.1.2.0", snmp.TagIPAddress, []byte{127, 0, 0, 1}, "RFC1213-MIB::egpNeighAddr.0 = 127.0.0.1"},
		{"S5 IpAddress", "1.3.6.1.4.1.45.1.6.5.3.14.0", snmp.TagIPAddress, []byte{10, 1, 30, 1}, "S5-SWITCH-BAYSECURE-MIB::s5SbsMgmViolationIpAddress.0 = 10.1.30.1"},
		{"Counter32", "1.3.6.1.2.1.2.2.1.10.3", snmp.TagCounter32, []byte{0x00, 0xff, 0xff, 0xff, 0xff}, "IF-MIB::ifInOctets.3 = 4294967295"},
		{"Gauge32", "1.3.6.1.2.1.2.2.1.5.3", snmp.TagGauge32, []byte{0x3b, 0x9a, 0xca, 0x00}, "IF-MIB::ifSpeed.3 = 1000000000"},
		{"Counter64", "1.3.6.1.2.1.31.1.1.1.6.3", snmp.TagCounter64, []byte{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "IF-MIB::ifHCInOctets.3 = 18446744073709551615"},
		{"UInteger32", "1.3.6.1.4.1.99999.1", snmp.TagUInteger32, []byte{0x01, 0x00}, "1.3.6.1.4.1.99999.1 = 256"},
		{"BITS", "1.3.6.1.4.1.8072.1.2.1.1.5.1", snmp.TagOctetString, []byte{0xc0}, "NET-SNMP-AGENT-MIB::nsModuleModes.1 = 0xc0 getAndGetNext(0) set(1)"},
		{"BITS unnamed bit", "1.3.6.1.4.1.8072.1.2.1.1.5.1", snmp.TagOctetString, []byte{0x20, 0x01}, "NET-SNMP-AGENT-MIB::nsModuleModes.1 = 0x2001 getBulk(2) 15"},
		{"NULL", ifIndex, snmp.TagNull, nil, "IF-MIB::ifIndex.3 = NULL"},
		{"noSuchObject", ifIndex, snmp.TagNoSuchObject, nil, "IF-MIB::ifIndex.3 = noSuchObject"},
		{"noSuchInstance", ifIndex, snmp.TagNoSuchInstance, nil, "IF-MIB::ifIndex.3 = noSuchInstance"},
		{"endOfMibView", ifIndex, snmp.TagEndOfMibView, nil, "IF-MIB::ifIndex.3 = endOfMibView"},
		{"Opaque", "1.3.6.1.4.1.99999.1", snmp.TagOpaque, []byte{0x9f, 0x78, 0x04}, "1.3.6.1.4.1.99999.1 = Opaque: 0x9f7804"},
		{"unknown tag", "1.3.6.1.4.1.99999.1", 0x99, []byte{1, 2}, "1.3.6.1.4.1.99999.1 = [tag 0x99] 0x0102"},
		{"empty INTEGER", ifIndex, snmp.TagInteger, nil, "IF-MIB::ifIndex.3 = <invalid INTEGER 0x>"},
		{"INTEGER over 32 bits", ifIndex, snmp.TagInteger, []byte{1, 0, 0, 0, 0}, "IF-MIB::ifIndex.3 = <invalid INTEGER 0x0100000000>"},
		{"short IpAddress", "1.3.6.1.2.1.8.5.1.2.0", snmp.TagIPAddress, []byte{127, 0, 1}, "RFC1213-MIB::egpNeighAddr.0 = <invalid IpAddress 0x7f0001>"},
		{"bad OID value", snmpTrapOID, snmp.TagObjectIdentifier, []byte{0x2b, 0x80}, "SNMPv2-MIB::snmpTrapOID.0 = <invalid OBJECT IDENTIFIER 0x2b80>"},
		{"exact non-instance node name", "1.3.6.1.4.1", snmp.TagNull, nil, "SNMPv2-SMI::enterprises = NULL"},
		{"under a non-instance node stays numeric", "1.3.6.1.4.1.9.9.9", snmp.TagInteger, []byte{1}, "1.3.6.1.4.1.9.9.9 = 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := string(tab.AppendVarbind([]byte("> "), mustOID(c.oid), c.typ, c.value))
			if got != "> "+c.want {
				t.Errorf("got  %s\nwant %s", got[2:], c.want)
			}
		})
	}
	if got := string(tab.AppendVarbind(nil, []byte{0x2b, 0x80}, snmp.TagNull, nil)); got != "<invalid OBJECT IDENTIFIER 0x2b80> = NULL" {
		t.Errorf("bad name: %s", got)
	}
	var nilTable *mib.Table
	if got := string(nilTable.AppendVarbind(nil, mustOID(ifOperStatus), snmp.TagInteger, []byte{2})); got != "1.3.6.1.2.1.2.2.1.8.3 = 2" {
		t.Errorf("nil table: %s", got)
	}
}

// TestDisplayHints renders octet strings of objects with DISPLAY-HINTs
// (RFC 2579 section 3.1) that the built-in set does not exercise.
func TestDisplayHints(t *testing.T) {
	const base = "1.3.6.1.4.1.99999.2."
	hints := map[string]string{
		"1": "2d-1d-1d,1d:1d:1d.1d,1a1d:1d", // DateAndTime
		"2": "1d.1d.1d.1d",                  // InetAddressIPv4
		"3": "2x:",                          // InetAddressIPv6 style
		"4": "*1x:/1d",                      // repeat count, separator, terminator
		"5": "1q",                           // bad format: fallback
		"6": "255a",                         // text hint: quoted
		"7": "4d",                           // a 4-octet number
		"8": "1o",                           // octal
	}
	objs := map[string]*mib.Object{}
	for k, h := range hints {
		objs[base+k] = &mib.Object{Module: "HINT-MIB", Name: "h" + k, OID: base + k, Kind: mib.KindScalar, Syntax: mib.SyntaxOctetString, Hint: h}
	}
	tab := &mib.Table{Objects: objs}
	for _, c := range []struct {
		k     string
		value []byte
		want  string
	}{
		{"1", []byte{0x07, 0xe8, 0x01, 0x0f, 0x0c, 0x22, 0x38, 0x05, '+', 0x01, 0x00}, "2024-1-15,12:34:56.5,+1:0"},
		{"1", []byte{0x07, 0xe8, 0x01, 0x0f, 0x0c, 0x22, 0x38, 0x05}, "2024-1-15,12:34:56.5"},
		{"2", []byte{192, 0, 2, 1}, "192.0.2.1"},
		{"3", []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1}, "2001:0db8:0000:0001"},
		{"4", []byte{2, 0xaa, 0xbb, 7}, "aa:bb/7"},
		{"5", []byte("text"), `"text"`},
		{"5", []byte{1, 2}, "0x0102"},
		{"6", []byte("hello"), `"hello"`},
		{"7", []byte{0, 1, 0, 0}, "65536"},
		{"8", []byte{8, 9}, "1011"},
	} {
		got := string(tab.AppendVarbind(nil, mustOID(base+c.k+".0"), snmp.TagOctetString, c.value))
		if want := "HINT-MIB::h" + c.k + ".0 = " + c.want; got != want {
			t.Errorf("hint %q: got %s, want %s", hints[c.k], got, want)
		}
	}
}

func TestAppendVarbindAllocs(t *testing.T) {
	tab := mib.Builtin()
	oid := mustOID("1.3.6.1.2.1.2.2.1.8.3")
	trapOID := mustOID("1.3.6.1.6.3.1.1.4.1.0")
	linkDown := mustOID("1.3.6.1.6.3.1.1.5.3")
	descr := mustOID("1.3.6.1.2.1.2.2.1.2.3")
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() {
		b := tab.AppendVarbind(buf[:0], oid, snmp.TagInteger, []byte{2})
		b = tab.AppendVarbind(b, trapOID, snmp.TagObjectIdentifier, linkDown)
		tab.AppendVarbind(b, descr, snmp.TagOctetString, []byte("eth0"))
	}); n != 0 {
		t.Errorf("AppendVarbind: %v allocations", n)
	}
}

var sink []byte

// vendorMerged is the table the exporter uses by default: the vendor
// table below the built-in one, merged as the loader's manager does.
func vendorMerged(tb testing.TB) *mib.Table {
	v, err := mib.Vendor()
	if err != nil {
		tb.Fatal(err)
	}
	return v.Merge(mib.Builtin())
}

// BenchmarkNotificationName names a trap OID in the built-in table alone
// and in the vendor table merged below it (about 500 times the entries):
// one map lookup either way, without allocating.
func BenchmarkNotificationName(b *testing.B) {
	for _, tab := range []struct {
		name  string
		table func(testing.TB) *mib.Table
	}{
		{"builtin", func(testing.TB) *mib.Table { return mib.Builtin() }},
		{"vendor+builtin", vendorMerged},
	} {
		b.Run(tab.name, func(b *testing.B) {
			t := tab.table(b)
			for _, c := range []struct{ name, oid string }{
				{"known", "1.3.6.1.6.3.1.1.5.3"},
				{"alias", "1.3.6.1.4.1.45.1.6.2.4.4"},
				{"vendor", "1.3.6.1.4.1.9.9.43.2.0.1"}, // CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent
				{"unknown", "1.3.6.1.4.1.31337.0.0"},
			} {
				oid := []byte(c.oid)
				want := c.name != "unknown" && (c.name != "vendor" || tab.name != "builtin")
				b.Run(c.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, ok := t.NotificationName(oid); ok != want {
							b.Fatal(ok)
						}
					}
				})
			}
		})
	}
}

func BenchmarkAppendVarbind(b *testing.B) {
	tab := mib.Builtin()
	buf := make([]byte, 0, 256)
	for _, c := range []struct {
		name  string
		oid   string
		typ   byte
		value []byte
	}{
		{"enum", "1.3.6.1.2.1.2.2.1.8.3", snmp.TagInteger, []byte{2}},
		{"string", "1.3.6.1.2.1.2.2.1.2.3", snmp.TagOctetString, []byte("GigabitEthernet0/1")},
		{"oid", "1.3.6.1.6.3.1.1.4.1.0", snmp.TagObjectIdentifier, mustOID("1.3.6.1.6.3.1.1.5.3")},
		{"unknown", "1.3.6.1.4.1.9.2.2.1.1.20.2", snmp.TagOctetString, []byte("administratively down")},
	} {
		oid := mustOID(c.oid)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = tab.AppendVarbind(buf[:0], oid, c.typ, c.value)
			}
		})
	}
}

// AppendVarbindParts gives the name, the type and the value AppendVarbind
// joins, after what dst held.
func TestAppendVarbindParts(t *testing.T) {
	table := mib.Builtin()
	oid := snmp.MustParseOID("1.3.6.1.2.1.2.2.1.8.3") // IF-MIB::ifOperStatus.3
	b, at, typ := table.AppendVarbindParts([]byte("before"), oid, snmp.TagInteger, snmp.IntegerValue(2))
	name, value := string(b[len("before"):at]), string(b[at:])
	if string(b[:len("before")]) != "before" || name != "IF-MIB::ifOperStatus.3" || typ != "INTEGER" || value != "down(2)" {
		t.Errorf("AppendVarbindParts = %q (value at %d), %q", b, at, typ)
	}
	var buf [128]byte
	two := snmp.IntegerValue(2)
	if n := testing.AllocsPerRun(100, func() { table.AppendVarbindParts(buf[:0], oid, snmp.TagInteger, two) }); n != 0 {
		t.Errorf("AppendVarbindParts allocates %v times with room in dst", n)
	}
	joined := string(table.AppendVarbind(nil, oid, snmp.TagInteger, snmp.IntegerValue(2)))
	if joined != name+" = "+value {
		t.Errorf("AppendVarbind %q, parts %q = %q", joined, name, value)
	}
	for tag, want := range map[byte]string{snmp.TagTimeTicks: "TimeTicks", snmp.TagCounter64: "Counter64", 0x99: "tag 0x99"} {
		if got := mib.TypeName(tag); got != want {
			t.Errorf("TypeName(%#x) = %q, want %q", tag, got, want)
		}
	}
}
