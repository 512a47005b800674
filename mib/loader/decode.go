package loader

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// The child's output: one JSON document on its standard output. The child
// is the same binary as the parent, but a binary replaced on disk between
// start-up and a reload could be another version, hence the version field.

// formatVersion is the version of the document below.
const formatVersion = 1

type document struct {
	Version       int                `json:"version"`
	Modules       []docModule        `json:"modules"`
	Notifications []docNotification  `json:"notifications"`
	Objects       []docObject        `json:"objects"`
	Errors        []FileError        `json:"errors"`
	Stats         map[string]float64 `json:"stats,omitempty"`
}

type docModule struct {
	Name string `json:"name"`
	File string `json:"file"`
}

type docNotification struct {
	Module  string   `json:"module"`
	Name    string   `json:"name"`
	OID     string   `json:"oid"`
	Status  string   `json:"status,omitempty"`
	Objects []string `json:"objects"`
}

type docObject struct {
	Module string    `json:"module"`
	Name   string    `json:"name"`
	OID    string    `json:"oid"`
	Kind   string    `json:"kind"`
	Syntax string    `json:"syntax,omitempty"`
	TC     string    `json:"tc,omitempty"`
	Hint   string    `json:"hint,omitempty"`
	Enums  []docEnum `json:"enums,omitempty"`
}

type docEnum struct {
	Value int64  `json:"value"`
	Label string `json:"label"`
}

// Limits on what a decoded document may hold. The child is our own code, so
// these only stop a broken or foreign child from filling memory.
const (
	maxOIDArcs    = 128
	maxNameLen    = 256
	maxMessageLen = 4096
	maxEnums      = 4096
	maxNotifObjs  = 1024
)

// Decode turns the child's output into a table and the per-file errors.
// Entries that are not well formed (an OID that is not dotted decimal, an
// empty name) are dropped and counted in one extra FileError; the first
// definition of an OID wins, as the child emits modules in the order of
// --mib.dir and of file names. An error means the document as a whole is
// unusable (not JSON, another format version).
func Decode(data []byte) (*mib.Table, []FileError, error) {
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("MIB loader output: %w", err)
	}
	if doc.Version != formatVersion {
		return nil, nil, fmt.Errorf("MIB loader output: format version %d, want %d (was the binary replaced?)", doc.Version, formatVersion)
	}
	t := &mib.Table{
		Notifications: make(map[string]*mib.Notification, len(doc.Notifications)),
		Objects:       make(map[string]*mib.Object, len(doc.Objects)),
	}
	var (
		dropped int
		first   string
	)
	drop := func(what string) {
		if dropped == 0 {
			first = what
		}
		dropped++
	}
	seen := make(map[string]bool, len(doc.Modules))
	for _, m := range doc.Modules {
		if !validName(m.Name) {
			drop(fmt.Sprintf("module %.64q", m.Name))
			continue
		}
		if !seen[m.Name] {
			seen[m.Name] = true
			t.Modules = append(t.Modules, m.Name)
		}
	}
	for _, o := range doc.Objects {
		obj, ok := o.Entry(mib.SourceMIBDir)
		if !ok {
			drop(fmt.Sprintf("object %.64q %.64q", o.Name, o.OID))
			continue
		}
		if t.Objects[obj.OID] == nil {
			t.Objects[obj.OID] = obj
		}
	}
	for _, n := range doc.Notifications {
		nt, ok := n.Entry(mib.SourceMIBDir)
		if !ok {
			drop(fmt.Sprintf("notification %.64q %.64q", n.Name, n.OID))
			continue
		}
		if t.Notifications[nt.OID] == nil {
			t.Notifications[nt.OID] = nt
		}
	}
	errs := make([]FileError, 0, len(doc.Errors)+1)
	for _, e := range doc.Errors {
		if e.Line < 0 {
			e.Line = 0
		}
		e.File = truncate(e.File, maxMessageLen)
		e.Module = truncate(e.Module, maxNameLen)
		e.Message = truncate(e.Message, maxMessageLen)
		errs = append(errs, e)
	}
	if dropped > 0 {
		errs = append(errs, FileError{
			File:    "(mib-load output)",
			Message: fmt.Sprintf("dropped %d malformed entries, the first: %s", dropped, first),
		})
	}
	return t, errs, nil
}

// validName accepts what an SMI descriptor or module name can be, and a
// little more (vendors use underscores): printable ASCII without spaces.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// canonicalOID checks a dotted OID (an optional leading dot is removed)
// and returns it in the table's form: decimal arcs without leading zeros,
// each below 2^32, the first 0, 1 or 2, at most 128 arcs.
func canonicalOID(s string) (string, bool) {
	s = strings.TrimPrefix(s, ".")
	if s == "" || len(s) > maxOIDArcs*11 {
		return "", false
	}
	arcs := strings.Split(s, ".")
	if len(arcs) > maxOIDArcs {
		return "", false
	}
	for i, a := range arcs {
		if a == "" || len(a) > 1 && a[0] == '0' {
			return "", false
		}
		n, err := strconv.ParseUint(a, 10, 32)
		if err != nil || i == 0 && n > 2 {
			return "", false
		}
	}
	return s, true
}

// syntaxOf maps the child's syntax names onto the table's constants; an
// unknown name is SyntaxOther.
func syntaxOf(s string) mib.Syntax {
	switch sx := mib.Syntax(s); sx {
	case mib.SyntaxInteger, mib.SyntaxOctetString, mib.SyntaxDisplayString,
		mib.SyntaxOID, mib.SyntaxIPAddress, mib.SyntaxCounter32, mib.SyntaxGauge32,
		mib.SyntaxTimeTicks, mib.SyntaxCounter64, mib.SyntaxUnsigned32,
		mib.SyntaxOpaque, mib.SyntaxBits:
		return sx
	}
	return mib.SyntaxOther
}

// kindOfName maps the child's kind names onto the table's constants; an
// unknown name is a plain node.
func kindOfName(s string) mib.Kind {
	switch k := mib.Kind(s); k {
	case mib.KindNode, mib.KindScalar, mib.KindTable, mib.KindRow, mib.KindColumn,
		mib.KindGroup, mib.KindCompliance, mib.KindCapabilities:
		return k
	}
	return mib.KindNode
}

func statusOfName(s string) string {
	switch s {
	case "current", "deprecated", "obsolete":
		return s
	}
	return ""
}

// validHint accepts a DISPLAY-HINT: short, printable ASCII (spaces are
// allowed: "1d 1d").
func validHint(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var errNoOutput = errors.New("MIB loader wrote no output")

// Raw is the mib-load child's document as written, with every copy of
// every definition (Decode keeps the first of each OID): for the vendor
// table's generator, which applies a rule of its own.
type Raw = document

// ParseRaw reads the child's document.
func ParseRaw(data []byte) (*Raw, error) {
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("MIB loader output: %w", err)
	}
	if doc.Version != formatVersion {
		return nil, fmt.Errorf("MIB loader output: format version %d, want %d", doc.Version, formatVersion)
	}
	return &doc, nil
}

// Entry is the object as a table holds it, from source: its OID in the
// table's form, its kind, syntax and status cleaned, TC, hint and
// enumeration labels kept only when well-formed; ok is false for an entry
// no table may hold (a bad OID or name, too many labels).
func (o docObject) Entry(source string) (obj *mib.Object, ok bool) {
	oid, ok := canonicalOID(o.OID)
	if !ok || !validName(o.Module) || !validName(o.Name) || len(o.Enums) > maxEnums {
		return nil, false
	}
	obj = &mib.Object{Module: o.Module, Name: o.Name, OID: oid, Kind: kindOfName(o.Kind), Syntax: syntaxOf(o.Syntax), Source: source}
	if validName(o.TC) {
		obj.TC = o.TC
	}
	if validHint(o.Hint) {
		obj.Hint = o.Hint
	}
	for _, e := range o.Enums {
		if !validName(e.Label) {
			continue
		}
		if obj.Enums == nil {
			obj.Enums = make(map[int64]string, len(o.Enums))
		}
		if _, dup := obj.Enums[e.Value]; !dup {
			obj.Enums[e.Value] = e.Label
		}
	}
	return obj, true
}

// Entry is the notification as a table holds it, from source, as
// docObject.Entry says.
func (n docNotification) Entry(source string) (nt *mib.Notification, ok bool) {
	oid, ok := canonicalOID(n.OID)
	if !ok || !validName(n.Module) || !validName(n.Name) || len(n.Objects) > maxNotifObjs {
		return nil, false
	}
	nt = &mib.Notification{Module: n.Module, Name: n.Name, OID: oid, Status: statusOfName(n.Status), Source: source}
	for _, obj := range n.Objects {
		if o, ok := canonicalOID(obj); ok {
			nt.Objects = append(nt.Objects, o)
		}
	}
	return nt, true
}
