package loader

import (
	"bytes"
	"strconv"
)

// A cheap look at a file before the real parser sees it: which modules it
// declares (name, line, byte offset of the header) and what each imports
// from where (with the line of the FROM clause). The look is a tokenizer,
// not a parser, so it is fast, cannot fail, and tells MIB files from other
// files (a README, an index, a binary) without running gosmi on them.
//
// It follows gosmi's lexer where the two could disagree: a comment runs from
// "--" to the end of the line, and a quoted string from '"' to the next '"'
// (SMI has no escapes), across lines.

// sniffedModule is one "NAME DEFINITIONS ::= BEGIN" header and what
// follows it up to the next header.
type sniffedModule struct {
	Name    string
	Line    int // 1-based line of the module name
	Offset  int // byte offset of the module name
	Imports []importClause
	// Defs are the names the module defines, in file order: values
	// ("name OBJECT-TYPE ...", "name OBJECT IDENTIFIER ::=") and types
	// ("Name ::= ..."). gosmi lists a module's nodes by walking the OID
	// tree from the module's first node, so it misses some of them (when
	// that node dangles); these names let every one be asked for.
	Defs []definition
}

// definition is a name a module defines.
type definition struct {
	Name  string
	Line  int
	Value bool   // an OID value (an object, notification, node); else a type
	Macro string // for a value: the macro ("OBJECT-TYPE") or "OBJECT IDENTIFIER"
	// The value "{ parent 3 0 1 }" (Parent "" when it starts from the
	// root, "{ iso(1) org(3) }"). HasOID is false when the value is not of
	// that form (text the sniffer did not follow). A TRAP-TYPE's
	// "ENTERPRISE e ... ::= 4" is read as { e 0 4 }. The loader uses it
	// where gosmi cannot place a node.
	Parent string
	Arcs   []uint32
	HasOID bool
}

// valueMacros are the SMI macros whose invocation "name MACRO ..." defines
// an OID value.
var valueMacros = map[string]bool{
	"MODULE-IDENTITY": true, "OBJECT-IDENTITY": true, "OBJECT-TYPE": true,
	"NOTIFICATION-TYPE": true, "TRAP-TYPE": true, "OBJECT-GROUP": true,
	"NOTIFICATION-GROUP": true, "MODULE-COMPLIANCE": true, "AGENT-CAPABILITIES": true,
}

// importClause is "a, b, c FROM MODULE".
type importClause struct {
	Module string
	Names  []string
	Line   int // line of the module name after FROM
}

// binarySniffLen is how much of a file is searched for NUL bytes.
const binarySniffLen = 8 << 10

type token struct {
	text   []byte
	line   int
	offset int
}

type tokenizer struct {
	data []byte
	pos  int
	line int
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token, skipping white space, comments and quoted
// strings (a string is returned as the single token `"`: nothing below
// needs its text). ok is false at the end of the data.
func (t *tokenizer) next() (tok token, ok bool) {
	d := t.data
	for t.pos < len(d) {
		c := d[t.pos]
		switch {
		case c == '\n':
			t.line++
			t.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			t.pos++
		case c == '-' && t.pos+1 < len(d) && d[t.pos+1] == '-':
			nl := bytes.IndexByte(d[t.pos:], '\n')
			if nl < 0 {
				t.pos = len(d)
			} else {
				t.pos += nl // the newline is counted by the loop
			}
		case c == '"':
			start, line := t.pos, t.line
			end := bytes.IndexByte(d[t.pos+1:], '"')
			if end < 0 {
				end = len(d)
			} else {
				end += t.pos + 2
			}
			t.line += bytes.Count(d[t.pos:end], []byte{'\n'})
			t.pos = end
			return token{text: d[start : start+1], line: line, offset: start}, true
		case isAlpha(c):
			start := t.pos
			t.pos++
			for t.pos < len(d) && (isAlpha(d[t.pos]) || isDigit(d[t.pos]) || d[t.pos] == '-' || d[t.pos] == '_') {
				t.pos++
			}
			return token{text: d[start:t.pos], line: t.line, offset: start}, true
		case isDigit(c):
			start := t.pos
			for t.pos < len(d) && isDigit(d[t.pos]) {
				t.pos++
			}
			return token{text: d[start:t.pos], line: t.line, offset: start}, true
		case c == ':' && bytes.HasPrefix(d[t.pos:], []byte("::=")):
			t.pos += 3
			return token{text: d[t.pos-3 : t.pos], line: t.line, offset: t.pos - 3}, true
		default:
			t.pos++
			return token{text: d[t.pos-1 : t.pos], line: t.line, offset: t.pos - 1}, true
		}
	}
	return token{}, false
}

func isBinary(data []byte) bool {
	head := data
	if len(head) > binarySniffLen {
		head = head[:binarySniffLen]
	}
	return bytes.IndexByte(head, 0) >= 0
}

// sniff returns the modules a file declares, in file order. A file with
// none (or with NUL bytes in its first 8 KiB) is not a MIB file.
func sniff(data []byte) []sniffedModule {
	if isBinary(data) {
		return nil
	}
	t := &tokenizer{data: data, line: 1}
	var (
		mods []sniffedModule
		p    [3]token // the last three tokens, p[0] the latest
		n    int      // how many of them are valid
		// pending is the value definition in the last module whose
		// "::=" has not come yet, or -1.
		pending = -1
	)
	for {
		tok, ok := t.next()
		if !ok {
			return mods
		}
		s := string(tok.text)
		if s == "DEFINITIONS" && n >= 1 && isIdent(p[0].text) {
			if m, ok := t.header(p[0]); ok {
				mods = append(mods, m)
				n, pending = 0, -1
				continue
			}
		}
		if len(mods) > 0 {
			m := &mods[len(mods)-1]
			switch {
			case valueMacros[s] && n >= 1 && isLowerIdent(p[0].text):
				m.Defs = append(m.Defs, definition{Name: string(p[0].text), Line: p[0].line, Value: true, Macro: s})
				pending = len(m.Defs) - 1
			case s == "::=" && n >= 3 && string(p[0].text) == "IDENTIFIER" && string(p[1].text) == "OBJECT" && isLowerIdent(p[2].text):
				m.Defs = append(m.Defs, definition{Name: string(p[2].text), Line: p[2].line, Value: true, Macro: "OBJECT IDENTIFIER"})
				t.oidValue(&m.Defs[len(m.Defs)-1])
				pending, n = -1, 0
				continue
			case s == "::=" && n >= 1 && isUpperIdent(p[0].text) && !(n >= 2 && string(p[1].text) == "OBJECT"):
				m.Defs = append(m.Defs, definition{Name: string(p[0].text), Line: p[0].line})
				pending = -1
			case s == "::=" && pending >= 0:
				d := &m.Defs[pending]
				if d.Macro == "TRAP-TYPE" {
					t.trapNumber(d)
				} else {
					t.oidValue(d)
				}
				pending, n = -1, 0
				continue
			case pending >= 0 && n >= 1 && string(p[0].text) == "ENTERPRISE" && isLowerIdent(tok.text) &&
				m.Defs[pending].Macro == "TRAP-TYPE":
				m.Defs[pending].Parent = s
			}
		}
		p[2], p[1], p[0] = p[1], p[0], tok
		n = min(n+1, 3)
	}
}

// rootArcs are the names an OID value may start from in the form name(N).
var rootArcs = map[string]bool{"ccitt": true, "itu-t": true, "iso": true, "joint-iso-ccitt": true, "joint-iso-itu-t": true}

// maxArcs bounds an OID value read by the sniffer.
const maxArcs = 128

// oidValue reads "{ parent 1 2 }", "{ iso(1) org(3) 6 }" after "::=". It
// leaves the tokenizer after the closing brace, or where the value stopped
// making sense.
func (t *tokenizer) oidValue(d *definition) {
	save := *t
	if tok, ok := t.next(); !ok || string(tok.text) != "{" {
		*t = save
		return
	}
	for i := 0; ; i++ {
		save = *t
		tok, ok := t.next()
		if !ok || i > maxArcs {
			return
		}
		switch s := string(tok.text); {
		case s == "}":
			d.HasOID = len(d.Arcs) > 0
			return
		case isDigit(tok.text[0]):
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return
			}
			d.Arcs = append(d.Arcs, uint32(n))
		case isIdent(tok.text):
			// name(N), or the parent's name first.
			before := *t
			if open, ok := t.next(); ok && string(open.text) == "(" {
				num, ok1 := t.next()
				cl, ok2 := t.next()
				if !ok1 || !ok2 || string(cl.text) != ")" || !isDigit(num.text[0]) {
					return
				}
				n, err := strconv.ParseUint(string(num.text), 10, 32)
				if err != nil || i == 0 && !rootArcs[s] {
					return // "{ foo(5) 1 }": not followed
				}
				d.Arcs = append(d.Arcs, uint32(n))
				continue
			}
			*t = before
			if i != 0 {
				return
			}
			d.Parent = s
		default:
			*t = save
			return
		}
	}
}

// trapNumber reads the "N" after a TRAP-TYPE's "::=": its OID is
// enterprise.0.N (RFC 3584, as gosmi places it), with the ENTERPRISE
// name read before as the parent.
func (t *tokenizer) trapNumber(d *definition) {
	save := *t
	tok, ok := t.next()
	if !ok || !isDigit(tok.text[0]) || d.Parent == "" {
		*t = save
		d.Parent = ""
		return
	}
	n, err := strconv.ParseUint(string(tok.text), 10, 32)
	if err != nil {
		d.Parent = ""
		return
	}
	d.Arcs, d.HasOID = []uint32{0, uint32(n)}, true
}

// header reads the rest of a module header after "NAME DEFINITIONS": an
// optional tag default (e.g. "IMPLICIT TAGS"), "::=", "BEGIN", and an
// IMPORTS clause if one follows.
func (t *tokenizer) header(name token) (sniffedModule, bool) {
	m := sniffedModule{Name: string(name.text), Line: name.line, Offset: name.offset}
	for i := 0; ; i++ {
		tok, ok := t.next()
		if !ok || i > 3 {
			return m, false
		}
		if string(tok.text) == "::=" {
			break
		}
	}
	if tok, ok := t.next(); !ok || string(tok.text) != "BEGIN" {
		return m, false
	}
	save := *t
	if tok, ok := t.next(); !ok || string(tok.text) != "IMPORTS" {
		*t = save
		return m, true
	}
	var names []string
	var beforePrev, beforeTok tokenizer
	for {
		beforePrev, beforeTok = beforeTok, *t
		tok, ok := t.next()
		if !ok {
			return m, true
		}
		switch s := string(tok.text); {
		case s == ";":
			return m, true
		case s == "FROM":
			mod, ok := t.next()
			if !ok {
				return m, true
			}
			if isIdent(mod.text) {
				m.Imports = append(m.Imports, importClause{Module: string(mod.text), Names: names, Line: mod.line})
			}
			names = nil
		case s == "END":
			// A clause never closed: stop rather than swallow the
			// next module.
			return m, true
		case s == "DEFINITIONS":
			// Likewise; give the next module's name back.
			if beforePrev.data != nil {
				*t = beforePrev
			}
			return m, true
		case isIdent(tok.text):
			names = append(names, s)
		}
	}
}

func isIdent(b []byte) bool      { return len(b) > 0 && isAlpha(b[0]) }
func isLowerIdent(b []byte) bool { return len(b) > 0 && b[0] >= 'a' && b[0] <= 'z' }
func isUpperIdent(b []byte) bool { return len(b) > 0 && b[0] >= 'A' && b[0] <= 'Z' }
