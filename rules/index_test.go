package rules

import (
	"bytes"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

func TestIndexText(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
		ok   bool
	}{
		{nil, "", true},
		{[]byte{3}, "3", true},
		{[]byte{3, 1, 0}, "3.1.0", true},
		{[]byte{10, 0, 0, 1}, "10.0.0.1", true},
		{[]byte{0x81, 0x00}, "128", true},
		{[]byte{0x8f, 0xff, 0xff, 0xff, 0x7f}, "4294967295", true},
		{[]byte{0x90, 0x80, 0x80, 0x80, 0x00}, "", false}, // 2^32
		{[]byte{0x80, 0x01}, "", false},                   // not minimal
		{[]byte{3, 0x81}, "", false},                      // unterminated
	} {
		got, ok := indexText(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("indexText(% x) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzAppendArcs checks appendArcs against snmp.AppendOID: an index put
// after "1.3" (content 0x2b) is an OID whose dotted form ends with it.
func FuzzAppendArcs(f *testing.F) {
	for _, s := range [][]byte{{}, {3}, {3, 1, 0}, {0x81, 0x00}, {0x80}, {0x8f, 0xff, 0xff, 0xff, 0x7f}, {0x90, 0x80, 0x80, 0x80, 0x00}, {0xff}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c []byte) {
		prefix := []byte("x=")
		got, ok := appendArcs(append([]byte(nil), prefix...), c)
		if !bytes.HasPrefix(got, prefix) {
			t.Fatalf("appendArcs lost dst's content: %q", got)
		}
		if !ok {
			if len(got) != len(prefix) {
				t.Fatalf("appendArcs(% x) failed but appended %q", c, got)
			}
		}
		want, err := snmp.AppendOID(nil, append([]byte{0x2b}, c...))
		if len(c) > 126 {
			return // AppendOID refuses over 128 arcs; appendArcs has no such bound
		}
		if (err == nil) != ok {
			t.Fatalf("appendArcs(% x) ok=%v, AppendOID error %v", c, ok, err)
		}
		if !ok {
			return
		}
		w := strings.TrimPrefix(strings.TrimPrefix(string(want), "1.3"), ".")
		if string(got[len(prefix):]) != w {
			t.Fatalf("appendArcs(% x) = %q, AppendOID gives %q", c, got[len(prefix):], want)
		}
	})
}

// FuzzApply feeds the built-in rules varbinds of any name, type and
// content under the traps they match: nothing may panic, and every update
// has one value per label.
func FuzzApply(f *testing.F) {
	s, err := Compile(nil, config.BuiltinRules{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	ifOper := snmp.MustParseOID("1.3.6.1.2.1.2.2.1.8.3")
	f.Add(uint8(0), ifOper, snmp.TagInteger, []byte{2})
	f.Add(uint8(1), snmp.MustParseOID("1.3.6.1.2.1.2.2.1.2"), snmp.TagOctetString, []byte("eth\xff"))
	f.Add(uint8(2), snmp.MustParseOID("1.3.6.1.4.1.45.1.6.3.3.1.1.10.3.1.0"), snmp.TagInteger, []byte{0x80, 0})
	traps := [][]byte{
		snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3"),
		snmp.MustParseOID("1.3.6.1.6.3.1.1.5.4"),
		snmp.MustParseOID("1.3.6.1.4.1.45.1.6.2.4.0.2"),
		snmp.MustParseOID("1.3.6.1.4.1.45.1.6.2.4.5"),
	}
	f.Fuzz(func(t *testing.T, which uint8, oid []byte, typ byte, value []byte) {
		tr := &Trap{Device: "d", OID: traps[int(which)%len(traps)], Varbinds: []snmp.Varbind{{OID: oid, Type: typ, Value: value}}}
		s.Apply(tr, &recorder{})
	})
}
