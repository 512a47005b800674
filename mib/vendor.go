package mib

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"
)

// The vendor table: notifications of about 90 vendors' MIBs and the
// objects they carry, compiled by mib/internal/vendorgen from
// netdisco-mibs (see README.md, "The vendor table"). It is a table of
// facts; no MIB file is in the binary.
//
//go:embed vendor_table.bin
var vendorData []byte

// vendorMagic is vendorgen.Magic: the format and its version.
const vendorMagic = "snmptrap-vendor-table\x01"

var vendor = sync.OnceValues(func() (*Table, error) { return DecodeVendor(vendorData) })

// Vendor returns the compiled vendor table, decoded on the first call
// (every call returns the same table; do not modify it). Its definitions
// come below the built-in ones and an operator's --mib.dir.
func Vendor() (*Table, error) { return vendor() }

// VendorUnder returns a new table of the vendor table's definitions with
// over's over them, by OID: what Vendor().Merge(over) gives, made in one
// pass from a fresh decode, without copying the vendor table's maps and
// indexing them twice (half the start-up cost of the vendor table).
func VendorUnder(over *Table) (*Table, error) {
	raw, err := inflateVendor(vendorData)
	if err != nil {
		return nil, err
	}
	// The OID index and the notifications' half of the by-name index need
	// the notifications only: they are built on the other core while the
	// objects are decoded.
	idx := make(chan *index, 1)
	var notes *ByName
	t, err := decodeVendorRaw(raw, func(t *Table) {
		if over != nil {
			for oid, n := range over.Notifications {
				t.Notifications[oid] = n
			}
		}
		notes = newByName(t)
		go func() {
			notes.addNotifications()
			idx <- buildIndex(t)
		}()
	})
	if err != nil {
		if notes != nil {
			<-idx
		}
		return nil, err
	}
	seen := make(map[string]bool, len(t.Modules))
	for _, m := range t.Modules {
		seen[m] = true
	}
	if over != nil {
		for oid, o := range over.Objects {
			t.Objects[oid] = o
		}
		for _, m := range over.Modules {
			if !seen[m] {
				seen[m] = true
				t.Modules = append(t.Modules, m)
			}
		}
	}
	objs := newByName(t)
	objs.addObjects()
	t.idx.p.Store(<-idx)
	notes.objects = objs.objects
	for m := range objs.modules {
		notes.modules[m] = true
	}
	t.byName.Store(notes)
	return t, nil
}

// DecodeVendor decodes a table in vendorgen's form.
func DecodeVendor(data []byte) (*Table, error) { return decodeVendor(data, true) }

func decodeVendor(data []byte, index bool) (*Table, error) {
	raw, err := inflateVendor(data)
	if err != nil {
		return nil, err
	}
	t, err := decodeVendorRaw(raw, nil)
	if err == nil && index {
		t.idx.p.Store(buildIndex(t))
	}
	return t, err
}

// inflateVendor undoes the table's gzip.
func inflateVendor(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("vendor table: %w", err)
	}
	// gzip's trailer gives the size (mod 2^32): one buffer of the right
	// size instead of ReadAll's doublings and copies.
	size := 0
	if len(data) >= 4 {
		size = int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	}
	if size <= 0 || size > 256<<20 {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+512))
	if _, err := io.Copy(buf, io.LimitReader(zr, 256<<20)); err != nil {
		return nil, fmt.Errorf("vendor table: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeVendorRaw decodes the uncompressed table. afterNotes, if not nil, is
// called once the notifications are in the table, before the objects are
// decoded (which it must not touch).
func decodeVendorRaw(raw []byte, afterNotes func(*Table)) (*Table, error) {
	d := &vendorDecoder{b: raw}
	if !bytes.HasPrefix(raw, []byte(vendorMagic)) {
		return nil, errors.New("vendor table: not this format or version")
	}
	d.b = d.b[len(vendorMagic):]
	// The strings share one allocation.
	n := d.count()
	strs := make([]string, n)
	lens := make([]int, n)
	rest := d.b
	total := 0
	for i := range n {
		l := d.count()
		if d.err != nil || l > len(d.b) {
			return nil, errors.New("vendor table: truncated string table")
		}
		lens[i] = l
		d.b = d.b[l:]
		total += l
	}
	arena := make([]byte, 0, total)
	d2 := &vendorDecoder{b: rest}
	for i := range n {
		d2.count()
		arena = append(arena, d2.b[:lens[i]]...)
		d2.b = d2.b[lens[i]:]
	}
	all := unsafe.String(unsafe.SliceData(arena), len(arena))
	off := 0
	for i := range n {
		strs[i] = all[off : off+lens[i]]
		off += lens[i]
	}
	str := func() string {
		i := d.index()
		if i >= len(strs) {
			d.fail()
			return ""
		}
		return strs[i]
	}

	t := &Table{}
	nn := d.count()
	t.Notifications = make(map[string]*Notification, nn+64) // room for the built-ins over it
	notes := make([]Notification, nn)
	for i := range notes {
		x := &notes[i]
		x.OID, x.Module, x.Name, x.Status, x.Source = str(), str(), str(), str(), SourceVendor
		if k := d.count(); k > 0 {
			x.Objects = make([]string, k)
			for j := range x.Objects {
				x.Objects[j] = str()
			}
		}
		t.Notifications[x.OID] = x
	}
	if d.err != nil {
		return nil, d.err
	}
	if afterNotes != nil {
		afterNotes(t)
	}
	no := d.count()
	t.Objects = make(map[string]*Object, no+1024)
	objs := make([]Object, no)
	for i := range objs {
		o := &objs[i]
		o.OID, o.Module, o.Name = str(), str(), str()
		o.Kind, o.Syntax = Kind(str()), Syntax(str())
		o.TC, o.Hint, o.Source = str(), str(), SourceVendor
		if k := d.count(); k > 0 {
			o.Enums = make(map[int64]string, k)
			for range k {
				v := d.varint()
				o.Enums[v] = str()
			}
		}
		t.Objects[o.OID] = o
	}
	t.Modules = make([]string, d.count())
	for i := range t.Modules {
		t.Modules[i] = str()
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errors.New("vendor table: trailing bytes")
	}
	return t, nil
}

type vendorDecoder struct {
	b   []byte
	err error
}

func (d *vendorDecoder) fail() {
	if d.err == nil {
		d.err = errors.New("vendor table: truncated or corrupt")
	}
}

// count reads an unsigned varint that counts something (or a string's
// length): every counted thing takes at least a byte, so it cannot exceed
// what is left of the data, which bounds every allocation.
func (d *vendorDecoder) count() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) {
		d.fail()
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// index reads an unsigned varint that indexes the string table (checked
// by the caller).
func (d *vendorDecoder) index() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > 1<<31 {
		d.fail()
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *vendorDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}
