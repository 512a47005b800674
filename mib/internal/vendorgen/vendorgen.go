// Package vendorgen builds the vendor table (mib/vendor_table.bin): the
// notifications of a directory of vendor MIBs (one subdirectory per
// vendor, as netdisco-mibs lays them out) and the objects they carry,
// compiled with the project's MIB loader into a compact table of facts.
// The MIB files themselves are not copied.
//
// One rule picks a definition where several exist, for a module found in
// several files as for an OID defined by several modules: the newest
// LAST-UPDATED wins (a module without one, SMIv1, is oldest); then the
// copy in the vendor's own directory (the one whose name begins the
// module's name: CISCO-* in cisco/, not ciscosb/); then the directory
// that comes first by name, then the module name.
package vendorgen

import (
	"bytes"
	"cmp"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
)

// Magic starts the (uncompressed) table; its last byte is the format
// version, which mib's decoder checks.
const Magic = "snmptrap-vendor-table\x01"

var (
	moduleHeader = regexp.MustCompile(`(?m)^[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t\r\n]+DEFINITIONS[ \t\r\n]*::=[ \t\r\n]*BEGIN`)
	lastUpdated  = regexp.MustCompile(`LAST-UPDATED[ \t\r\n]+"([0-9]{10,12})Z"`)
)

// copyOf is one module in one file.
type copyOf struct {
	module, file, dir string
	dirIndex          int
	updated           string // LAST-UPDATED normalised to YYYYMMDDHHMM; "" if none
	multi             bool   // the file holds more than one module
}

// better reports whether a beats b under the package's rule.
func better(a, b *copyOf) bool {
	if a.updated != b.updated {
		return a.updated > b.updated
	}
	ao, bo := ownDir(a.module, a.dir), ownDir(b.module, b.dir)
	if ao != bo {
		return ao
	}
	if a.dirIndex != b.dirIndex {
		return a.dirIndex < b.dirIndex
	}
	if a.module != b.module {
		return a.module < b.module
	}
	return a.file < b.file
}

// ownDir reports whether dir is the vendor's own for module: the
// directory's name, without separators, begins the module's name.
func ownDir(module, dir string) bool {
	d := strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(dir))
	m := strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(module))
	return d != "" && strings.HasPrefix(m, d)
}

// normUpdated turns a LAST-UPDATED value into YYYYMMDDHHMM: the SMIv2
// two-digit year form (YYMMDDHHMM) is 19YY.
func normUpdated(v string) string {
	if len(v) == 10 {
		return "19" + v
	}
	return v
}

// Result is what Generate makes.
type Result struct {
	Table  []byte // mib/vendor_table.bin
	Report []byte // mib/vendor_report.md
	// Counts, for the report and the caller.
	Notifications, Objects, Modules, Files int
}

// Generate reads root (a directory of vendor directories) and builds the
// table and its report.
func Generate(root string) (*Result, error) {
	dirs, copies, files, err := scan(root)
	if err != nil {
		return nil, err
	}
	chosen, skip := choose(copies)

	// The project's loader, in-process (it runs alone here), over every
	// vendor directory, the losing copies skipped.
	var paths []string
	for _, d := range dirs {
		paths = append(paths, filepath.Join(root, d))
	}
	var out, progress bytes.Buffer
	if code := loader.Main(paths, skip, mib.Files, &out, &progress); code != 0 {
		return nil, fmt.Errorf("MIB loader failed: %s", progress.String())
	}
	doc, err := loader.ParseRaw(out.Bytes())
	if err != nil {
		return nil, err
	}
	moduleCopy := func(module string) *copyOf {
		if c := chosen[module]; c != nil {
			return c
		}
		return &copyOf{module: module, dirIndex: len(dirs)} // a shipped module
	}

	// Notifications: by OID, the rule's choice among the modules that
	// define it.
	type pickN struct {
		n *mib.Notification
		c *copyOf
	}
	notes := map[string]pickN{}
	conflicts := map[string][]string{} // OID -> the modules that define it, when more than one
	for _, n := range doc.Notifications {
		nt, ok := n.Entry(mib.SourceVendor)
		if !ok {
			continue
		}
		oid := nt.OID
		c := moduleCopy(n.Module)
		if old, dup := notes[oid]; dup {
			if len(conflicts[oid]) == 0 {
				conflicts[oid] = []string{old.n.Module + "::" + old.n.Name}
			}
			conflicts[oid] = append(conflicts[oid], n.Module+"::"+n.Name)
			if !better(c, old.c) {
				continue
			}
		}
		notes[oid] = pickN{nt, c}
	}
	// Objects: those the chosen notifications carry, by the same rule.
	wanted := map[string]bool{}
	for _, p := range notes {
		for _, o := range p.n.Objects {
			wanted[o] = true
		}
	}
	type pickO struct {
		o *mib.Object
		c *copyOf
	}
	objs := map[string]pickO{}
	for _, o := range doc.Objects {
		obj, ok := o.Entry(mib.SourceVendor)
		if !ok || !wanted[obj.OID] {
			continue
		}
		c := moduleCopy(o.Module)
		if old, dup := objs[obj.OID]; dup && !better(c, old.c) {
			continue
		}
		objs[obj.OID] = pickO{obj, c}
	}

	t := &mib.Table{Notifications: map[string]*mib.Notification{}, Objects: map[string]*mib.Object{}}
	mods := map[string]bool{}
	for oid, p := range notes {
		t.Notifications[oid] = p.n
		mods[p.n.Module] = true
	}
	for oid, p := range objs {
		t.Objects[oid] = p.o
	}
	for m := range mods {
		t.Modules = append(t.Modules, m)
	}
	sort.Strings(t.Modules)
	table, err := Encode(t)
	if err != nil {
		return nil, err
	}
	res := &Result{Table: table, Notifications: len(t.Notifications), Objects: len(t.Objects), Modules: len(t.Modules), Files: files}
	res.Report = report(root, dirs, doc, t, skip, conflicts, res)
	return res, nil
}

// scan finds every copy of every module under root's vendor directories
// (sorted by name, hidden ones left out) by its DEFINITIONS header, with
// its LAST-UPDATED, and counts the files.
func scan(root string) (dirs []string, copies map[string][]*copyOf, files int, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Strings(dirs)
	copies = map[string][]*copyOf{}
	for i, d := range dirs {
		list, err := os.ReadDir(filepath.Join(root, d))
		if err != nil {
			return nil, nil, 0, err
		}
		for _, f := range list {
			if f.IsDir() || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			path := filepath.Join(root, d, f.Name())
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, nil, 0, err
			}
			files++
			heads := moduleHeader.FindAllSubmatchIndex(data, -1)
			for j, h := range heads {
				end := len(data)
				if j+1 < len(heads) {
					end = heads[j+1][0]
				}
				c := &copyOf{module: string(data[h[2]:h[3]]), file: path, dir: d, dirIndex: i, multi: len(heads) > 1}
				if m := lastUpdated.FindSubmatch(data[h[0]:end]); m != nil {
					c.updated = normUpdated(string(m[1]))
				}
				copies[c.module] = append(copies[c.module], c)
			}
		}
	}
	return dirs, copies, files, nil
}

// choose applies the rule to each module's copies: the chosen copy by
// module, and the files of the others (sorted) for the loader to skip. A
// file holding several modules is never skipped.
func choose(copies map[string][]*copyOf) (chosen map[string]*copyOf, skip []string) {
	chosen = map[string]*copyOf{}
	for name, cs := range copies {
		best := cs[0]
		for _, c := range cs[1:] {
			if better(c, best) {
				best = c
			}
		}
		chosen[name] = best
		for _, c := range cs {
			if c != best && !c.multi {
				skip = append(skip, c.file)
			}
		}
	}
	sort.Strings(skip)
	return chosen, skip
}

// report lists, per vendor directory, the notifications the table took
// from it, and every file or module that did not load, with the reason.
func report(root string, dirs []string, doc *loader.Raw, t *mib.Table, skip []string, conflicts map[string][]string, res *Result) []byte {
	var b bytes.Buffer
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	fmt.Fprintf(&b, "# Vendor table report\n\nGenerated by `go generate ./mib` (mib/internal/vendorgen) from %d files in %d vendor directories: %d notifications from %d modules, and the %d objects they carry.\n\n",
		res.Files, len(dirs), res.Notifications, res.Modules, res.Objects)
	moduleDir := map[string]string{}
	for _, m := range doc.Modules {
		if d, _, ok := strings.Cut(rel(m.File), "/"); ok {
			moduleDir[m.Name] = d
		}
	}
	perDir := map[string]int{}
	for _, n := range t.Notifications {
		perDir[moduleDir[n.Module]]++
	}
	b.WriteString("## Notifications by directory\n\n| directory | notifications |\n|---|---|\n")
	for _, d := range dirs {
		fmt.Fprintf(&b, "| %s | %d |\n", d, perDir[d])
	}
	if n := perDir[""]; n > 0 {
		fmt.Fprintf(&b, "| (shipped IETF modules) | %d |\n", n)
	}
	b.WriteString("\n## Copies left out by the rule (newest LAST-UPDATED, then the vendor's own directory)\n\n")
	for _, s := range skip {
		fmt.Fprintf(&b, "- %s\n", rel(s))
	}
	fmt.Fprintf(&b, "\n## Notification OIDs defined by more than one module (%d): the rule's choice first\n\n", len(conflicts))
	for _, oid := range sortedKeys(conflicts) {
		names := slices.Clone(conflicts[oid])
		slices.Sort(names)
		names = slices.Compact(names)
		chosen := t.Notifications[oid].Module + "::" + t.Notifications[oid].Name
		others := slices.DeleteFunc(names, func(n string) bool { return n == chosen })
		if len(others) == 0 {
			continue // one module, twice
		}
		fmt.Fprintf(&b, "- %s: **%s** over %s\n", oid, chosen, strings.Join(others, ", "))
	}
	b.WriteString("\n## Problems the loader reported\n\nA module with a problem still gives what could be placed; a module that did not load gives nothing.\n\n| file | line | module | problem |\n|---|---|---|---|\n")
	errs := slices.Clone(doc.Errors)
	slices.SortFunc(errs, func(x, y loader.FileError) int {
		return cmp.Or(cmp.Compare(rel(x.File), rel(y.File)), cmp.Compare(x.Line, y.Line), cmp.Compare(x.Message, y.Message))
	})
	for _, e := range errs {
		if e.Skipped && strings.Contains(e.Message, "not a MIB module") {
			continue
		}
		msg := strings.NewReplacer("|", "\\|", "\n", " ").Replace(e.Message)
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", rel(e.File), e.Line, e.Module, msg)
	}
	return b.Bytes()
}

// Encode writes a table in the compact form mib decodes: a string table
// and the notifications and objects by index into it, gzip-compressed,
// byte for byte the same for the same table.
func Encode(t *mib.Table) ([]byte, error) {
	strs := map[string]int{}
	var list []string
	add := func(s string) {
		if _, ok := strs[s]; !ok {
			strs[s] = 0
			list = append(list, s)
		}
	}
	add("")
	for _, n := range t.Notifications {
		add(n.OID)
		add(n.Module)
		add(n.Name)
		add(n.Status)
		for _, o := range n.Objects {
			add(o)
		}
	}
	for _, o := range t.Objects {
		for _, s := range []string{o.OID, o.Module, o.Name, string(o.Kind), string(o.Syntax), o.TC, o.Hint} {
			add(s)
		}
		for _, l := range o.Enums {
			add(l)
		}
	}
	for _, m := range t.Modules {
		add(m)
	}
	sort.Strings(list)
	for i, s := range list {
		strs[s] = i
	}

	var raw bytes.Buffer
	raw.WriteString(Magic)
	uv := func(v uint64) { raw.Write(binary.AppendUvarint(nil, v)) }
	sv := func(v int64) { raw.Write(binary.AppendVarint(nil, v)) }
	ref := func(s string) { uv(uint64(strs[s])) }
	uv(uint64(len(list)))
	for _, s := range list {
		uv(uint64(len(s)))
		raw.WriteString(s)
	}
	noteOIDs := sortedKeys(t.Notifications)
	uv(uint64(len(noteOIDs)))
	for _, k := range noteOIDs {
		n := t.Notifications[k]
		ref(n.OID)
		ref(n.Module)
		ref(n.Name)
		ref(n.Status)
		uv(uint64(len(n.Objects)))
		for _, o := range n.Objects {
			ref(o)
		}
	}
	objOIDs := sortedKeys(t.Objects)
	uv(uint64(len(objOIDs)))
	for _, k := range objOIDs {
		o := t.Objects[k]
		for _, s := range []string{o.OID, o.Module, o.Name, string(o.Kind), string(o.Syntax), o.TC, o.Hint} {
			ref(s)
		}
		vals := make([]int64, 0, len(o.Enums))
		for v := range o.Enums {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		uv(uint64(len(vals)))
		for _, v := range vals {
			sv(v)
			ref(o.Enums[v])
		}
	}
	uv(uint64(len(t.Modules)))
	for _, m := range t.Modules {
		ref(m)
	}

	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	// No name, no time: the same table gives the same bytes.
	if _, err := io.Copy(w, &raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
