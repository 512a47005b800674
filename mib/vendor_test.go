package mib

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestVendorTable(t *testing.T) {
	v, err := Vendor()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v.Notifications); n < 20000 {
		t.Errorf("%d notifications, want about 21,000", n)
	}
	for oid, want := range map[string]string{
		"1.3.6.1.4.1.9.9.43.2.0.1": "CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent",
		"1.3.6.1.4.1.2636.4.1.1":   "JUNIPER-MIB::jnxPowerSupplyFailure",
	} {
		if got, ok := v.NotificationName([]byte(oid)); !ok || got != want {
			t.Errorf("%s = %q, want %q", oid, got, want)
		}
	}
	n, _ := v.Notification([]byte("1.3.6.1.4.1.2636.4.1.1"))
	if n.Source != SourceVendor || len(n.Objects) == 0 {
		t.Errorf("%+v", n)
	}
	o, _, ok := v.Object([]byte("1.3.6.1.4.1.2636.3.1.13.1.6.1.1.0.0"))
	if !ok || o.Name != "jnxOperatingState" || o.Enums[6] != "down" {
		t.Errorf("jnxOperatingState: %+v %v", o, ok)
	}
}

// A corrupt table is an error, never a panic or a huge allocation: the
// decoder under the gzip layer, seeded with pieces of the real table.
func FuzzDecodeVendor(f *testing.F) {
	zr, err := gzip.NewReader(bytes.NewReader(vendorData))
	if err != nil {
		f.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw[:512])
	f.Add(raw[:4096])
	f.Add([]byte(vendorMagic + "\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if tab, err := decodeVendorRaw(b, nil); err == nil && tab == nil {
			t.Fatal("no table and no error")
		}
	})
}

// BenchmarkDecodeVendor is the cost of the first mib.Vendor call (the
// exporter's start with --mib.vendor): gunzip and build the maps and the
// name index.
func BenchmarkDecodeVendor(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(vendorData)))
	for b.Loop() {
		if _, err := DecodeVendor(vendorData); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVendorMerge is the rest of the start's cost: the vendor table
// merged below the built-in one, and the merged index built.
func BenchmarkVendorMerge(b *testing.B) {
	v, err := Vendor()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		v.Merge(Builtin())
	}
}

// VendorUnder is Vendor().Merge(over), made in one pass.
func TestVendorUnderIsMerge(t *testing.T) {
	v, err := Vendor()
	if err != nil {
		t.Fatal(err)
	}
	want := v.Merge(Builtin())
	got, err := VendorUnder(Builtin())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notifications) != len(want.Notifications) || len(got.Objects) != len(want.Objects) || len(got.Modules) != len(want.Modules) {
		t.Fatalf("%d/%d/%d, want %d/%d/%d", len(got.Notifications), len(got.Objects), len(got.Modules),
			len(want.Notifications), len(want.Objects), len(want.Modules))
	}
	for oid := range want.Notifications {
		g, ok := got.Notification([]byte(oid))
		n, _ := want.Notification([]byte(oid))
		gn, _ := got.NotificationName([]byte(oid))
		wn, _ := want.NotificationName([]byte(oid))
		if !ok || g.OID != n.OID || g.Module != n.Module || g.Name != n.Name || g.Source != n.Source || gn != wn {
			t.Fatalf("%s: %+v %q, want %+v %q", oid, g, gn, n, wn)
		}
	}
	for oid, o := range want.Objects {
		if g := got.Objects[oid]; g == nil || g.Name != o.Name || g.Source != o.Source {
			t.Fatalf("object %s: %+v, want %+v", oid, g, o)
		}
	}
	// The by-name index made ahead answers as one made afterwards.
	gb, wb := got.ByName(), want.ByName()
	for _, name := range []string{"CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent", "linkDown", "IF-MIB::linkDown", "jnxPowerSupplyFailure", "coldStart", "NO-MIB::x"} {
		g, gerr := gb.Notification(name)
		w, werr := wb.Notification(name)
		if g != w && (g == nil || w == nil || g.OID != w.OID) || (gerr == nil) != (werr == nil) {
			t.Errorf("Notification(%q) = %v, %v; want %v, %v", name, g, gerr, w, werr)
		}
	}
	for _, name := range []string{"JUNIPER-MIB::jnxOperatingState", "ifName", "IF-MIB::ifIndex", "sysUpTime"} {
		g, gerr := gb.Object(name)
		w, werr := wb.Object(name)
		if (gerr == nil) != (werr == nil) || (gerr == nil && g.OID != w.OID) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Errorf("Object(%q) = %v, %v; want %v, %v", name, g, gerr, w, werr)
		}
	}
	if !gb.HasModule("JUNIPER-MIB") || !gb.HasModule("IF-MIB") || gb.HasModule("NO-MIB") {
		t.Error("HasModule")
	}
	// The built-ins win where both define an OID.
	if n, _ := got.Notification([]byte("1.3.6.1.6.3.1.1.5.3")); n.Source != SourceBuiltin {
		t.Errorf("linkDown from %s", n.Source)
	}
}
