package mib

import (
	"fmt"
	"slices"
	"strings"
)

// Lookups by name, for checking configuration (rules name traps and
// objects as "IF-MIB::linkDown" or "ifOperStatus"). They scan the table, so
// they belong to load time, never to the receive path: build a ByName once
// per table and ask it as often as needed.

// ByName finds notifications and objects of a table by name.
type ByName struct {
	t             *Table
	notifications nameIndex[*Notification]
	objects       nameIndex[*Object]
	modules       map[string]bool  // modules with definitions in the table
	aliasNames    map[string]Alias // legacy names of the aliases ("MODULE::name")
}

// nameIndex finds definitions by bare name. Most names are unique: they
// take one map entry and no slice of their own (with the vendor table's
// 39,000 definitions, a slice each cost a third of the start-up's rule
// check).
type nameIndex[T interface{ module() string }] struct {
	one  map[string]T   // the names defined once
	many map[string][]T // the others, sorted by module
}

func newNameIndex[T interface{ module() string }](n int) nameIndex[T] {
	return nameIndex[T]{one: make(map[string]T, n), many: map[string][]T{}}
}

func (x *nameIndex[T]) add(name string, v T) {
	if l, ok := x.many[name]; ok {
		x.many[name] = append(l, v)
		return
	}
	if first, ok := x.one[name]; ok {
		delete(x.one, name)
		x.many[name] = []T{first, v}
		return
	}
	x.one[name] = v
}

// get returns the definitions called name; the slice must not be changed.
func (x *nameIndex[T]) get(name string) []T {
	if l, ok := x.many[name]; ok {
		return l
	}
	if v, ok := x.one[name]; ok {
		return []T{v}
	}
	return nil
}

func (x *nameIndex[T]) sort() {
	for _, l := range x.many {
		slices.SortFunc(l, func(a, b T) int { return strings.Compare(a.module(), b.module()) })
	}
}

func (n *Notification) module() string { return n.Module }
func (o *Object) module() string       { return o.Module }

// ByName returns an index of t by name. The table must not change after.
// A table VendorUnder made has it made already (the exporter's start
// checks its rules against that table at once).
func (t *Table) ByName() *ByName {
	if t == nil {
		t = &Table{}
	}
	if b := t.byName.Load(); b != nil {
		return b
	}
	b := newByName(t)
	b.addNotifications()
	b.addObjects()
	return b
}

func newByName(t *Table) *ByName {
	b := &ByName{
		t:             t,
		notifications: newNameIndex[*Notification](len(t.Notifications)),
		objects:       newNameIndex[*Object](len(t.Objects)),
		modules:       map[string]bool{},
		aliasNames:    map[string]Alias{},
	}
	for _, a := range builtinAliases {
		if a.Name != "" {
			b.aliasNames[a.Name] = a
		}
	}
	return b
}

// addNotifications and addObjects index the table's notifications and
// objects; they may run at the same time (each has its own module set
// until join).
func (b *ByName) addNotifications() {
	for _, n := range b.t.Notifications {
		b.notifications.add(n.Name, n)
		b.modules[n.Module] = true
	}
	b.notifications.sort() // deterministic order for ambiguity messages
}

func (b *ByName) addObjects() {
	for _, o := range b.t.Objects {
		b.objects.add(o.Name, o)
		b.modules[o.Module] = true
	}
	b.objects.sort()
}

// SplitName splits "MODULE::name" into its parts; a bare "name" has an
// empty module.
func SplitName(s string) (module, name string) {
	if m, n, ok := strings.Cut(s, "::"); ok {
		return m, n
	}
	return "", s
}

// HasModule reports whether the table has definitions from the module.
func (b *ByName) HasModule(module string) bool { return b.modules[module] }

// Notification returns the notification named "MODULE::name" or a bare
// "name" (which must be unique in the table). A legacy SynOptics name that
// the built-in aliases know (S5-CHASSIS-TRAP-MIB::s5CtrUnitDown) gives the
// notification that replaces it.
func (b *ByName) Notification(s string) (*Notification, error) {
	module, name := SplitName(s)
	if name == "" {
		return nil, fmt.Errorf("%q names no notification", s)
	}
	var found []*Notification
	for _, n := range b.notifications.get(name) {
		if module == "" || n.Module == module {
			found = append(found, n)
		}
	}
	if len(found) == 0 && module != "" {
		if a, ok := b.aliasNames[s]; ok {
			if n, ok := b.t.Notifications[a.Target]; ok {
				return n, nil
			}
		}
	}
	switch len(found) {
	case 0:
		if module != "" && !b.modules[module] {
			return nil, fmt.Errorf("unknown notification %s: no module %s in the MIB table", s, module)
		}
		if module == "" && len(b.objects.get(name)) > 0 {
			return nil, fmt.Errorf("unknown notification %s (%s is an object, not a notification)", s, qualified(b.objects.get(name)[0].Module, name))
		}
		return nil, fmt.Errorf("unknown notification %s", s)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("notification name %s is ambiguous: %s", s, joinModules(found, func(n *Notification) string { return n.Module }, name))
}

// Object returns the object (any named node) called "MODULE::name" or a
// bare "name" (which must be unique in the table).
func (b *ByName) Object(s string) (*Object, error) {
	module, name := SplitName(s)
	if name == "" {
		return nil, fmt.Errorf("%q names no object", s)
	}
	var found []*Object
	for _, o := range b.objects.get(name) {
		if module == "" || o.Module == module {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		if module != "" && !b.modules[module] {
			return nil, fmt.Errorf("unknown object %s: no module %s in the MIB table", s, module)
		}
		return nil, fmt.Errorf("unknown object %s", s)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("object name %s is ambiguous: %s", s, joinModules(found, func(o *Object) string { return o.Module }, name))
}

// ModuleNotifications returns the notifications of a module, sorted by OID
// text.
func (b *ByName) ModuleNotifications(module string) []*Notification {
	var out []*Notification
	for _, n := range b.t.Notifications {
		if n.Module == module {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(x, y *Notification) int { return strings.Compare(x.OID, y.OID) })
	return out
}

// NotificationOIDs returns every dotted OID that a trap may carry and that
// the table translates to n: n's own OID and the legacy OIDs of the
// built-in aliases whose target it is. Sorted.
func (b *ByName) NotificationOIDs(n *Notification) []string {
	out := []string{n.OID}
	for _, a := range builtinAliases {
		if a.Target == n.OID {
			out = append(out, a.OID)
		}
	}
	slices.Sort(out)
	return out
}

// KnownTrapOIDs returns every dotted OID the table names as a notification,
// aliases included, sorted.
func (b *ByName) KnownTrapOIDs() []string {
	x := b.t.index()
	out := make([]string, 0, len(x.entries))
	for oid := range x.entries {
		out = append(out, oid)
	}
	slices.Sort(out)
	return out
}

func qualified(module, name string) string { return module + "::" + name }

func joinModules[T any](xs []T, module func(T) string, name string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = qualified(module(x), name)
	}
	return "defined as " + strings.Join(parts, " and ") + "; write the module"
}
