package loader

import (
	"reflect"
	"strings"
	"testing"
)

func TestSniff(t *testing.T) {
	const text = `-- FAKE-MIB DEFINITIONS ::= BEGIN (a comment, not a header)
FIRST-MIB DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, enterprises FROM SNMPv2-SMI
    DisplayString
        FROM SNMPv2-TC;
first MODULE-IDENTITY
    DESCRIPTION "STRING-MIB DEFINITIONS ::= BEGIN
    inside a string, over lines"
    ::= { enterprises 1 }
Flag ::= TEXTUAL-CONVENTION STATUS current DESCRIPTION "x" SYNTAX INTEGER { a(1) }
leaf OBJECT-TYPE SYNTAX Flag MAX-ACCESS read-only STATUS current DESCRIPTION "l"
    DEFVAL { a } ::= { first 2 3 }
node OBJECT IDENTIFIER ::= { iso(1) org(3) 6 }
odd OBJECT IDENTIFIER ::= { first(1) 2 }
trap TRAP-TYPE ENTERPRISE first DESCRIPTION "t" ::= 4
odd2 TRAP-TYPE ENTERPRISE first DESCRIPTION "t" ::= { first 5 }
END
SECOND-MIB DEFINITIONS IMPLICIT TAGS ::= BEGIN
x OBJECT IDENTIFIER ::= { first 9 }
END
`
	mods := sniff([]byte(text))
	want := []sniffedModule{
		{
			Name: "FIRST-MIB", Line: 2, Offset: strings.Index(text, "FIRST-MIB"),
			Imports: []importClause{
				{Module: "SNMPv2-SMI", Names: []string{"MODULE-IDENTITY", "OBJECT-TYPE", "enterprises"}, Line: 4},
				{Module: "SNMPv2-TC", Names: []string{"DisplayString"}, Line: 6},
			},
			Defs: []definition{
				{Name: "first", Line: 7, Value: true, Macro: "MODULE-IDENTITY", Parent: "enterprises", Arcs: []uint32{1}, HasOID: true},
				{Name: "Flag", Line: 11},
				{Name: "leaf", Line: 12, Value: true, Macro: "OBJECT-TYPE", Parent: "first", Arcs: []uint32{2, 3}, HasOID: true},
				{Name: "node", Line: 14, Value: true, Macro: "OBJECT IDENTIFIER", Arcs: []uint32{1, 3, 6}, HasOID: true},
				{Name: "odd", Line: 15, Value: true, Macro: "OBJECT IDENTIFIER"},
				{Name: "trap", Line: 16, Value: true, Macro: "TRAP-TYPE", Parent: "first", Arcs: []uint32{0, 4}, HasOID: true},
				{Name: "odd2", Line: 17, Value: true, Macro: "TRAP-TYPE"},
			},
		},
		{
			Name: "SECOND-MIB", Line: 19, Offset: strings.Index(text, "SECOND-MIB"),
			Defs: []definition{{Name: "x", Line: 20, Value: true, Macro: "OBJECT IDENTIFIER", Parent: "first", Arcs: []uint32{9}, HasOID: true}},
		},
	}
	if !reflect.DeepEqual(mods, want) {
		t.Errorf("sniff:\n got %+v\nwant %+v", mods, want)
	}

	for _, notMIB := range []string{
		"",
		"just text\nwith DEFINITIONS in it\n",
		"-- X DEFINITIONS ::= BEGIN\n",
		"\"X DEFINITIONS ::= BEGIN\"",
		"X DEFINITIONS ::= BEGIN\x00",
		"X DEFINITIONS ::= END",
	} {
		if got := sniff([]byte(notMIB)); len(got) != 0 {
			t.Errorf("sniff(%q) = %+v", notMIB, got)
		}
	}
	// An IMPORTS clause that never ends does not swallow the next module.
	got := sniff([]byte("A DEFINITIONS ::= BEGIN IMPORTS a FROM B\nC DEFINITIONS ::= BEGIN END"))
	if len(got) != 2 || got[1].Name != "C" || len(got[0].Imports) != 1 {
		t.Errorf("unterminated IMPORTS: %+v", got)
	}
}

// FuzzSniff: the sniffer reads any file in an operator's directory.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{
		"A DEFINITIONS ::= BEGIN IMPORTS a, b FROM B; x OBJECT IDENTIFIER ::= { a 1 2 } END",
		"A DEFINITIONS ::= BEGIN y OBJECT-TYPE ::= { iso(1) 3 } Z ::= INTEGER END B DEFINITIONS ::= BEGIN",
		"\"unterminated", "-- comment only", "::= { ( ) }", "a(99999999999)",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mods := sniff(data)
		last := -1
		for _, m := range mods {
			if m.Offset <= last || m.Offset >= len(data) || m.Line < 1 || !strings.HasPrefix(string(data[m.Offset:]), m.Name) {
				t.Fatalf("bad module %+v", m)
			}
			last = m.Offset
			for _, d := range m.Defs {
				if d.Name == "" || d.Line < m.Line || len(d.Arcs) > maxArcs+1 || d.HasOID && len(d.Arcs) == 0 {
					t.Fatalf("bad definition %+v", d)
				}
			}
		}
	})
}
