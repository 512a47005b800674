package mib

import (
	"reflect"
	"testing"
)

func TestByNameNotification(t *testing.T) {
	b := Builtin().ByName()
	for _, tc := range []struct{ in, oid, err string }{
		{in: "IF-MIB::linkDown", oid: "1.3.6.1.6.3.1.1.5.3"},
		{in: "linkDown", oid: "1.3.6.1.6.3.1.1.5.3"},
		{in: "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown", oid: "1.3.6.1.4.1.45.1.6.2.4.0.4"},
		// a legacy name of the built-in aliases gives the current definition
		{in: "S5-CHASSIS-TRAP-MIB::s5CtrUnitDown", oid: "1.3.6.1.4.1.45.1.6.2.4.0.4"},
		{in: "IF-MIB::linkDwn", err: "unknown notification IF-MIB::linkDwn"},
		{in: "NO-SUCH-MIB::linkDown", err: "unknown notification NO-SUCH-MIB::linkDown: no module NO-SUCH-MIB in the MIB table"},
		{in: "ifIndex", err: "unknown notification ifIndex (IF-MIB::ifIndex is an object, not a notification)"},
		{in: "IF-MIB::", err: `"IF-MIB::" names no notification`},
	} {
		n, err := b.Notification(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Notification(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || n.OID != tc.oid {
			t.Errorf("Notification(%q) = %v, %v, want OID %s", tc.in, n, err, tc.oid)
		}
	}
}

func TestByNameAmbiguous(t *testing.T) {
	tab := &Table{Objects: map[string]*Object{
		"1.2.3": {Module: "A-MIB", Name: "x", OID: "1.2.3", Kind: KindScalar},
		"1.2.4": {Module: "B-MIB", Name: "x", OID: "1.2.4", Kind: KindScalar},
	}, Notifications: map[string]*Notification{
		"1.2.5.0.1": {Module: "A-MIB", Name: "t", OID: "1.2.5.0.1"},
		"1.2.6.0.1": {Module: "B-MIB", Name: "t", OID: "1.2.6.0.1"},
	}}
	b := tab.ByName()
	if _, err := b.Object("x"); err == nil || err.Error() != "object name x is ambiguous: defined as A-MIB::x and B-MIB::x; write the module" {
		t.Errorf("Object(x) error = %v", err)
	}
	if o, err := b.Object("B-MIB::x"); err != nil || o.OID != "1.2.4" {
		t.Errorf("Object(B-MIB::x) = %v, %v", o, err)
	}
	if _, err := b.Notification("t"); err == nil || err.Error() != "notification name t is ambiguous: defined as A-MIB::t and B-MIB::t; write the module" {
		t.Errorf("Notification(t) error = %v", err)
	}
}

func TestByNameObject(t *testing.T) {
	b := Builtin().ByName()
	o, err := b.Object("IF-MIB::ifOperStatus")
	if err != nil || o.OID != "1.3.6.1.2.1.2.2.1.8" || o.Enums[1] != "up" {
		t.Errorf("Object(IF-MIB::ifOperStatus) = %+v, %v", o, err)
	}
	if o, err := b.Object("s5ChasComOperState"); err != nil || o.Module != "S5-CHASSIS-MIB" {
		t.Errorf("Object(s5ChasComOperState) = %+v, %v", o, err)
	}
	if _, err := b.Object("IF-MIB::ifFoo"); err == nil || err.Error() != "unknown object IF-MIB::ifFoo" {
		t.Errorf("error = %v", err)
	}
	if _, err := b.Object("X-MIB::ifFoo"); err == nil || err.Error() != "unknown object X-MIB::ifFoo: no module X-MIB in the MIB table" {
		t.Errorf("error = %v", err)
	}
}

func TestByNameModuleAndAliases(t *testing.T) {
	b := Builtin().ByName()
	if !b.HasModule("S5-CHASSIS-TRAP-MIB") || b.HasModule("NO-MIB") {
		t.Error("HasModule")
	}
	var names []string
	for _, n := range b.ModuleNotifications("S5-CHASSIS-TRAP-MIB") {
		names = append(names, n.Name)
	}
	want := []string{"s5CtrNewHotSwap", "s5CtrNewProblem", "s5CtrNewUnitUp", "s5CtrNewUnitDown", "s5CtrFanRotationError", "s5CtrFanDirectionError", "s5CtrHighTemperatureError"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("ModuleNotifications = %v, want %v", names, want)
	}
	n, _ := b.Notification("S5-CHASSIS-TRAP-MIB::s5CtrFanRotationError")
	if got, want := b.NotificationOIDs(n), []string{"1.3.6.1.4.1.45.1.6.2.4.0.5", "1.3.6.1.4.1.45.1.6.2.4.5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("NotificationOIDs = %v, want %v", got, want)
	}
	// Every OID a name gives translates back to that name.
	for _, oid := range b.KnownTrapOIDs() {
		name, ok := Builtin().NotificationName([]byte(oid))
		if !ok {
			t.Fatalf("KnownTrapOIDs has %s, which has no name", oid)
		}
		n, err := b.Notification(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		found := false
		for _, o := range b.NotificationOIDs(n) {
			found = found || o == oid
		}
		if !found {
			t.Errorf("%s (%s) is not among NotificationOIDs(%s) = %v", oid, name, name, b.NotificationOIDs(n))
		}
	}
}
