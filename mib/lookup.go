package mib

import (
	"bytes"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Alias maps a legacy trap OID to the OID of the notification that replaces
// it. The built-in aliases cover SynOptics traps sent under the OIDs of the
// badly converted SMIv2 definitions ({ s5ChaTrap N }, { s5EthTrap N }); see
// README.md, "SynOptics".
type Alias struct {
	OID    string // the legacy OID, dotted
	Name   string // the name the vendor MIB gives OID ("MODULE::name"), if any
	Target string // the OID of the current notification
}

// Aliases returns the built-in aliases, sorted by OID.
//
// Every table applies them, the built-in one and any other (a table loaded
// from the operator's MIB directories, a merged one): a trap whose OID is an
// alias's OID gets the name the table has for the alias's Target. This runs
// after the MIB lookup, so loading the vendor's own S5 MIBs, which name the
// legacy OIDs s5CtrUnitDown etc., does not split one trap into two names.
//
// The S5-ETHERNET-TRAP-MIB renumbered its traps: the legacy { s5EthTrap N }
// for N = 1..4 maps to the current definitions at { s5EthTrap 0 N+7 }, while
// { s5EthTrap 0 N } itself always means the current definition at that
// OID, never the SMIv1 trap that once had specific-trap N.
func Aliases() []Alias { return slices.Clone(builtinAliases) }

// index is what the lookups read: built once per table.
type index struct {
	// entries maps a dotted OID, aliases included, to the definition and
	// its "MODULE::name". One map, not two: with the vendor table it holds
	// 22,000 OIDs, and building it is part of the start-up.
	entries map[string]indexEntry
}

type indexEntry struct {
	name string
	n    *Notification
}

// indexRef holds a table's index, built on first use.
type indexRef struct{ p atomic.Pointer[index] }

var emptyIndex = &index{}

func (t *Table) index() *index {
	if t == nil {
		return emptyIndex
	}
	if x := t.idx.p.Load(); x != nil {
		return x
	}
	t.idx.p.CompareAndSwap(nil, buildIndex(t))
	return t.idx.p.Load()
}

func buildIndex(t *Table) *index {
	x := &index{entries: make(map[string]indexEntry, len(t.Notifications)+len(builtinAliases))}
	// The "MODULE::name" strings share one allocation: with the vendor
	// table there are 22,000 of them.
	size := 0
	for _, n := range t.Notifications {
		size += len(n.Module) + 2 + len(n.Name)
	}
	arena := make([]byte, 0, size)
	for oid, n := range t.Notifications {
		start := len(arena)
		arena = append(append(append(arena, n.Module...), "::"...), n.Name...)
		x.entries[oid] = indexEntry{unsafe.String(unsafe.SliceData(arena[start:]), len(arena)-start), n}
	}
	for _, a := range builtinAliases {
		if e, ok := x.entries[a.Target]; ok {
			x.entries[a.OID] = e
		}
	}
	return x
}

var builtin = sync.OnceValue(func() *Table {
	t := &Table{
		Notifications: make(map[string]*Notification, len(builtinNotifications)),
		Objects:       make(map[string]*Object, len(builtinObjects)),
		Modules:       slices.Clone(builtinModules),
	}
	for i := range builtinNotifications {
		n := &builtinNotifications[i]
		n.Source = SourceBuiltin
		t.Notifications[n.OID] = n
	}
	for i := range builtinObjects {
		o := &builtinObjects[i]
		o.Source = SourceBuiltin
		t.Objects[o.OID] = o
	}
	t.idx.p.Store(buildIndex(t))
	return t
})

// Builtin returns the table compiled into the binary: the shipped IETF and
// net-snmp modules (mib/mibs), the SynOptics trap definitions and the other
// facts of mib/extra.csv. Every call returns the same table; do not modify it.
func Builtin() *Table { return builtin() }

// Merge returns a new table with the definitions of t and of over; where
// both define an OID, over's definition wins. Operator MIBs are merged over
// the built-in table this way. Neither t nor over is changed; either may be
// nil.
func (t *Table) Merge(over *Table) *Table {
	n := &Table{
		Notifications: map[string]*Notification{},
		Objects:       map[string]*Object{},
	}
	seen := map[string]bool{}
	for _, src := range []*Table{t, over} {
		if src == nil {
			continue
		}
		for oid, v := range src.Notifications {
			n.Notifications[oid] = v
		}
		for oid, v := range src.Objects {
			n.Objects[oid] = v
		}
		for _, m := range src.Modules {
			if !seen[m] {
				seen[m] = true
				n.Modules = append(n.Modules, m)
			}
		}
	}
	n.idx.p.Store(buildIndex(n))
	return n
}

// NotificationName returns "MODULE::name" for the notification whose dotted
// OID ("1.3.6.1.6.3.1.1.5.3", a leading dot is allowed) is given, with the
// aliases applied. It does not allocate. ok is false for an unknown OID,
// which the caller then shows as the numeric OID.
func (t *Table) NotificationName(dottedOID []byte) (name string, ok bool) {
	if len(dottedOID) > 0 && dottedOID[0] == '.' {
		dottedOID = dottedOID[1:]
	}
	e, ok := t.index().entries[string(dottedOID)]
	return e.name, ok
}

// Notification returns the definition of the notification with the dotted
// OID, with the aliases applied (a legacy SynOptics OID gives the current
// definition).
func (t *Table) Notification(dottedOID []byte) (*Notification, bool) {
	if len(dottedOID) > 0 && dottedOID[0] == '.' {
		dottedOID = dottedOID[1:]
	}
	e, ok := t.index().entries[string(dottedOID)]
	return e.n, ok
}

// Object returns the named node whose OID is the longest prefix of the
// dotted OID, and the arcs that follow it (the instance index: "3" for
// ifIndex.3, "" for an exact match). ok is false when no prefix is named.
//
// The match may be any named node: 1.3.6.1.4.1.9.9 gives
// SNMPv2-SMI::enterprises with index "9.9". Use HasInstances to tell an
// object instance from a point in the tree.
func (t *Table) Object(dottedOID []byte) (obj *Object, index string, ok bool) {
	if len(dottedOID) > 0 && dottedOID[0] == '.' {
		dottedOID = dottedOID[1:]
	}
	o, n := t.lookupObject(dottedOID)
	if o == nil {
		return nil, "", false
	}
	if n < len(dottedOID) {
		index = string(dottedOID[n+1:])
	}
	return o, index, true
}

// lookupObject finds the longest named prefix of the dotted OID d, cut at
// an arc boundary, and returns it with the prefix's length. It does not
// allocate.
func (t *Table) lookupObject(d []byte) (*Object, int) {
	if t == nil || len(t.Objects) == 0 {
		return nil, 0
	}
	for end := len(d); end > 0; {
		if o, ok := t.Objects[string(d[:end])]; ok {
			return o, end
		}
		end = bytes.LastIndexByte(d[:end], '.')
	}
	return nil, 0
}
