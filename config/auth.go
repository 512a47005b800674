package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The auth section holds communities and passwords, and a configuration
// error goes to the log and to the answer of POST /-/reload. The YAML
// library quotes what it cannot decode (a value, cut to seven characters,
// or a key), so auth is not left to it: Auth.UnmarshalYAML reads the node
// itself, as strictly as the library's KnownFields decoder, and its
// messages name the line, the path and what was expected, never a value
// or a key as written. A misspelt key gets the known field it most
// resembles.

// Known fields of auth and of a user, in the order of the structs.
var (
	authFields = []string{"communities", "sources", "users"}
	userFields = []string{"username", "security_level", "auth_protocol", "password", "priv_protocol", "priv_password", "engine_ids"}
)

const (
	// maxAuthVisits bounds the nodes read under auth, aliases counted as
	// often as they are used: the library's own bound on aliasing does not
	// see the nodes read here.
	maxAuthVisits = 1 << 20
	// maxMergeDepth bounds merges of merges; a merge that includes itself
	// stops there.
	maxMergeDepth = 16
)

// UnmarshalYAML reads the auth section. Errors are a *yaml.TypeError so the
// library goes on and reports the rest of the file as well.
func (a *Auth) UnmarshalYAML(n *yaml.Node) error {
	d := &authDecoder{}
	*a = d.auth(n)
	if len(d.errs) > 0 {
		return &yaml.TypeError{Errors: d.errs}
	}
	return nil
}

type authDecoder struct {
	errs   []string
	visits int
	stop   bool
}

// errorf notes an error at n. The format and its arguments must not carry
// anything read from the file but line numbers: only field names and fixed
// text.
func (d *authDecoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, fmt.Sprintf("line %d: %s: %s", n.Line, path, fmt.Sprintf(format, args...)))
}

// resolve returns the node an alias stands for, and n otherwise. It counts
// the visit; past maxAuthVisits it notes an error once and returns nil.
func (d *authDecoder) resolve(n *yaml.Node, path string) *yaml.Node {
	if d.stop {
		return nil
	}
	d.visits++
	if d.visits > maxAuthVisits {
		d.errorf(n, path, "more than %d values once aliases are repeated", maxAuthVisits)
		d.stop = true
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n, path, "alias to an unknown anchor")
			return nil
		}
		return n.Alias
	}
	return n
}

// kindName names what a node is, for "want ..., got ...".
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return "a string"
	}
	return "something else"
}

// explicitTag reports whether n carries a tag written in the file.
func explicitTag(n *yaml.Node) bool { return n.Style&yaml.TaggedStyle != 0 }

// isNull reports whether n is an untagged null ("", "~", "null").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && !explicitTag(n)
}

// str reads a scalar as the library does for a string field: its text, ""
// for null. A tag other than !!str is refused: the library would decode
// !!binary, fail on !!int with a text that is no number (quoting it) and
// pass any other tag's text through unnoticed.
func (d *authDecoder) str(at *yaml.Node, path string) (string, bool) {
	n := d.resolve(at, path)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(at, path, "want a string, got %s", kindName(n))
		return "", false
	}
	if explicitTag(n) && n.Tag != "!!str" {
		d.errorf(at, path, "unexpected tag (write a plain or quoted string)")
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	return n.Value, true
}

// list calls each for the items of a sequence; null is the empty list.
func (d *authDecoder) list(at *yaml.Node, path, what string, each func(i int, item *yaml.Node)) {
	n := d.resolve(at, path)
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(at, path, "want a list of %s, got %s", what, kindName(n))
		return
	}
	if explicitTag(n) && n.Tag != "!!seq" {
		d.errorf(at, path, "unexpected tag (write a plain list)")
		return
	}
	for i, item := range n.Content {
		if d.stop {
			return
		}
		each(i, item)
	}
}

// entry is one key of a mapping, merges resolved.
type entry struct {
	name       string
	key, value *yaml.Node
}

// entries returns the known keys of a mapping, explicit ones first, then
// those of its merges (<<) that are not given already, as the library
// does. Unknown, repeated and non-scalar keys are errors; the key is never
// repeated in the message.
func (d *authDecoder) entries(n *yaml.Node, path string, known []string, depth int) []entry {
	if depth > maxMergeDepth {
		d.errorf(n, path, "merges (<<) nested more than %d deep, or a merge that includes itself", maxMergeDepth)
		return nil
	}
	if explicitTag(n) && n.Tag != "!!map" {
		d.errorf(n, path, "unexpected tag (write a plain mapping)")
		return nil
	}
	var out []entry
	first := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			continue
		}
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(n.Content[i], path, "a key must be a field name (known: %s)", strings.Join(known, ", "))
			continue
		}
		name := k.Value
		if !contains(known, name) {
			if s := suggest(name, known); s != "" {
				d.errorf(n.Content[i], path, "unknown field (did you mean %s?)", s)
			} else {
				d.errorf(n.Content[i], path, "unknown field (known: %s)", strings.Join(known, ", "))
			}
			continue
		}
		if line, dup := first[name]; dup {
			d.errorf(n.Content[i], path, "%s given twice (first on line %d)", name, line)
			continue
		}
		first[name] = n.Content[i].Line
		out = append(out, entry{name: name, key: n.Content[i], value: n.Content[i+1]})
	}
	for _, m := range merges {
		mn := d.resolve(m, path)
		if mn == nil {
			continue
		}
		var sources []*yaml.Node
		switch mn.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{m}
		case yaml.SequenceNode:
			sources = mn.Content
		default:
			d.errorf(m, path, "a merge (<<) takes a mapping or a list of mappings, got %s", kindName(mn))
			continue
		}
		for _, s := range sources {
			sn := d.resolve(s, path)
			if sn == nil {
				continue
			}
			if sn.Kind != yaml.MappingNode {
				d.errorf(s, path, "a merge (<<) takes a mapping or a list of mappings, got a list holding %s", kindName(sn))
				continue
			}
			for _, e := range d.entries(sn, path, known, depth+1) {
				if _, given := first[e.name]; !given {
					first[e.name] = e.key.Line
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// mapping returns the entries of the mapping at, or notes that it is none.
func (d *authDecoder) mapping(at *yaml.Node, path, want string, known []string) ([]entry, bool) {
	n := d.resolve(at, path)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(at, path, "want %s, got %s", want, kindName(n))
		return nil, false
	}
	return d.entries(n, path, known, 0), true
}

func (d *authDecoder) auth(n *yaml.Node) Auth {
	var a Auth
	entries, ok := d.mapping(n, "auth", "a mapping with communities, sources or users", authFields)
	if !ok {
		return a
	}
	for _, e := range entries {
		path := "auth." + e.name
		switch e.name {
		case "communities":
			d.list(e.value, path, "strings", func(i int, item *yaml.Node) {
				if s, ok := d.str(item, fmt.Sprintf("%s[%d]", path, i)); ok {
					a.Communities = append(a.Communities, Secret(s))
					a.communityLines = append(a.communityLines, item.Line)
				}
			})
		case "sources":
			d.list(e.value, path, "addresses or prefixes", func(i int, item *yaml.Node) {
				p := fmt.Sprintf("%s[%d]", path, i)
				s, ok := d.str(item, p)
				if !ok {
					return
				}
				prefix, problem := parseSource(s)
				if problem != "" {
					d.errorf(item, p, "invalid source: %s", problem)
					return
				}
				a.Sources = append(a.Sources, Source{Prefix: prefix})
			})
		case "users":
			d.list(e.value, path, "users", func(i int, item *yaml.Node) {
				a.Users = append(a.Users, d.user(item, fmt.Sprintf("%s[%d]", path, i)))
			})
		}
	}
	return a
}

// user reads one entry of auth.users. It returns what it could read; the
// errors it notes make Parse fail before the user is used.
func (d *authDecoder) user(at *yaml.Node, path string) User {
	u := User{line: at.Line, lines: map[string]int{}}
	n := d.resolve(at, path)
	if n == nil || isNull(n) {
		return u // an empty user, which validate refuses
	}
	entries, _ := d.mapping(at, path, "a mapping with username, security_level and the rest", userFields)
	for _, e := range entries {
		u.lines[e.name] = e.key.Line
		if e.name == "engine_ids" {
			d.list(e.value, path+".engine_ids", "engine IDs", func(i int, item *yaml.Node) {
				if s, ok := d.str(item, fmt.Sprintf("%s.engine_ids[%d]", path, i)); ok {
					u.EngineIDs = append(u.EngineIDs, s)
					u.engineLines = append(u.engineLines, item.Line)
				}
			})
			continue
		}
		s, ok := d.str(e.value, path+"."+e.name)
		if !ok {
			continue
		}
		switch e.name {
		case "username":
			u.Username = s
		case "security_level":
			u.SecurityLevel = s
		case "auth_protocol":
			u.AuthProtocol = s
		case "password":
			u.Password = Secret(s)
		case "priv_protocol":
			u.PrivProtocol = s
		case "priv_password":
			u.PrivPassword = Secret(s)
		}
	}
	return u
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// suggest returns the known name nearest to name, if it is near enough to
// be a misspelling of it: at most a third of its letters apart (case and
// "-" for "_" aside), counting a swap of two neighbours as one.
func suggest(name string, known []string) string {
	norm := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	best, bestDist := "", 0
	for _, k := range known {
		d := editDistance(norm, k)
		if d <= max(1, len(k)/3) && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b: edits,
// and swaps of adjacent bytes.
func editDistance(a, b string) int {
	if len(a) > 64 {
		return len(a) // no field name is that long
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
