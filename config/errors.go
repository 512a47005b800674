package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Auth.UnmarshalYAML keeps the values under auth out of its own messages.
// Two ways remain for the YAML library to quote them, and guard closes
// both:
//
//   - an alias outside auth that refers to a node under auth: the library
//     (or a check of devices, relays or rules) then reads the value from
//     there. A message about the node names its line, which is under auth;
//     a message that names no such line but holds a value so reached is
//     replaced whole.
//   - a syntax error: the parser quotes only the name of an unknown anchor,
//     and syntaxError drops it.
//
// Messages about other sections keep quoting their values.

// guard knows, for one document, what no message may show.
type guard struct {
	// authLines are the lines of the nodes under auth.
	authLines map[int]bool
	// aliased are the texts under auth that aliases outside auth refer to,
	// with the line of such an alias.
	aliased []aliasedText
}

type aliasedText struct {
	text string
	line int
}

// topAuth returns the nodes the document decodes into Config.Auth: the
// values of its top-level auth keys, merges (<<) at the top included; and
// those it decodes into Config.Forward, whose entries hold communities
// too: the values of both sections are kept out of messages alike.
func topAuth(root *yaml.Node) []*yaml.Node {
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	var out []*yaml.Node
	var walk func(m *yaml.Node, depth int)
	walk = func(m *yaml.Node, depth int) {
		if m.Kind == yaml.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		if depth > maxMergeDepth {
			return
		}
		switch m.Kind {
		case yaml.SequenceNode:
			if depth > 0 { // a merge of a list of mappings
				for _, c := range m.Content {
					walk(c, depth+1)
				}
			}
			return
		case yaml.MappingNode:
		default:
			return
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			switch {
			case k.Kind == yaml.ScalarNode && (k.Value == "auth" || k.Value == "forward"):
				out = append(out, v)
			case k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge":
				walk(v, depth+1)
			}
		}
	}
	walk(top, 0)
	return out
}

func newGuard(root *yaml.Node) *guard {
	g := &guard{authLines: map[int]bool{}}
	under := map[*yaml.Node]bool{}
	var mark func(n *yaml.Node)
	mark = func(n *yaml.Node) {
		if under[n] {
			return
		}
		under[n] = true
		g.authLines[n.Line] = true
		for _, c := range n.Content {
			mark(c)
		}
	}
	for _, a := range topAuth(root) {
		mark(a)
	}
	if len(under) == 0 {
		return g
	}
	// Aliases outside auth to nodes under it, and the texts they reach
	// (aliases within those nodes followed, each node once).
	reached := map[*yaml.Node]bool{}
	var collect func(n *yaml.Node, line int)
	collect = func(n *yaml.Node, line int) {
		if n == nil || reached[n] {
			return
		}
		reached[n] = true
		// The value and a tag written in the file. (Not the anchor: the
		// alias repeats its name outside auth.)
		for _, s := range []string{n.Value, explicitTagText(n)} {
			if s != "" {
				g.aliased = append(g.aliased, aliasedText{s, line})
			}
		}
		if n.Kind == yaml.AliasNode {
			collect(n.Alias, line)
		}
		for _, c := range n.Content {
			collect(c, line)
		}
	}
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] || under[n] {
			return
		}
		seen[n] = true
		if n.Kind == yaml.AliasNode && under[n.Alias] {
			collect(n.Alias, n.Line)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return g
}

func explicitTagText(n *yaml.Node) string {
	if explicitTag(n) {
		return n.Tag
	}
	return ""
}

// trusted matches the messages of Auth.UnmarshalYAML and of the checks of
// auth, which quote nothing.
var trusted = regexp.MustCompile(`^(line \d+: )?auth[.:\[]`)

// lineOf matches the line a message starts with.
var lineOf = regexp.MustCompile(`^line (\d+):`)

// yamlValue matches the value the YAML library quotes in a type error
// ("cannot unmarshal !!str `hush-hush` into ..."), outside auth: it is
// hidden as it always was.
var yamlValue = regexp.MustCompile("(?s)`.*` (into|as)")

// clean turns an error of the decoder or of the checks into the message
// Parse returns: without the library's "yaml: unmarshal errors:" preamble,
// one error after the other, and with no value from under auth.
func (g *guard) clean(err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = append(msgs, te.Errors...)
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out []string
	for _, m := range msgs {
		m = g.message(strings.TrimSpace(m))
		if len(out) == 0 || out[len(out)-1] != m { // hidden ones may repeat
			out = append(out, m)
		}
	}
	return errors.New(strings.Join(out, "; "))
}

func (g *guard) message(m string) string {
	if trusted.MatchString(m) {
		return m
	}
	if l := lineOf.FindStringSubmatch(m); l != nil {
		if line, _ := strconv.Atoi(l[1]); g.authLines[line] {
			return fmt.Sprintf("line %d: error about a value under auth or forward (not shown: the message would quote it)", line)
		}
	}
	for _, a := range g.aliased {
		if shows(m, a.text) {
			return fmt.Sprintf("line %d: error about a value this alias takes from auth (not shown: the message would quote it)", a.line)
		}
	}
	return yamlValue.ReplaceAllString(m, "(value hidden) $1")
}

// shows reports whether m holds s, as it is or as %q writes it, or a piece
// of it: the library cuts long values to seven characters, a check may
// quote a part. Six characters in a row are a piece.
func shows(m, s string) bool {
	const piece = 6
	q := strconv.Quote(s)
	for _, v := range []string{s, q[1 : len(q)-1]} {
		if len(v) <= piece {
			if strings.Contains(m, v) {
				return true
			}
			continue
		}
		for i := 0; i+piece <= len(v); i++ {
			if strings.Contains(m, v[i:i+piece]) {
				return true
			}
		}
	}
	return false
}

// unknownAnchor matches the one parser message that quotes the file.
var unknownAnchor = regexp.MustCompile(`(?s)^unknown anchor '(.*)' referenced$`)

// readerProblems are the reader's messages, which name no line.
var readerProblems = []string{
	"control characters are not allowed",
	"invalid leading UTF-8 octet",
	"invalid trailing UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
}

// syntaxError words an error of the parser: its message with the line, and
// without the name of an unknown anchor (an unquoted community or password
// that starts with "*" is one).
func syntaxError(err error, b []byte) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		msg = "alias to an unknown anchor (quote a value that starts with *)"
		if line := aliasLine(b, m[1]); line > 0 {
			msg = fmt.Sprintf("line %d: %s", line, msg)
		}
		return errors.New(msg)
	}
	if contains(readerProblems, msg) {
		if line := badCharLine(b); line > 0 {
			msg = fmt.Sprintf("line %d: %s", line, msg)
		}
	}
	return errors.New(msg)
}

// aliasLine returns the line of the first "*name" in b that is an alias to
// name, or 0.
func aliasLine(b []byte, name string) int {
	alias := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(b[off:], alias)
		if i < 0 {
			return 0
		}
		i += off
		end := i + len(alias)
		if end == len(b) || strings.IndexByte(" \t\r\n,[]{}", b[end]) >= 0 {
			return 1 + bytes.Count(b[:i], []byte("\n"))
		}
		off = i + 1
	}
}

// badCharLine returns the line of the first byte the YAML reader refuses:
// invalid UTF-8 or a character YAML does not allow; 0 if none.
func badCharLine(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		ok := r != utf8.RuneError || size > 1
		ok = ok && (r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7e) || r == 0x85 ||
			(r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) || r >= 0x10000)
		if !ok {
			return 1 + bytes.Count(b[:i], []byte("\n"))
		}
		i += size
	}
	return 0
}
