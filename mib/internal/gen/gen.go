// Package gen builds the built-in MIB table: it parses the shipped MIB
// modules (mib/mibs/*.txt) with gosmi, adds the facts of mib/extra.csv and
// writes the result as Go source (mib/builtin_table.go).
//
// It is used by `go generate ./mib` (through mib/internal/mibgen) and by
// the test that checks that the committed table is up to date. The runtime
// package mib does not import it, so the exporter's receive path does not
// depend on gosmi.
package gen

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sleepinggenius2/gosmi"
	"github.com/sleepinggenius2/gosmi/parser"

	"github.com/sleepinggenius2/gosmi/types"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/internal/smisyntax"
)

// The types below mirror those of package mib, which this package does not
// import: the generator must build even when mib/builtin_table.go is
// missing or stale.

// Syntax is mib.Syntax.
type Syntax string

// The values of mib.Syntax.
const (
	SyntaxInteger       Syntax = "INTEGER"
	SyntaxOctetString   Syntax = "OCTET STRING"
	SyntaxDisplayString Syntax = "DisplayString"
	SyntaxOID           Syntax = "OBJECT IDENTIFIER"
	SyntaxIPAddress     Syntax = "IpAddress"
	SyntaxCounter32     Syntax = "Counter32"
	SyntaxGauge32       Syntax = "Gauge32"
	SyntaxTimeTicks     Syntax = "TimeTicks"
	SyntaxCounter64     Syntax = "Counter64"
	SyntaxUnsigned32    Syntax = "Unsigned32"
	SyntaxOpaque        Syntax = "Opaque"
	SyntaxBits          Syntax = "BITS"
	SyntaxOther         Syntax = ""
)

// Kind is mib.Kind.
type Kind string

// The values of mib.Kind.
const (
	KindNode         Kind = "node"
	KindScalar       Kind = "scalar"
	KindTable        Kind = "table"
	KindRow          Kind = "row"
	KindColumn       Kind = "column"
	KindGroup        Kind = "group"
	KindCompliance   Kind = "compliance"
	KindCapabilities Kind = "capabilities"
)

// Object is mib.Object.
type Object struct {
	Module, Name, OID string
	Kind              Kind
	Syntax            Syntax
	TC, Hint          string
	Enums             map[int64]string
}

// HasInstances is mib.Object.HasInstances.
func (o *Object) HasInstances() bool { return o.Kind == KindScalar || o.Kind == KindColumn }

// Notification is mib.Notification.
type Notification struct {
	Module, Name, OID, Status string
	Objects                   []string
}

// Alias is mib.Alias.
type Alias struct {
	OID, Name, Target string
}

// Set is the content of a table before it is written out.
type Set struct {
	Modules       []string
	Objects       []Object
	Notifications []Notification
	Aliases       []Alias
}

// Generate reads dir/mibs/*.txt and dir/extra.csv, dir being the mib
// package directory, and returns the gofmt'd source of builtin_table.go.
// The output depends only on those files.
func Generate(dir string) ([]byte, error) {
	set, err := Collect(dir)
	if err != nil {
		return nil, err
	}
	return Render(set)
}

// Collect builds the Set from dir/mibs/*.txt and dir/extra.csv.
func Collect(dir string) (*Set, error) {
	mibDir := filepath.Join(dir, "mibs")
	files, err := filepath.Glob(filepath.Join(mibDir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no MIB files in %s", mibDir)
	}
	slices.Sort(files)
	set, err := LoadSMI([]string{mibDir}, files)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, "extra.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := addExtra(set, f); err != nil {
		return nil, fmt.Errorf("extra.csv: %w", err)
	}
	set.sort()
	return set, nil
}

// smiMu serialises use of gosmi, which keeps all its state (the loaded
// modules, the search path) in package variables.
var smiMu sync.Mutex

// LoadSMI parses the MIB files (each named after its module: MODULE.txt,
// MODULE.mib) and returns every notification and named node of the loaded
// modules and of the modules they import. Imports are looked up in dirs,
// which must hold the files too.
//
// Each file is first parsed with gosmi's parser alone, because gosmi's
// loader prints a syntax error to stdout and returns only "Could not load
// module"; the parser's error carries the file and line.
func LoadSMI(dirs []string, files []string) (*Set, error) {
	// Number of OBJECTS of each notification, from the syntax tree, to check
	// that gosmi resolved all of them (it stops at the first it cannot).
	wantObjects := map[string]int{}
	var names []string
	for _, file := range files {
		m, err := parser.ParseFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		if string(m.Name) != name {
			return nil, fmt.Errorf("%s: file holds module %s, want %s", file, m.Name, name)
		}
		for _, n := range m.Body.Nodes {
			switch {
			case n.NotificationType != nil:
				wantObjects[name+"::"+string(n.Name)] = len(n.NotificationType.Objects)
			case n.TrapType != nil:
				wantObjects[name+"::"+string(n.Name)] = len(n.TrapType.Objects)
			}
		}
		names = append(names, name)
	}

	smiMu.Lock()
	defer smiMu.Unlock()
	gosmi.Init()
	defer gosmi.Exit()
	gosmi.SetPath(strings.Join(dirs, string(os.PathListSeparator)))
	for _, name := range names {
		got, err := gosmi.LoadModule(name)
		if err != nil {
			return nil, fmt.Errorf("gosmi: %w", err)
		}
		if got != name {
			return nil, fmt.Errorf("gosmi: loading %s gave module %s", name, got)
		}
	}

	set := &Set{}
	objects := map[string]candidate[Object]{}
	// Nodes gosmi could not place (it gives them no OID): RFC1155-SMI's
	// internet ::= { iso org(3) dod(6) 1 } and everything under it. The
	// same nodes come from SNMPv2-SMI.
	var unplaced []string
	notifications := map[string]candidate[Notification]{}
	for _, mod := range gosmi.GetLoadedModules() {
		if mod.Name == "<well-known>" {
			continue // ccitt, iso, joint-iso-ccitt
		}
		preferred := !superseded[mod.Name]
		for _, n := range mod.GetNodes() {
			if n.Name == "" || strings.Contains(n.Name, "#") {
				continue // gosmi's placeholder for SMIv1 enterprise.0
			}
			oid := n.RenderNumeric()
			if oid == "" {
				unplaced = append(unplaced, mod.Name+"::"+n.Name)
				continue
			}
			if err := checkOID(oid); err != nil {
				return nil, fmt.Errorf("%s::%s: %w", mod.Name, n.Name, err)
			}
			if n.Kind == types.NodeNotification {
				no := Notification{Module: mod.Name, Name: n.Name, OID: oid, Status: smisyntax.Status(n.Status)}
				for _, o := range n.GetNotificationObjects() {
					no.Objects = append(no.Objects, o.RenderNumeric())
				}
				if want, ok := wantObjects[mod.Name+"::"+n.Name]; ok && want != len(no.Objects) {
					return nil, fmt.Errorf("%s::%s: gosmi resolved %d of its %d OBJECTS", mod.Name, n.Name, len(no.Objects), want)
				}
				keep(notifications, oid, candidate[Notification]{no, preferred, mod.Name})
				continue
			}
			o, err := object(mod.Name, n)
			if err != nil {
				return nil, err
			}
			keep(objects, oid, candidate[Object]{o, preferred, mod.Name})
		}
	}
	for _, name := range unplaced {
		if !superseded[strings.SplitN(name, "::", 2)[0]] {
			return nil, fmt.Errorf("gosmi gave %s no OID", name)
		}
	}
	for _, c := range objects {
		set.Objects = append(set.Objects, c.v)
	}
	for _, c := range notifications {
		set.Notifications = append(set.Notifications, c.v)
	}
	return set, nil
}

// superseded are the SMIv1 modules whose definitions the SMIv2 ones
// replace: SNMPv2-SMI replaces RFC1155-SMI; SNMPv2-MIB, IF-MIB and others
// replace parts of RFC1213-MIB. (gosmi's Language cannot tell: it calls
// SNMPv2-SMI, SNMPv2-TC and SNMPv2-CONF SMIv1, as they have no
// MODULE-IDENTITY.)
var superseded = map[string]bool{"RFC1155-SMI": true, "RFC1213-MIB": true, "RFC-1215": true}

// candidate is one module's definition of an OID.
type candidate[T any] struct {
	v         T
	preferred bool
	module    string
}

// keep records c for oid unless a better definition is there already. Some
// OIDs are defined twice in the shipped set (RFC1213-MIB against
// SNMPv2-MIB, IF-MIB and SNMPv2-SMI): a module that is not superseded
// wins, then the module whose name sorts first.
func keep[T any](m map[string]candidate[T], oid string, c candidate[T]) {
	old, ok := m[oid]
	if ok && (old.preferred && !c.preferred || old.preferred == c.preferred && old.module <= c.module) {
		return
	}
	m[oid] = c
}

func kind(k types.NodeKind) Kind {
	switch k {
	case types.NodeScalar:
		return KindScalar
	case types.NodeTable:
		return KindTable
	case types.NodeRow:
		return KindRow
	case types.NodeColumn:
		return KindColumn
	case types.NodeGroup:
		return KindGroup
	case types.NodeCompliance:
		return KindCompliance
	case types.NodeCapabilities:
		return KindCapabilities
	}
	return KindNode
}

// object converts a gosmi node that is not a notification.
func object(module string, n gosmi.SmiNode) (Object, error) {
	o := Object{Module: module, Name: n.Name, OID: n.RenderNumeric(), Kind: kind(n.Kind)}
	if !o.HasInstances() || n.SmiType == nil {
		return o, nil
	}
	syn, tc := smisyntax.Of(n.SmiType.GetRaw())
	o.Syntax, o.TC = Syntax(syn), tc
	if o.Syntax == SyntaxOther {
		return o, fmt.Errorf("%s::%s: no base type found for %s", module, n.Name, n.SmiType.Name)
	}
	if n.Type != nil {
		o.Hint = n.Type.Format
		if n.Type.Enum != nil && len(n.Type.Enum.Values) > 0 {
			o.Enums = make(map[int64]string, len(n.Type.Enum.Values))
			for _, v := range n.Type.Enum.Values {
				o.Enums[v.Value] = v.Name
			}
		}
	}
	if o.Syntax == SyntaxOctetString && (smisyntax.IsTextTC(o.TC) || smisyntax.IsTextHint(o.Hint)) {
		o.Syntax = SyntaxDisplayString
	}
	return o, nil
}

// Extra facts (extra.csv).

var extraHeader = []string{"kind", "module", "name", "oid", "status", "syntax", "kindof", "tc", "hint", "detail"}

var syntaxNames = map[string]Syntax{}

func init() {
	for _, s := range []Syntax{SyntaxInteger, SyntaxOctetString, SyntaxDisplayString,
		SyntaxOID, SyntaxIPAddress, SyntaxCounter32, SyntaxGauge32, SyntaxTimeTicks,
		SyntaxCounter64, SyntaxUnsigned32, SyntaxOpaque, SyntaxBits} {
		syntaxNames[string(s)] = s
	}
}

// addExtra adds the rows of extra.csv to set. An extra notification or
// object may not redefine an OID that the MIB files define: the file is for
// what they lack.
func addExtra(set *Set, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = len(extraHeader)
	header, err := cr.Read()
	if err != nil {
		return err
	}
	if !slices.Equal(header, extraHeader) {
		return fmt.Errorf("header is %q, want %q", header, extraHeader)
	}
	objByOID := map[string]bool{}
	byName := map[string]string{} // MODULE::name -> OID
	for _, o := range set.Objects {
		objByOID[o.OID] = true
		byName[o.Module+"::"+o.Name] = o.OID
	}
	notifByOID := map[string]bool{}
	notifByName := map[string]string{}
	for _, n := range set.Notifications {
		notifByOID[n.OID] = true
		notifByName[n.Module+"::"+n.Name] = n.OID
	}
	type pending struct {
		line int
		refs []string
		set  func([]string)
	}
	var notifRefs []pending
	var aliasRefs []pending
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		kind, module, name, oid, st, syn, kindOf, tc, hint, detail := rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], rec[8], rec[9]
		if err := checkOID(oid); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if module == "" {
			return fmt.Errorf("line %d: no module", line)
		}
		switch kind {
		case "object":
			if name == "" || objByOID[oid] {
				return fmt.Errorf("line %d: object %s::%s: no name, or OID %s defined twice", line, module, name, oid)
			}
			o := Object{Module: module, Name: name, OID: oid, Kind: Kind(kindOf), TC: tc, Hint: hint}
			switch o.Kind {
			case KindNode:
				if syn != "" || detail != "" {
					return fmt.Errorf("line %d: a node has no syntax", line)
				}
			case KindScalar, KindColumn:
				s, ok := syntaxNames[syn]
				if !ok {
					return fmt.Errorf("line %d: unknown syntax %q", line, syn)
				}
				o.Syntax = s
				if o.Enums, err = parseEnums(detail); err != nil {
					return fmt.Errorf("line %d: %w", line, err)
				}
			default:
				return fmt.Errorf("line %d: kindof %q is not node, scalar or column", line, kindOf)
			}
			objByOID[oid] = true
			byName[module+"::"+name] = oid
			set.Objects = append(set.Objects, o)
		case "notification":
			if name == "" || notifByOID[oid] {
				return fmt.Errorf("line %d: notification %s::%s: no name, or OID %s defined twice", line, module, name, oid)
			}
			switch st {
			case "current", "deprecated", "obsolete":
			default:
				return fmt.Errorf("line %d: status %q", line, st)
			}
			notifByOID[oid] = true
			notifByName[module+"::"+name] = oid
			set.Notifications = append(set.Notifications, Notification{Module: module, Name: name, OID: oid, Status: st})
			i := len(set.Notifications) - 1
			notifRefs = append(notifRefs, pending{line, strings.Fields(detail), func(oids []string) { set.Notifications[i].Objects = oids }})
		case "alias":
			set.Aliases = append(set.Aliases, Alias{OID: oid})
			i := len(set.Aliases) - 1
			if name != "" {
				set.Aliases[i].Name = module + "::" + name
			}
			aliasRefs = append(aliasRefs, pending{line, strings.Fields(detail), func(oids []string) { set.Aliases[i].Target = oids[0] }})
		default:
			return fmt.Errorf("line %d: unknown kind %q", line, kind)
		}
	}
	// References are resolved at the end, so rows may come in any order.
	for _, p := range notifRefs {
		var oids []string
		for _, ref := range p.refs {
			oid, ok := byName[ref]
			if !ok {
				return fmt.Errorf("line %d: unknown object %s", p.line, ref)
			}
			oids = append(oids, oid)
		}
		p.set(oids)
	}
	for _, p := range aliasRefs {
		if len(p.refs) != 1 {
			return fmt.Errorf("line %d: an alias names one notification", p.line)
		}
		oid, ok := notifByName[p.refs[0]]
		if !ok {
			return fmt.Errorf("line %d: unknown notification %s", p.line, p.refs[0])
		}
		p.set([]string{oid})
	}
	for _, a := range set.Aliases {
		if notifByOID[a.OID] {
			return fmt.Errorf("alias %s is also a notification's OID", a.OID)
		}
	}
	return nil
}

func checkOID(s string) error {
	arcs := strings.Split(s, ".")
	if len(arcs) < 2 {
		return fmt.Errorf("OID %q: fewer than two arcs", s)
	}
	for _, a := range arcs {
		if _, err := strconv.ParseUint(a, 10, 32); err != nil || (len(a) > 1 && a[0] == '0') {
			return fmt.Errorf("OID %q: bad arc %q", s, a)
		}
	}
	return nil
}

// parseEnums parses "label(1) label(2)".
func parseEnums(s string) (map[int64]string, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, nil
	}
	m := make(map[int64]string, len(fields))
	for _, f := range fields {
		open := strings.IndexByte(f, '(')
		if open < 1 || !strings.HasSuffix(f, ")") {
			return nil, fmt.Errorf("enum %q is not label(number)", f)
		}
		v, err := strconv.ParseInt(f[open+1:len(f)-1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("enum %q: %w", f, err)
		}
		if _, dup := m[v]; dup {
			return nil, fmt.Errorf("enum value %d twice", v)
		}
		m[v] = f[:open]
	}
	return m, nil
}

// Output.

// compareOID orders dotted OIDs arc by arc.
func compareOID(a, b string) int {
	for a != "" && b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func (s *Set) sort() {
	slices.SortFunc(s.Objects, func(a, b Object) int { return compareOID(a.OID, b.OID) })
	slices.SortFunc(s.Notifications, func(a, b Notification) int { return compareOID(a.OID, b.OID) })
	slices.SortFunc(s.Aliases, func(a, b Alias) int { return compareOID(a.OID, b.OID) })
	mods := map[string]bool{}
	for _, o := range s.Objects {
		mods[o.Module] = true
	}
	for _, n := range s.Notifications {
		mods[n.Module] = true
	}
	s.Modules = s.Modules[:0]
	for m := range mods {
		s.Modules = append(s.Modules, m)
	}
	slices.Sort(s.Modules)
}

// Render writes the Set as the source of builtin_table.go.
func Render(s *Set) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by mib/internal/mibgen from mib/mibs/*.txt and mib/extra.csv; DO NOT EDIT.\n\n")
	b.WriteString("package mib\n\n")

	b.WriteString("// builtinModules are the modules the built-in table has definitions from.\n")
	b.WriteString("var builtinModules = []string{\n")
	for _, m := range s.Modules {
		fmt.Fprintf(&b, "%q,\n", m)
	}
	b.WriteString("}\n\n")

	b.WriteString("// builtinNotifications, sorted by OID.\n")
	b.WriteString("var builtinNotifications = []Notification{\n")
	for _, n := range s.Notifications {
		fmt.Fprintf(&b, "{Module: %q, Name: %q, OID: %q, Status: %q", n.Module, n.Name, n.OID, n.Status)
		if len(n.Objects) > 0 {
			b.WriteString(", Objects: []string{")
			for i, o := range n.Objects {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", o)
			}
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")

	enums := newEnumNames()
	b.WriteString("// builtinObjects, sorted by OID.\n")
	b.WriteString("var builtinObjects = []Object{\n")
	for _, o := range s.Objects {
		fmt.Fprintf(&b, "{Module: %q, Name: %q, OID: %q, Kind: %s", o.Module, o.Name, o.OID, kindConst(o.Kind))
		if o.Syntax != SyntaxOther {
			fmt.Fprintf(&b, ", Syntax: %s", syntaxConst(o.Syntax))
		}
		if o.TC != "" {
			fmt.Fprintf(&b, ", TC: %q", o.TC)
		}
		if o.Hint != "" {
			fmt.Fprintf(&b, ", Hint: %q", o.Hint)
		}
		if len(o.Enums) > 0 {
			fmt.Fprintf(&b, ", Enums: %s", enums.name(o))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")

	b.WriteString("// Enumerations, shared by the objects that have the same one.\n")
	b.WriteString("var (\n")
	for _, e := range enums.list {
		fmt.Fprintf(&b, "%s = map[int64]string{", e.name)
		keys := make([]int64, 0, len(e.values))
		for k := range e.values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d: %q", k, e.values[k])
		}
		b.WriteString("}\n")
	}
	b.WriteString(")\n\n")

	b.WriteString("// builtinAliases map the legacy SynOptics trap OIDs to current ones; see aliases.go.\n")
	b.WriteString("var builtinAliases = []Alias{\n")
	for _, a := range s.Aliases {
		fmt.Fprintf(&b, "{OID: %q, Name: %q, Target: %q},\n", a.OID, a.Name, a.Target)
	}
	b.WriteString("}\n")

	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, errors.Join(errors.New("gofmt of the generated table"), err)
	}
	return out, nil
}

func kindConst(k Kind) string {
	switch k {
	case KindNode:
		return "KindNode"
	case KindScalar:
		return "KindScalar"
	case KindTable:
		return "KindTable"
	case KindRow:
		return "KindRow"
	case KindColumn:
		return "KindColumn"
	case KindGroup:
		return "KindGroup"
	case KindCompliance:
		return "KindCompliance"
	case KindCapabilities:
		return "KindCapabilities"
	}
	return strconv.Quote(string(k))
}

func syntaxConst(s Syntax) string {
	switch s {
	case SyntaxInteger:
		return "SyntaxInteger"
	case SyntaxOctetString:
		return "SyntaxOctetString"
	case SyntaxDisplayString:
		return "SyntaxDisplayString"
	case SyntaxOID:
		return "SyntaxOID"
	case SyntaxIPAddress:
		return "SyntaxIPAddress"
	case SyntaxCounter32:
		return "SyntaxCounter32"
	case SyntaxGauge32:
		return "SyntaxGauge32"
	case SyntaxTimeTicks:
		return "SyntaxTimeTicks"
	case SyntaxCounter64:
		return "SyntaxCounter64"
	case SyntaxUnsigned32:
		return "SyntaxUnsigned32"
	case SyntaxOpaque:
		return "SyntaxOpaque"
	case SyntaxBits:
		return "SyntaxBits"
	}
	return strconv.Quote(string(s))
}

// enumNames names each distinct enumeration once: after its textual
// convention if it has one (enumTruthValue), else after the first object,
// in OID order, that has it (enumIFMIB_ifOperStatus).
type enumNames struct {
	byContent map[string]string
	used      map[string]bool
	list      []enumVar
}

type enumVar struct {
	name   string
	values map[int64]string
}

func newEnumNames() *enumNames {
	return &enumNames{byContent: map[string]string{}, used: map[string]bool{}}
}

func (e *enumNames) name(o Object) string {
	keys := make([]int64, 0, len(o.Enums))
	for k := range o.Enums {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var content strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&content, "%d=%s;", k, o.Enums[k])
	}
	if n, ok := e.byContent[content.String()]; ok {
		return n
	}
	base := "enum" + ident(o.Module) + "_" + ident(o.Name)
	if o.TC != "" {
		base = "enum" + ident(o.TC)
	}
	n := base
	for i := 2; e.used[n]; i++ {
		n = fmt.Sprintf("%s%d", base, i)
	}
	e.used[n] = true
	e.byContent[content.String()] = n
	e.list = append(e.list, enumVar{n, o.Enums})
	return n
}

// ident drops the characters of a MIB name that Go identifiers lack.
func ident(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
