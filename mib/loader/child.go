package loader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/participle/lexer"
	"github.com/sleepinggenius2/gosmi"
	"github.com/sleepinggenius2/gosmi/parser"
	"github.com/sleepinggenius2/gosmi/smi"
	"github.com/sleepinggenius2/gosmi/types"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/internal/smisyntax"
)

// maxFileSize is the largest file the child reads; the largest vendor MIB
// files are a few MiB. A variable for tests.
var maxFileSize int64 = 16 << 20

// maxStack bounds a goroutine's stack in the child (Go's default is 1 GiB):
// runaway recursion in the parser then dies in milliseconds, and Load tries
// again without the file, instead of eating memory until the deadline.
const maxStack = 128 << 20

// builtinPrefix marks the files of the shipped set in file names.
const builtinPrefix = "builtin:"

// coreModules define the SMI itself; an operator's copy of one of these is
// ignored in favour of the shipped one (a vendor's edited SNMPv2-SMI would
// change every module). Other shipped modules (IF-MIB, ...) are overridden
// by an operator's copy.
var coreModules = map[string]bool{
	"SNMPv2-SMI": true, "SNMPv2-TC": true, "SNMPv2-CONF": true,
	"RFC1155-SMI": true, "RFC-1212": true, "RFC-1215": true, "RFC1065-SMI": true,
}

// macros are the SMI macros a module imports only to use their notation:
// importing them needs no module to exist (SMIv1 modules import OBJECT-TYPE
// from RFC-1212, which nobody ships).
var macros = map[string]bool{
	"MODULE-IDENTITY": true, "OBJECT-IDENTITY": true, "OBJECT-TYPE": true,
	"NOTIFICATION-TYPE": true, "TRAP-TYPE": true, "TEXTUAL-CONVENTION": true,
	"OBJECT-GROUP": true, "NOTIFICATION-GROUP": true, "MODULE-COMPLIANCE": true,
	"AGENT-CAPABILITIES": true,
}

// ParseArgs reads the child's arguments after the command name: --dir D
// and --skip F, each repeatable, also as --dir=D. It is for callers that do
// not define the flags with kingpin (the tests).
func ParseArgs(args []string) (dirs, skip []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") || (name != DirFlag && name != SkipFlag) {
			return nil, nil, fmt.Errorf("%s: unexpected argument %q", Command, a)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("%s: --%s needs a value", Command, name)
			}
			i++
			value = args[i]
		}
		if name == DirFlag {
			dirs = append(dirs, value)
		} else {
			skip = append(skip, value)
		}
	}
	return dirs, skip, nil
}

// Main is the body of the hidden mib-load command: it parses the MIB files
// in dirs (not their subdirectories), resolving imports against them and
// the shipped set builtin (the IETF and net-snmp modules, as files at the
// root of the FS), and writes one JSON document to stdout with the
// definitions of the operator's modules and the problems per file.
// Progress events go to stderr. Files named in skip are left out. The
// result is 0 when the document was written, whatever it reports.
//
// It uses gosmi's global state, so it must run alone in its process (Load
// makes sure of that); tests may call it in-process, one call at a time.
func Main(dirs, skip []string, builtin fs.FS, stdout, stderr io.Writer) int {
	start := time.Now()
	defer debug.SetMaxStack(debug.SetMaxStack(maxStack))

	l := &load{
		stderr:   stderr,
		sources:  make(map[string]*source),
		skip:     make(map[string]bool, len(skip)),
		openNow:  make(map[string]bool),
		failed:   make(map[string]bool),
		cycleKey: make(map[string]bool),
	}
	for _, s := range skip {
		l.skip[s] = true
	}
	if builtin != nil {
		l.addBuiltin(builtin)
	}
	seen := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		key := filepath.Clean(d)
		if abs, err := filepath.Abs(d); err == nil {
			key = abs
		}
		if !seen[key] { // the same directory twice would be all duplicates
			seen[key] = true
			l.addDir(d)
		}
	}
	scanned := time.Since(start)
	doc := l.run()
	doc.Stats = map[string]float64{
		"files":        float64(l.files),
		"modules":      float64(len(doc.Modules)),
		"scan_seconds": scanned.Seconds(),
		"seconds":      time.Since(start).Seconds(),
	}

	w := bufio.NewWriterSize(stdout, 64<<10)
	if err := json.NewEncoder(w).Encode(doc); err != nil {
		fmt.Fprintf(stderr, "%s: writing the result: %v\n", Command, err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "%s: writing the result: %v\n", Command, err)
		return 1
	}
	return 0
}

// source is one module in one file.
type source struct {
	module   string
	file     string // the path in --mib.dir, or builtinPrefix+name
	fsys     fs.FS  // for the shipped set; nil for an operator's file
	fsName   string // the name in fsys
	line     int    // line of the module header
	offset   int    // byte offset of the header, when the file holds several modules
	end      int    // end of the module in the file; -1: to the end
	multi    bool
	operator bool
	imports  []importClause
	defs     []definition
	defined  map[string]bool // the names in defs
	values   map[string]int  // the first value definition of a name, by index in defs
	loaded   *types.SmiModule
	oids     map[string]types.Oid // nameOID's answers, nil included
}

func newSource(m sniffedModule) *source {
	src := &source{module: m.Name, line: m.Line, imports: m.Imports, defs: m.Defs, end: -1,
		defined: make(map[string]bool, len(m.Defs)), values: make(map[string]int, len(m.Defs))}
	for i, d := range m.Defs {
		src.defined[d.Name] = true
		if _, ok := src.values[d.Name]; d.Value && !ok {
			src.values[d.Name] = i
		}
	}
	return src
}

type load struct {
	stderr  io.Writer
	sources map[string]*source // by module name: the copy in use
	ordered []*source          // the operator's modules in use, in load order
	errs    []FileError
	skip    map[string]bool
	files   int

	// The parser's view, through the FS below.
	openNow  map[string]bool // modules the parser has open now
	stack    []string        // the same, in order
	failed   map[string]bool // modules that did not load: refused when asked again
	cycles   [][]string
	cycleKey map[string]bool
	entries  []fs.DirEntry // the FS's listing, made once
}

func (l *load) fileError(e FileError) { l.errs = append(l.errs, e) }

func (l *load) addBuiltin(fsys fs.FS) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		l.fileError(FileError{File: builtinPrefix, Message: "cannot read the shipped MIBs: " + err.Error()})
		return
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			l.fileError(FileError{File: builtinPrefix + e.Name(), Message: err.Error()})
			continue
		}
		mods := sniff(data)
		for i, m := range mods {
			src := newSource(m)
			src.file, src.fsys, src.fsName = builtinPrefix+e.Name(), fsys, e.Name()
			l.span(src, mods, i, len(data))
			if l.sources[m.Name] == nil {
				l.sources[m.Name] = src
			}
		}
	}
}

// span records where module i of a file with mods ends.
func (l *load) span(src *source, mods []sniffedModule, i, size int) {
	if len(mods) < 2 {
		return
	}
	src.multi = true
	src.offset = mods[i].Offset
	src.end = size
	if i+1 < len(mods) {
		src.end = mods[i+1].Offset
	}
}

func (l *load) addDir(dir string) {
	info, err := os.Stat(dir)
	if err != nil {
		l.fileError(FileError{File: dir, Message: "cannot read MIB directory: " + err.Error()})
		return
	}
	if !info.IsDir() {
		l.fileError(FileError{File: dir, Message: "not a directory (--mib.dir takes directories)"})
		return
	}
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		l.fileError(FileError{File: dir, Message: "cannot read MIB directory: " + err.Error()})
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // .index and the like
		}
		path := filepath.Join(dir, e.Name())
		if l.skip[path] {
			continue
		}
		fi, err := os.Stat(path) // follows symbolic links
		if err != nil {
			l.fileError(FileError{File: path, Message: err.Error()})
			continue
		}
		if !fi.Mode().IsRegular() {
			continue // subdirectories are not searched
		}
		l.files++
		if fi.Size() > maxFileSize {
			l.fileError(FileError{File: path, Message: fmt.Sprintf("%d bytes, more than the %d a MIB file may have; skipped", fi.Size(), maxFileSize)})
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			l.fileError(FileError{File: path, Message: err.Error()})
			continue
		}
		mods := sniff(data)
		if len(mods) == 0 {
			l.fileError(FileError{File: path, Skipped: true, Message: `not a MIB module (no "NAME DEFINITIONS ::= BEGIN"); skipped`})
			continue
		}
		for i, m := range mods {
			src := newSource(m)
			src.file, src.operator = path, true
			l.span(src, mods, i, len(data))
			l.addOperator(src)
		}
	}
}

func (l *load) addOperator(src *source) {
	old := l.sources[src.module]
	switch {
	case old == nil:
	case old.operator:
		l.fileError(FileError{File: src.file, Line: src.line, Module: src.module,
			Message: fmt.Sprintf("module %s is also in %s (line %d), which is used; this copy is ignored", src.module, old.file, old.line)})
		return
	case coreModules[src.module]:
		l.fileError(FileError{File: src.file, Line: src.line, Module: src.module, Skipped: true,
			Message: fmt.Sprintf("%s defines the SMI; the shipped copy is used and this one ignored", src.module)})
		return
	}
	l.sources[src.module] = src
	l.ordered = append(l.ordered, src)
}

// run loads every module of the operator's, checks their imports, and
// builds the document.
func (l *load) run() *document {
	doc := &document{Version: formatVersion, Modules: []docModule{}, Notifications: []docNotification{}, Objects: []docObject{}}
	if len(l.ordered) > 0 {
		if !smi.Init("snmptrap_exporter-mib-load") {
			l.fileError(FileError{File: "(mib-load)", Message: "cannot initialise the MIB parser"})
			doc.Errors = l.errs
			return doc
		}
		defer smi.Exit()
		// Only this FS: no SMIPATH, no /usr/local/share/mibs.
		smi.SetFS(smi.NewNamedFS("mibs", moduleFS{l}))

		for _, src := range l.ordered {
			l.loadModule(src)
		}
		for _, src := range l.ordered {
			if src.loaded != nil {
				l.checkImports(src)
				l.emitSafely(doc, src)
			}
		}
		l.reportCycles()
	}
	doc.Errors = l.errs
	if doc.Errors == nil {
		doc.Errors = []FileError{}
	}
	return doc
}

func (l *load) loadModule(src *source) {
	var panicked error
	func() {
		defer func() {
			if r := recover(); r != nil {
				panicked = fmt.Errorf("the MIB parser panicked: %v", r)
			}
		}()
		src.loaded = smi.GetModule(src.module)
	}()
	if src.loaded != nil {
		return
	}
	l.failed[src.module] = true
	if panicked != nil {
		l.fileError(FileError{File: src.file, Line: src.line, Module: src.module, Message: panicked.Error()})
		return
	}
	l.fileError(l.explain(src))
}

// explain says why gosmi would not load a module. gosmi keeps the reason
// to itself (it prints it), so the module is parsed again here: a syntax
// error comes back with its line and column.
func (l *load) explain(src *source) FileError {
	e := FileError{File: src.file, Line: src.line, Module: src.module}
	r, err := l.openSource(src)
	if err != nil {
		e.Message = err.Error()
		return e
	}
	defer r.Close()
	_, err = parser.Parse(r)
	if err == nil {
		e.Message = "the MIB parser read the module but could not build it (an unsupported construct)"
		return e
	}
	var pe interface{ Position() lexer.Position }
	if errors.As(err, &pe) && pe.Position().Line > 0 {
		pos := pe.Position()
		e.Line, e.Column = pos.Line, pos.Column
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, fmt.Sprintf("%d:%d: ", pos.Line, pos.Column)); ok {
			msg = after
		}
		e.Message = "syntax error: " + msg
		return e
	}
	e.Message = "syntax error: " + err.Error()
	return e
}

// checkImports reports imports that cannot be resolved: from a module that
// is nowhere, or that failed, or a name the module does not define.
// Definitions that depend on them come out without an OID or type.
func (l *load) checkImports(src *source) {
	for _, c := range src.imports {
		var names []string
		for _, n := range c.Names {
			if !macros[n] {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		e := FileError{File: src.file, Line: c.Line, Module: src.module}
		target := l.sources[c.Module]
		switch {
		case target == nil && c.Module == "RFC1065-SMI": // gosmi maps its names onto SNMPv2-SMI
		case target == nil:
			e.Message = fmt.Sprintf("imports %s from %s, which is in neither the shipped MIBs nor any --mib.dir", strings.Join(names, ", "), c.Module)
			l.fileError(e)
		case l.failed[c.Module]:
			e.Message = fmt.Sprintf("imports %s from %s, which did not load (see its error)", strings.Join(names, ", "), c.Module)
			l.fileError(e)
		default:
			// The module's own names (gosmi drops some definitions it
			// cannot build, such as RFC1155-SMI's NetworkAddress CHOICE),
			// and what gosmi knows of it if it is loaded.
			mod := target.loaded
			if mod == nil && smi.IsLoaded(c.Module) {
				mod = smi.GetModule(c.Module)
			}
			var missing []string
			for _, n := range names {
				if !target.defined[n] && smi.GetNode(mod, n) == nil && smi.GetType(mod, n) == nil {
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 {
				e.Message = fmt.Sprintf("imports %s from %s, which does not define it", strings.Join(missing, ", "), c.Module)
				l.fileError(e)
			}
		}
	}
}

// emitSafely is emit with gosmi's panics (seen on vendor modules: an
// enumeration it cannot build) turned into the module's error, and what
// the module had added so far taken out again: one bad module must not
// take the others down with it.
func (l *load) emitSafely(doc *document, src *source) {
	mods, notes, objs := len(doc.Modules), len(doc.Notifications), len(doc.Objects)
	defer func() {
		if r := recover(); r != nil {
			doc.Modules, doc.Notifications, doc.Objects = doc.Modules[:mods], doc.Notifications[:notes], doc.Objects[:objs]
			l.failed[src.module] = true
			l.fileError(FileError{File: src.file, Line: src.line, Module: src.module,
				Message: fmt.Sprintf("the MIB parser panicked while reading its definitions: %v", r)})
		}
	}()
	l.emit(doc, src)
}

// emit adds a loaded module's objects and notifications to the document.
//
// gosmi leaves some nodes without an OID: a node whose parent it does not
// know (a missing import), and a node whose value runs through implicit
// intermediate arcs that are already in the OID tree — `{ prefix 0 2 }`
// after `{ prefix 0 1 }` (the usual form of SMIv2 notifications converted
// from SMIv1), or `{ enterprises 9 6 1 101 }` after another module defined
// enterprises.9 — where gosmi attaches the new node to a copy of the
// existing arc that is not in the tree; and everything below such a node,
// in any module. For those, nameOID resolves the OID value the sniffer
// read.
func (l *load) emit(doc *document, src *source) {
	doc.Modules = append(doc.Modules, docModule{Name: src.module, File: src.file})
	mod := gosmi.CreateModule(src.loaded)

	var entries []*entry
	byName := map[string]*entry{}
	for _, n := range mod.GetNodes() {
		if strings.ContainsRune(n.Name, '#') || n.Name == "" || byName[n.Name] != nil {
			continue // gosmi's placeholder for an SMIv1 enterprise's .0
		}
		e := &entry{node: &n}
		if rooted(n.Oid) {
			e.oid = n.Oid
		}
		entries = append(entries, e)
		byName[n.Name] = e
	}
	for i := range src.defs {
		d := &src.defs[i]
		if !d.Value {
			continue
		}
		e := byName[d.Name]
		if e == nil {
			e = &entry{}
			if raw := smi.GetNode(src.loaded, d.Name); raw != nil {
				n := gosmi.CreateNode(raw)
				e.node = &n
				if rooted(n.Oid) {
					e.oid = n.Oid
				}
			}
			entries = append(entries, e)
			byName[d.Name] = e
		}
		e.def = d
	}
	// Place what gosmi did not.
	for _, e := range entries {
		if e.oid == nil && e.def != nil {
			e.oid = l.nameOID(src, e.def.Name)
		}
	}

	var (
		unresolved []string
		firstLine  int
	)
	for _, e := range entries {
		name, kind := "", types.NodeUnknown
		if e.node != nil {
			name, kind = e.node.Name, e.node.Kind
		} else {
			name, kind = e.def.Name, macroKind[e.def.Macro]
		}
		if e.oid == nil || kind == types.NodeUnknown {
			if firstLine == 0 {
				if e.def != nil {
					firstLine = e.def.Line
				} else {
					firstLine = smi.GetNodeLine(e.node.GetRaw())
				}
			}
			unresolved = append(unresolved, name)
			continue
		}
		if kind == types.NodeNotification {
			dn := docNotification{Module: src.module, Name: name, OID: e.oid.String(), Objects: []string{}}
			if e.node != nil {
				dn.Status = smisyntax.Status(e.node.Status)
				for _, o := range e.node.GetNotificationObjects() {
					if oid := l.objectOID(o, byName); oid != nil {
						dn.Objects = append(dn.Objects, oid.String())
					} else {
						l.fileError(FileError{File: src.file, Line: smi.GetNodeLine(e.node.GetRaw()), Module: src.module,
							Message: fmt.Sprintf("notification %s: OBJECTS member %s has no OID; it is left out of the list", name, o.Name)})
					}
				}
			}
			doc.Notifications = append(doc.Notifications, dn)
			continue
		}
		mk, ok := kindOf(kind)
		if !ok {
			continue
		}
		do := docObject{Module: src.module, Name: name, OID: e.oid.String(), Kind: string(mk)}
		if e.node != nil && (mk == mib.KindScalar || mk == mib.KindColumn) {
			ti := typeOfNode(*e.node)
			do.Syntax, do.TC, do.Hint, do.Enums = string(ti.Syntax), ti.TC, ti.Hint, ti.Enums
		}
		doc.Objects = append(doc.Objects, do)
	}
	if len(unresolved) > 0 {
		list := unresolved
		if len(list) > 10 {
			list = append(list[:10:10], "…")
		}
		what := "definitions have"
		if len(unresolved) == 1 {
			what = "definition has"
		}
		l.fileError(FileError{File: src.file, Line: firstLine, Module: src.module,
			Message: fmt.Sprintf("%d %s no OID (they hang off a name that is not defined or not imported) and were left out: %s",
				len(unresolved), what, strings.Join(list, ", "))})
	}
}

// entry is one node of a module being emitted.
type entry struct {
	node *gosmi.SmiNode // nil when gosmi does not know the name
	def  *definition    // nil when the sniffer did not see it
	oid  types.Oid      // nil until placed
}

// macroKind is the node kind of a definition gosmi does not know, by its
// macro; OBJECT-TYPE and TRAP-TYPE are missing: without gosmi's node there
// is no type or enterprise.
var macroKind = map[string]types.NodeKind{
	"OBJECT IDENTIFIER":  types.NodeNode,
	"OBJECT-IDENTITY":    types.NodeNode,
	"MODULE-IDENTITY":    types.NodeNode,
	"NOTIFICATION-TYPE":  types.NodeNotification,
	"OBJECT-GROUP":       types.NodeGroup,
	"NOTIFICATION-GROUP": types.NodeGroup,
	"MODULE-COMPLIANCE":  types.NodeCompliance,
	"AGENT-CAPABILITIES": types.NodeCapabilities,
}

// rooted reports whether an OID starts at the root of the tree.
func rooted(oid types.Oid) bool { return len(oid) > 0 && oid[0] <= 2 }

// wellKnownOIDs are the roots gosmi defines itself.
var wellKnownOIDs = map[string]types.Oid{"ccitt": {0}, "iso": {1}, "joint-iso-ccitt": {2}}

// nameOID returns the OID of a name as module src sees it, or nil: gosmi's
// when gosmi placed the node, else the value the sniffer read (`{ parent
// 6 1 }`, `{ iso(1) org(3) 6 }`) with its parent resolved the same way, in
// the module or, for an imported name, in the module it comes from. The
// answers are remembered per module; a name met again while it is being
// resolved (a definition that hangs off itself) has none.
func (l *load) nameOID(src *source, name string) types.Oid {
	if oid, ok := src.oids[name]; ok {
		return oid
	}
	if src.oids == nil {
		src.oids = make(map[string]types.Oid)
	}
	src.oids[name] = nil
	oid := l.placeName(src, name)
	src.oids[name] = oid
	return oid
}

func (l *load) placeName(src *source, name string) types.Oid {
	if oid, ok := wellKnownOIDs[name]; ok {
		return oid
	}
	mod := src.loaded
	if mod == nil && smi.IsLoaded(src.module) {
		mod = smi.GetModule(src.module)
	}
	if mod != nil {
		if raw := smi.GetNode(mod, name); raw != nil {
			if rooted(raw.Oid) {
				return raw.Oid
			}
		} else if !src.defined[name] {
			return l.importedOID(src, name)
		}
	} else if !src.defined[name] {
		return nil
	}
	i, ok := src.values[name]
	if !ok || !src.defs[i].HasOID {
		return nil
	}
	d := &src.defs[i]
	var base types.Oid
	if d.Parent != "" {
		if base = l.nameOID(src, d.Parent); base == nil {
			return nil
		}
	}
	oid := make(types.Oid, 0, len(base)+len(d.Arcs))
	oid = append(oid, base...)
	for _, a := range d.Arcs {
		oid = append(oid, types.SmiSubId(a))
	}
	if !rooted(oid) || len(oid) > maxOIDArcs {
		return nil
	}
	return oid
}

// importedOID returns the OID of a name the module imports, or nil.
func (l *load) importedOID(src *source, name string) types.Oid {
	for _, c := range src.imports {
		if !slices.Contains(c.Names, name) || !smi.IsLoaded(c.Module) {
			continue
		}
		if target := l.sources[c.Module]; target != nil {
			if oid := l.nameOID(target, name); oid != nil {
				return oid
			}
			continue
		}
		// A module gosmi knows under another name (RFC1065-SMI).
		if raw := smi.GetNode(smi.GetModule(c.Module), name); raw != nil && rooted(raw.Oid) {
			return raw.Oid
		}
	}
	return nil
}

// objectOID is the OID of a notification's object: gosmi's, or the one
// placed above for an object of the same module, or nameOID's in the
// object's module.
func (l *load) objectOID(o gosmi.SmiNode, byName map[string]*entry) types.Oid {
	if rooted(o.Oid) {
		return o.Oid
	}
	if e := byName[o.Name]; e != nil && e.node != nil && e.node.GetRaw() == o.GetRaw() {
		return e.oid
	}
	if m := smi.GetNodeModule(o.GetRaw()); m != nil && o.Name != "" {
		if src := l.sources[string(m.Name)]; src != nil && smi.IsLoaded(src.module) {
			return l.nameOID(src, o.Name)
		}
	}
	return nil
}

func (l *load) reportCycles() {
	for _, c := range l.cycles {
		src := l.sources[c[0]]
		if src == nil {
			continue
		}
		l.fileError(FileError{File: src.file, Line: src.line, Module: src.module,
			Message: "import cycle " + strings.Join(c, " → ") + ": the MIB parser cannot load circular imports, so definitions that depend on them may be missing"})
	}
}

// openSource opens a module's text. A module that shares its file with
// others gets only its own part, behind as many line breaks (and spaces)
// as came before it, so that line and column numbers stay those of the file.
func (l *load) openSource(src *source) (io.ReadCloser, error) {
	var (
		f   io.ReadCloser
		err error
	)
	if src.fsys != nil {
		f, err = src.fsys.Open(src.fsName)
	} else {
		f, err = os.Open(src.file)
	}
	if err != nil || !src.multi {
		return f, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if src.end > len(data) || src.offset > src.end {
		return nil, fmt.Errorf("%s changed while it was read", src.file)
	}
	lineStart := bytes.LastIndexByte(data[:src.offset], '\n') + 1
	pad := strings.Repeat("\n", bytes.Count(data[:src.offset], []byte{'\n'})) + strings.Repeat(" ", src.offset-lineStart)
	return io.NopCloser(io.MultiReader(strings.NewReader(pad), bytes.NewReader(data[src.offset:src.end]))), nil
}

// testHookOpen, when set (by tests, in the child), sees every module the
// parser opens, after the open event is written.
var testHookOpen func(module string)

// errCycle refuses a module the parser is already reading: gosmi would
// otherwise load the modules of an import cycle again and again (once per
// open file descriptor allowed, each time deeper in the stack).
var errCycle = errors.New("import cycle")

// moduleFS shows gosmi every module under its own name, whatever the file
// is called, so imports resolve by module name. gosmi looks a module up by
// listing "." and opening the entry whose name (up to the first dot) is the
// module's.
type moduleFS struct{ l *load }

func (m moduleFS) Open(name string) (fs.File, error) {
	l := m.l
	src := l.sources[name]
	if src == nil || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if l.failed[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("did not load before")}
	}
	if l.openNow[name] {
		i := slices.Index(l.stack, name)
		cycle := append(slices.Clone(l.stack[i:]), name)
		if key := strings.Join(cycle, " "); !l.cycleKey[key] {
			l.cycleKey[key] = true
			l.cycles = append(l.cycles, cycle)
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: errCycle}
	}
	r, err := l.openSource(src)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(l.stderr, "%s%s\n", eventOpen, strconv.Quote(src.file))
	if testHookOpen != nil {
		testHookOpen(name)
	}
	l.openNow[name] = true
	l.stack = append(l.stack, name)
	return &moduleFile{r: r, name: name, src: src, l: l}, nil
}

func (m moduleFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	// gosmi lists the directory for every module it looks up.
	if m.l.entries == nil {
		m.l.entries = make([]fs.DirEntry, 0, len(m.l.sources))
		for n := range m.l.sources {
			m.l.entries = append(m.l.entries, dirEntry(n))
		}
		sort.Slice(m.l.entries, func(i, j int) bool { return m.l.entries[i].Name() < m.l.entries[j].Name() })
	}
	return m.l.entries, nil
}

type moduleFile struct {
	r      io.ReadCloser
	name   string
	src    *source
	l      *load
	closed bool
}

func (f *moduleFile) Read(p []byte) (int, error) { return f.r.Read(p) }

// Name gives the parser's error messages the file's name.
func (f *moduleFile) Name() string { return f.src.file }

func (f *moduleFile) Stat() (fs.FileInfo, error) { return dirEntry(f.name).Info() }

// Close runs when gosmi is done with the module (it defers Close around
// parsing and building), so this is where a module that did not load is
// remembered: asking again would parse it again, once per importer.
func (f *moduleFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	l := f.l
	delete(l.openNow, f.name)
	if i := slices.Index(l.stack, f.name); i >= 0 {
		l.stack = slices.Delete(l.stack, i, i+1)
	}
	if !smi.IsLoaded(f.name) {
		l.failed[f.name] = true
	}
	fmt.Fprintf(l.stderr, "%s%s\n", eventDone, strconv.Quote(f.src.file))
	return f.r.Close()
}

// dirEntry is a module as a file: only its name matters to gosmi.
type dirEntry string

func (d dirEntry) Name() string               { return string(d) }
func (d dirEntry) IsDir() bool                { return false }
func (d dirEntry) Type() fs.FileMode          { return 0 }
func (d dirEntry) Info() (fs.FileInfo, error) { return fileInfo(d), nil }

type fileInfo string

func (f fileInfo) Name() string       { return string(f) }
func (f fileInfo) Size() int64        { return 0 }
func (f fileInfo) Mode() fs.FileMode  { return 0o444 }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return false }
func (f fileInfo) Sys() any           { return nil }
