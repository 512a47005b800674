package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// sentinel stands for a secret. It has no four-character window in common
// with any message of the package, nor with "<secret>", so finding one of
// its windows in an error means the error quotes the input.
const sentinel = "Zq7-SENTINEL-w8xv"

// leak returns the first four-byte window of sentinel found in s, or "".
func leak(s string) string {
	for i := 0; i+4 <= len(sentinel); i++ {
		if w := sentinel[i : i+4]; strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// secretCases put the sentinel ("@") in every place and shape under auth
// an operator might, by mistake or on purpose. valid says whether the file
// is a valid configuration; hidden that the sentinel then sits where
// Redacted must hide it (a community or a password).
var secretCases = []struct {
	name   string
	yaml   string
	valid  bool
	hidden bool
}{
	// Communities in every scalar and collection shape.
	{name: "community plain", yaml: "auth:\n  communities: @\n"},
	{name: "community double-quoted", yaml: "auth:\n  communities: \"@\"\n"},
	{name: "community single-quoted", yaml: "auth:\n  communities: '@'\n"},
	{name: "community literal block", yaml: "auth:\n  communities: |\n    @\n"},
	// Short enough (ten bytes with the newline) for the library to quote
	// it whole.
	{name: "community short literal block", yaml: "auth:\n  communities: |\n    Zq7-SENTI\n"},
	{name: "community folded block", yaml: "auth:\n  communities: >-\n    @\n    @\n"},
	{name: "community keep block", yaml: "auth:\n  communities: |+\n    @\n\n"},
	{name: "community block after text", yaml: "auth:\n  communities: |\n    x\n    @\n"},
	{name: "community quoted newline", yaml: "auth:\n  communities: \"ab\\n@\"\n"},
	{name: "community multi-line plain", yaml: "auth:\n  communities: ab\n    @\n"},
	{name: "community backticks", yaml: "auth:\n  communities: \"a`b`@`\"\n"},
	{name: "community flow mapping key", yaml: "auth:\n  communities: {@: x}\n"},
	{name: "community flow mapping value", yaml: "auth:\n  communities: {x: @}\n"},
	{name: "community block mapping", yaml: "auth:\n  communities:\n    @: 1\n"},
	{name: "community nested list", yaml: "auth:\n  communities: [[@]]\n"},
	{name: "community mapping in list", yaml: "auth:\n  communities: [{@: 1}]\n"},
	{name: "community mapping in block list", yaml: "auth:\n  communities:\n    - @: x\n"},
	{name: "community tag", yaml: "auth:\n  communities: [!@]\n"},
	{name: "community tag with value", yaml: "auth:\n  communities: [!@ public]\n"},
	{name: "community int tag", yaml: "auth:\n  communities: [!!int @]\n"},
	{name: "community binary tag", yaml: "auth:\n  communities: [!!binary @]\n"},
	{name: "community alias", yaml: "auth:\n  communities: [*@]\n"},
	{name: "community anchor", yaml: "auth:\n  communities: [&@]\n"},
	{name: "community anchor name", yaml: "auth:\n  communities: &@ x\n"},
	{name: "community unclosed", yaml: "auth:\n  communities: [@\n"},
	{name: "community unclosed quote", yaml: "auth:\n  communities: [\"@]\n"},
	{name: "community colon", yaml: "auth:\n  communities: @: x\n"},
	{name: "community tab", yaml: "auth:\n  communities:\t[@\t]\n", valid: true, hidden: true},
	{name: "community control character", yaml: "auth:\n  communities: [\"@\x01\"]\n"},
	{name: "community duplicate key", yaml: "auth:\n  communities: [@]\n  communities: [@]\n"},
	{name: "community empty after", yaml: "auth:\n  communities: [@, \"\"]\n"},
	{name: "community", yaml: "auth:\n  communities: [@]\n", valid: true, hidden: true},
	{name: "community block list", yaml: "auth:\n  communities:\n    - |\n      @\n", valid: true, hidden: true},
	{name: "community flow document", yaml: "{auth: {communities: @}}\n"},
	{name: "community top-level merge", yaml: "<<: {auth: {communities: @}}\n"},

	// @ources.
	{name: "source", yaml: "auth:\n  sources: [@]\n"},
	{name: "source scalar", yaml: "auth:\n  sources: @\n"},
	{name: "source block", yaml: "auth:\n  sources:\n    - @\n"},
	{name: "source literal", yaml: "auth:\n  sources:\n    - |\n      @\n"},
	{name: "source prefix", yaml: "auth:\n  sources: [@/8]\n"},
	{name: "source prefix length", yaml: "auth:\n  sources: [\"10.0.0.0/@\"]\n"},
	{name: "source mapping", yaml: "auth:\n  sources: [{@: 1}]\n"},
	{name: "source after good", yaml: "auth:\n  sources: [10.0.0.0/8, @]\n"},
	{name: "source from community anchor", yaml: "auth:\n  communities: &c [@]\n  sources: *c\n"},

	// Users and their fields.
	{name: "users scalar", yaml: "auth:\n  users: @\n"},
	{name: "users list of scalars", yaml: "auth:\n  users: [@]\n"},
	{name: "users block", yaml: "auth:\n  users:\n    - @\n"},
	{name: "users mapping", yaml: "auth:\n  users: {@: 1}\n"},
	{name: "users nested list", yaml: "auth:\n  users: [[@]]\n"},
	{name: "username", yaml: "auth:\n  users:\n    - username: @\n      security_level: noAuthNoPriv\n", valid: true},
	{name: "username no level", yaml: "auth:\n  users:\n    - username: @\n"},
	{name: "username bad level", yaml: "auth:\n  users:\n    - username: @\n      security_level: x\n"},
	{name: "username too long", yaml: "auth:\n  users:\n    - username: @@@\n      security_level: noAuthNoPriv\n"},
	{name: "username list", yaml: "auth:\n  users:\n    - username: [@]\n"},
	{name: "username mapping", yaml: "auth:\n  users:\n    - username: {@: x}\n"},
	{name: "username duplicate", yaml: "auth:\n  users:\n    - {username: @, security_level: noAuthNoPriv}\n    - {username: @, security_level: noAuthNoPriv}\n"},
	{name: "username needs auth", yaml: "auth:\n  users:\n    - username: @\n      security_level: authNoPriv\n"},
	{name: "password short", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: Zq7-SEN\n"},
	{name: "password tail short", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: w8xv\n"},
	{name: "password without protocol", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      password: @\n"},
	{name: "password bad protocol", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA3\n      password: @\n"},
	{name: "password list", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: [@]\n"},
	{name: "password block", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: |\n        @\n", valid: true, hidden: true},
	{name: "password", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: @\n", valid: true, hidden: true},
	{name: "password duplicate", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: @\n      password: @\n"},
	{name: "priv password short", yaml: "auth:\n  users:\n    - username: u\n      security_level: authPriv\n      auth_protocol: SHA\n      password: long-enough\n      priv_protocol: AES\n      priv_password: Zq7-SEN\n"},
	{name: "priv password without protocol", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password: long-enough\n      priv_password: @\n"},
	{name: "priv password bad protocol", yaml: "auth:\n  users:\n    - username: u\n      security_level: authPriv\n      auth_protocol: SHA\n      password: long-enough\n      priv_protocol: AES3\n      priv_password: @\n"},
	{name: "priv password", yaml: "auth:\n  users:\n    - username: u\n      security_level: authPriv\n      auth_protocol: SHA\n      password: long-enough\n      priv_protocol: AES\n      priv_password: @\n", valid: true, hidden: true},
	{name: "auth protocol", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: @\n      password: long-enough\n"},
	{name: "auth protocol list", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: [@]\n"},
	{name: "priv protocol", yaml: "auth:\n  users:\n    - username: u\n      security_level: authPriv\n      auth_protocol: SHA\n      password: long-enough\n      priv_protocol: @\n      priv_password: long-enough\n"},
	{name: "security level", yaml: "auth:\n  users:\n    - username: u\n      security_level: @\n"},
	{name: "security level mapping", yaml: "auth:\n  users:\n    - username: u\n      security_level: {@: 1}\n"},
	{name: "engine id", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      engine_ids: [@]\n"},
	{name: "engine id scalar", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      engine_ids: @\n"},
	{name: "engine id hex prefix", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      engine_ids: [\"0x@\"]\n"},
	{name: "engine id mapping", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      engine_ids: [{@: 1}]\n"},
	{name: "engine id after good", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      engine_ids: [80001f8880aabbccdd, @]\n"},

	// The sentinel as a key.
	{name: "unknown key under auth", yaml: "auth:\n  @: [public]\n"},
	{name: "unknown quoted key under auth", yaml: "auth:\n  \"@\": 1\n"},
	{name: "unknown complex key under auth", yaml: "auth:\n  ? [@]\n  : 1\n"},
	{name: "unknown explicit key under auth", yaml: "auth:\n  ? @\n  : 1\n"},
	{name: "unknown key duplicate under auth", yaml: "auth:\n  @: 1\n  @: 2\n"},
	{name: "unknown key near a field", yaml: "auth:\n  communitiesZq7-SENTINEL: [a]\n"},
	{name: "unknown key under a user", yaml: "auth:\n  users:\n    - username: u\n      security_level: noAuthNoPriv\n      @: x\n"},
	{name: "unknown key after password", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      password:\n      @\n"},
	{name: "password as key", yaml: "auth:\n  users:\n    - username: u\n      security_level: authNoPriv\n      auth_protocol: SHA\n      @: password\n"},
	{name: "key duplicate under a user", yaml: "auth:\n  users:\n    - username: u\n      @: 1\n      @: 2\n"},

	// Wrong shapes of auth itself.
	{name: "auth scalar", yaml: "auth: @\n"},
	{name: "auth list", yaml: "auth: [@]\n"},
	{name: "auth block list", yaml: "auth:\n  - @\n"},
	{name: "auth literal", yaml: "auth: |\n  @\n"},

	// Anchors, aliases and merges.
	{name: "alias to a community in a user", yaml: "auth:\n  communities: [&c @]\n  users:\n    - username: u\n      security_level: *c\n"},
	{name: "alias to an unknown anchor in a user", yaml: "auth:\n  users:\n    - username: *@\n"},
	{name: "merge of a secret key", yaml: "auth:\n  users:\n    - <<: {@: 1}\n      username: u\n"},
	{name: "merge of a scalar", yaml: "auth:\n  users:\n    - <<: @\n      username: u\n"},
	{name: "merge of a bad level", yaml: "auth:\n  communities: [x]\n  users:\n    - &u {username: a, security_level: @}\n    - <<: *u\n      username: b\n"},
	{name: "merge into auth", yaml: "auth:\n  <<: {communities: @}\n"},
	{name: "self merge", yaml: "auth:\n  users:\n    - &u\n      <<: *u\n      username: @\n"},
	{name: "alias of auth", yaml: "auth: &a {@: 1}\ndevices: *a\n"},
	{name: "alias out to device name", yaml: "auth:\n  communities: [&c @]\ndevices:\n  - {address: 192.0.2.1, name: *c}\n  - {address: 192.0.2.2, name: *c}\n"},
	{name: "alias out to device address", yaml: "auth:\n  communities: [&c @]\ndevices:\n  - address: *c\n"},
	{name: "alias out to relay", yaml: "auth:\n  communities: [&c @]\nrelays: [*c]\n"},
	{name: "alias out to engine id", yaml: "auth:\n  communities: [&c @]\nengine_id: *c\n"},
	{name: "alias out to int tag", yaml: "auth:\n  communities: [&c !!int @]\ndevices:\n  - {address: 192.0.2.1, name: *c}\n"},
	{name: "alias out to labels", yaml: "auth:\n  communities: [&c @]\ndevices:\n  - {address: 192.0.2.1, labels: *c}\n"},
	{name: "alias out of a mapping", yaml: "auth:\n  users:\n    - &u {username: u, security_level: noAuthNoPriv, @: 1}\ndevices:\n  - *u\n"},
	{name: "alias out to a rule", yaml: "auth:\n  communities: [&c @]\nrules:\n  - name: *c\n"},
	{name: "alias out to a rule metric", yaml: "auth:\n  communities: [&c @]\nrules:\n  - {name: r, traps: [cold@tart], metric: *c, action: count}\n"},
}

// parseCase writes the case with the sentinel in place and parses it, from
// bytes and from a file.
func parseCase(t *testing.T, y string) (*Config, error, error) {
	t.Helper()
	doc := strings.ReplaceAll(y, "@", sentinel)
	c, err := Parse([]byte(doc))
	path := filepath.Join(t.TempDir(), "snmptrap.yml")
	if werr := os.WriteFile(path, []byte(doc), 0o600); werr != nil {
		t.Fatal(werr)
	}
	_, lerr := Load(path)
	return c, err, lerr
}

// No error of Parse or Load shows any part of a value from under auth,
// whatever the shape of the mistake; errors still name their line.
func TestNoSecretInError(t *testing.T) {
	for _, tc := range secretCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err, lerr := parseCase(t, tc.yaml)
			if tc.valid {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if lerr != nil {
					t.Fatalf("Load: %v", lerr)
				}
				out, merr := c.Redacted()
				if merr != nil {
					t.Fatal(merr)
				}
				if w := leak(string(out)); w != "" && tc.hidden {
					t.Errorf("Redacted shows %q:\n%s", w, out)
				}
				if w := leak(fmt.Sprintf("%v %+v %#v", c.Auth.Communities, c.Auth.Users, c.Auth.Communities)); w != "" && tc.hidden {
					t.Errorf("%%v shows %q", w)
				}
				return
			}
			if err == nil || lerr == nil {
				t.Fatalf("no error: Parse %v, Load %v", err, lerr)
			}
			t.Log(err)
			for _, e := range []error{err, lerr} {
				if w := leak(e.Error()); w != "" {
					t.Errorf("error shows %q: %v", w, e)
				}
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error names no line: %v", err)
			}
		})
	}
}

// The check of TestNoSecretInError can fail: a value outside auth is still
// quoted, and leak finds it.
func TestNoSecretInErrorControl(t *testing.T) {
	_, err, _ := parseCase(t, "devices:\n  - address: 192.0.2.1\n    name: \" @\"\n")
	if err == nil || leak(err.Error()) == "" {
		t.Fatalf("a device name outside auth is no longer quoted: %v", err)
	}
}

// outsideAuth returns every string written outside the top-level auth
// section of the document (values, keys, tags, anchor and alias names):
// an error may quote those. nil when the document does not parse.
func outsideAuth(doc string) []string {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		return nil
	}
	var out []string
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 100 {
			return
		}
		out = append(out, n.Value, n.Tag, n.Anchor)
		if n.Kind == yaml.MappingNode && depth <= 1 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Kind == yaml.ScalarNode && k.Value == "auth" {
					continue
				}
				if k.Kind == yaml.ScalarNode && k.Value == "forward" && v.Kind == yaml.SequenceNode {
					// Under forward only the communities are secret:
					// messages may quote an address or a filter.
					for _, e := range v.Content {
						if e.Kind != yaml.MappingNode {
							walk(e, depth+2)
							continue
						}
						for j := 0; j+1 < len(e.Content); j += 2 {
							if e.Content[j].Value != "community" {
								walk(e.Content[j], depth+3)
								walk(e.Content[j+1], depth+3)
							}
						}
					}
					continue
				}
				if k.Value == "<<" && depth == 1 {
					walk(k, depth+1)
					// A merge at the top may bring an auth of its own.
					if v.Kind == yaml.MappingNode {
						walk(v, depth)
						continue
					}
				}
				walk(k, depth+1)
				walk(v, depth+1)
			}
			return
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(&root, 0)
	return out
}

// fuzzTemplates place the fuzzed text under auth (or forward); "@" in the text becomes
// the sentinel.
var fuzzTemplates = []string{
	"auth:\n  communities: %s\n",
	"auth:\n  communities:\n    - %s\n",
	"auth:\n  %s\n",
	"auth: %s\n",
	"auth:\n  sources: %s\n",
	"auth:\n  users:\n    - username: ops\n      %s\n",
	"auth:\n  users:\n    - username: ops\n      security_level: authPriv\n      auth_protocol: SHA\n      password: long-enough\n      priv_protocol: AES\n      priv_password: %s\n",
	"auth:\n  users:\n    - %s\n",
	"devices:\n  - address: 192.0.2.1\nauth:\n  communities: [&a x]\n  users: %s\n",
	// Aliases outside auth to what the text puts under it.
	"auth:\n  communities: [&a %s]\ndevices:\n  - {address: 192.0.2.1, name: *a}\n  - {address: 192.0.2.2, name: *a, labels: {x: *a}}\n",
	"auth:\n  communities: [&a %s]\nengine_id: *a\nrelays: [*a]\nrules:\n  - {name: r, traps: [*a], metric: *a, action: count, value: *a}\n",
	"auth:\n  users:\n    - &u %s\ndevices:\n  - *u\nrules:\n  - *u\n",
	// forward: entries hold communities too.
	"forward:\n  - address: udp://192.0.2.9:162\n    mode: v2c\n    community: %s\n",
	"forward:\n  - address: udp://192.0.2.9:162\n    %s\n",
	"forward:\n  - %s\n",
	"forward: %s\n",
	"forward:\n  - {address: udp://192.0.2.9:162, mode: inform, community: &c %s}\ndevices:\n  - {address: 192.0.2.1, name: *c}\n",
}

// FuzzParseNoSecretInError: whatever is written under auth, no error of
// Parse quotes the sentinel, unless the text also put it outside auth.
func FuzzParseNoSecretInError(f *testing.F) {
	for _, tc := range secretCases {
		// The cases' own sections, as fragments for every template.
		if frag, ok := strings.CutPrefix(tc.yaml, "auth:\n  "); ok {
			f.Add(uint8(2), strings.TrimSuffix(frag, "\n"))
		}
	}
	for _, seed := range []string{
		"@", "\"@\"", "'@'", "|\n    @", ">-\n    @\n    @", "[@]", "[[@]]", "{@: 1}", "{x: @}", "[*@]", "[&@]",
		"[!@]", "[!!int @]", "@: x", "[\"@", "- @", "&a [@]", "[@, *a]",
		"password: @", "security_level: @", "auth_protocol: @", "engine_ids: [@]", "<<: {@: 1}",
	} {
		for t := range fuzzTemplates {
			f.Add(uint8(t), seed)
		}
	}
	f.Fuzz(func(t *testing.T, tmpl uint8, frag string) {
		doc := fmt.Sprintf(fuzzTemplates[int(tmpl)%len(fuzzTemplates)], strings.ReplaceAll(frag, "@", sentinel))
		_, err := Parse([]byte(doc))
		if err == nil {
			return
		}
		w := leak(err.Error())
		if w == "" {
			return
		}
		for _, s := range outsideAuth(doc) {
			if strings.Contains(s, w) {
				return // written outside auth too: may be quoted
			}
		}
		t.Errorf("error shows %q of a value under auth or a forward community: %v\n%s", w, err, doc)
	})
}
