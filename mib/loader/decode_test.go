package loader

import (
	"bytes"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

func TestDecode(t *testing.T) {
	const doc = `{"version":1,
	"modules":[{"name":"A-MIB","file":"/m/a"},{"name":"A-MIB","file":"/m/a2"},{"name":"bad name","file":"x"}],
	"objects":[
		{"module":"A-MIB","name":"a","oid":".1.3.6.1.4.1.1","kind":"scalar","syntax":"Counter32","tc":"Foo","hint":"255a",
		 "enums":[{"value":1,"label":"up"},{"value":1,"label":"dup"},{"value":2,"label":""}]},
		{"module":"A-MIB","name":"again","oid":"1.3.6.1.4.1.1","kind":"scalar"},
		{"module":"A-MIB","name":"w","oid":"1.3.6.1.4.1.2","kind":"weird","syntax":"Float"},
		{"module":"A-MIB","name":"bad","oid":"3.1"},
		{"module":"A-MIB","name":"bad","oid":"1.01"},
		{"module":"A-MIB","name":"bad","oid":"1.4294967296"},
		{"module":"A-MIB","name":"bad","oid":"1..2"},
		{"module":"","name":"bad","oid":"1.2"}
	],
	"notifications":[
		{"module":"A-MIB","name":"n","oid":"1.3.6.1.4.1.1.0.1","status":"mandatory","objects":["1.3.6.1.4.1.1","junk","2.5"]}
	],
	"errors":[{"file":"/m/b","line":-3,"message":"boom"}]}`
	tab, errs, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tab.Modules, ",") != "A-MIB" {
		t.Errorf("modules %v", tab.Modules)
	}
	a := tab.Objects["1.3.6.1.4.1.1"]
	if a == nil || a.Name != "a" || a.Kind != mib.KindScalar || a.Syntax != mib.SyntaxCounter32 || a.TC != "Foo" || a.Hint != "255a" ||
		len(a.Enums) != 1 || a.Enums[1] != "up" {
		t.Errorf("a = %+v", a)
	}
	if w := tab.Objects["1.3.6.1.4.1.2"]; w == nil || w.Kind != mib.KindNode || w.Syntax != mib.SyntaxOther {
		t.Errorf("w = %+v", w)
	}
	if len(tab.Objects) != 2 {
		t.Errorf("objects %v", tab.Objects)
	}
	n := tab.Notifications["1.3.6.1.4.1.1.0.1"]
	if n == nil || n.Status != "" || strings.Join(n.Objects, " ") != "1.3.6.1.4.1.1 2.5" {
		t.Errorf("n = %+v", n)
	}
	if len(errs) != 2 || errs[0].Line != 0 || errs[0].Message != "boom" || !strings.Contains(errs[1].Message, "dropped 6 malformed entries") {
		t.Errorf("errs = %+v", errs)
	}

	for _, bad := range []string{"", "null", "[]", `{"version":2}`, `{"version":1,"objects":{}}`, "{\"version\":1} trailing"} {
		if _, _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q): no error", bad)
		}
	}
}

// FuzzDecode: Decode reads what a child process wrote. Whatever that is, it
// must not panic, and what it returns keeps the table's invariants.
func FuzzDecode(f *testing.F) {
	var out, events bytes.Buffer
	Main([]string{"testdata/mixed"}, nil, mib.Files, &out, &events)
	f.Add(out.Bytes())
	f.Add([]byte(`{"version":1,"modules":[{"name":"X","file":"f"}],"objects":[{"module":"X","name":"x","oid":"1.3","kind":"column","syntax":"BITS","enums":[{"value":-1,"label":"l"}]}],"notifications":[{"module":"X","name":"n","oid":"1.3.0.1","objects":["1.3"]}],"errors":[{"file":"f","line":1,"message":"m"}]}`))
	f.Add([]byte(`{"version":1,"objects":[{"oid":"2.999999999999"}]}`))
	f.Add([]byte(`{"version":1,"notifications":[{"module":"X","name":"n","oid":"0","objects":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, errs, err := Decode(data)
		if err != nil {
			if tab != nil || errs != nil {
				t.Fatal("results with an error")
			}
			return
		}
		for oid, o := range tab.Objects {
			if c, ok := canonicalOID(oid); !ok || c != oid || o.OID != oid || !validName(o.Name) || !validName(o.Module) {
				t.Fatalf("object %q: %+v", oid, o)
			}
			if syntaxOf(string(o.Syntax)) != o.Syntax || kindOfName(string(o.Kind)) != o.Kind || len(o.Enums) > maxEnums {
				t.Fatalf("object %q: %+v", oid, o)
			}
		}
		for oid, n := range tab.Notifications {
			if c, ok := canonicalOID(oid); !ok || c != oid || n.OID != oid || len(n.Objects) > maxNotifObjs {
				t.Fatalf("notification %q: %+v", oid, n)
			}
			for _, o := range n.Objects {
				if _, ok := canonicalOID(o); !ok {
					t.Fatalf("notification %q object %q", oid, o)
				}
			}
		}
		for _, e := range errs {
			if e.Line < 0 || len(e.Message) > maxMessageLen+len("…") {
				t.Fatalf("error %+v", e)
			}
		}
	})
}

// FuzzTracker: the tracker reads the child's standard error, a stream of
// events and whatever a crashing runtime prints.
func FuzzTracker(f *testing.F) {
	f.Add([]byte(eventOpen+`"a"`+"\n"+eventDone+`"a"`+"\npanic: x\n"), uint8(3))
	f.Add([]byte(eventOpen+`"unterminated`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		tr := &tracker{}
		step := int(chunk) + 1
		for i := 0; i < len(data); i += step {
			tr.Write(data[i:min(i+step, len(data))])
		}
		if len(tr.open) > maxOpenDepth || len(tr.tail) > maxTailLines || len(tr.partial) > maxLine {
			t.Fatalf("unbounded: %d open, %d tail, %d partial", len(tr.open), len(tr.tail), len(tr.partial))
		}
		for _, l := range tr.tail {
			if len(l) > maxLine {
				t.Fatalf("line of %d bytes", len(l))
			}
		}
		_ = tr.where() + tr.tailText() + tr.lastLine()
	})
}
