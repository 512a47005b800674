// Package config reads the exporter's YAML configuration: strict (unknown
// keys are errors), with defaults, checked as a whole when loaded, and with
// every secret redacted when it is shown.
package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// Secret is a string that never shows: it marshals as "<secret>", so
// /config and logs cannot leak a community, password or key.
type Secret string

const redacted = "<secret>"

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return redacted, nil
}

// String keeps fmt from printing the value.
func (s Secret) String() string { return redacted }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return redacted }

// Config is the whole configuration file.
type Config struct {
	// EngineID is this exporter's SNMP engine ID (hex), used for the
	// informs it acknowledges. Empty: generated once and kept under
	// --storage.path.
	EngineID string `yaml:"engine_id,omitempty"`
	Auth     Auth   `yaml:"auth"`
	// Devices is the inventory: names and labels for source addresses.
	Devices []Device `yaml:"devices,omitempty"`
	// Relays are trusted forwarders: a trap from one of them names its
	// device in snmpTrapAddress.0 or the v1 agent-addr.
	Relays []Source `yaml:"relays,omitempty"`
	// Rules derive gauges and state series from traps.
	Rules []Rule `yaml:"rules,omitempty"`
	// BuiltinRules turns the built-in rules off one by one.
	BuiltinRules BuiltinRules `yaml:"builtin_rules,omitempty"`
}

// Auth says who may send traps.
type Auth struct {
	// Communities accepted in v1/v2c messages; empty accepts any.
	Communities []Secret `yaml:"communities,omitempty"`
	// Sources are the addresses or prefixes traps may come from; empty
	// accepts any. Applies to every version.
	Sources []Source `yaml:"sources,omitempty"`
	// Users are the SNMPv3 USM users.
	Users []User `yaml:"users,omitempty"`
}

// Source is an address or a prefix.
type Source struct {
	netip.Prefix
}

// UnmarshalYAML reads "192.0.2.7", "10.0.0.0/8" or "2001:db8::/32".
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	var str string
	if err := n.Decode(&str); err != nil {
		return err
	}
	if strings.Contains(str, "/") {
		p, err := netip.ParsePrefix(str)
		if err != nil {
			return lineError(n, "invalid source %q: want an address or a prefix like 10.0.0.0/8", str)
		}
		if p != p.Masked() {
			return lineError(n, "invalid source %q: host bits set (did you mean %s?)", str, p.Masked())
		}
		s.Prefix = p
		return nil
	}
	a, err := netip.ParseAddr(str)
	if err != nil {
		return lineError(n, "invalid source %q: want an address or a prefix like 10.0.0.0/8", str)
	}
	a = a.Unmap()
	s.Prefix = netip.PrefixFrom(a, a.BitLen())
	return nil
}

// MarshalYAML writes the source back as it reads.
func (s Source) MarshalYAML() (any, error) {
	if s.Bits() == s.Addr().BitLen() {
		return s.Addr().String(), nil
	}
	return s.String(), nil
}

// Security levels (RFC 3411), in increasing order.
const (
	NoAuthNoPriv = "noAuthNoPriv"
	AuthNoPriv   = "authNoPriv"
	AuthPriv     = "authPriv"
)

// User is one SNMPv3 user.
type User struct {
	Username string `yaml:"username"`
	// SecurityLevel is the lowest level accepted from this user; a message
	// at a lower level is refused whatever its flags claim.
	SecurityLevel string   `yaml:"security_level"`
	AuthProtocol  string   `yaml:"auth_protocol,omitempty"`
	Password      Secret   `yaml:"password,omitempty"`
	PrivProtocol  string   `yaml:"priv_protocol,omitempty"`
	PrivPassword  Secret   `yaml:"priv_password,omitempty"`
	EngineIDs     []string `yaml:"engine_ids,omitempty"`

	line int
}

// Equal reports whether two user entries configure the same user (the
// line they were read from aside).
func (u *User) Equal(o *User) bool {
	return u.Username == o.Username && u.SecurityLevel == o.SecurityLevel &&
		u.AuthProtocol == o.AuthProtocol && u.Password == o.Password &&
		u.PrivProtocol == o.PrivProtocol && u.PrivPassword == o.PrivPassword &&
		slices.Equal(u.EngineIDs, o.EngineIDs)
}

// minPasswordLen is RFC 3414 §11.2's recommendation, which net-snmp
// enforces: shorter passwords are refused by senders anyway.
const minPasswordLen = 8

func (u *User) validate(i int) error {
	where := fmt.Sprintf("auth.users[%d]", i)
	if u.line > 0 {
		where = fmt.Sprintf("line %d: %s", u.line, where)
	}
	if u.Username == "" {
		return fmt.Errorf("%s: username is empty", where)
	}
	if len(u.Username) > 32 {
		return fmt.Errorf("%s (%s): username longer than 32 characters", where, u.Username)
	}
	where = fmt.Sprintf("%s (%s)", where, u.Username)
	switch u.SecurityLevel {
	case NoAuthNoPriv, AuthNoPriv, AuthPriv:
	case "":
		return fmt.Errorf("%s: security_level is missing (noAuthNoPriv, authNoPriv or authPriv)", where)
	default:
		return fmt.Errorf("%s: unknown security_level %q (noAuthNoPriv, authNoPriv or authPriv)", where, u.SecurityLevel)
	}
	if u.AuthProtocol != "" {
		if _, err := usm.ParseAuthProtocol(u.AuthProtocol); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if len(u.Password) < minPasswordLen {
			return fmt.Errorf("%s: password must have at least %d characters", where, minPasswordLen)
		}
	} else if u.Password != "" {
		return fmt.Errorf("%s: password given without auth_protocol", where)
	}
	if u.PrivProtocol != "" {
		if _, err := usm.ParsePrivProtocol(u.PrivProtocol); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if u.AuthProtocol == "" {
			return fmt.Errorf("%s: priv_protocol needs an auth_protocol too (RFC 3414 has no privacy without authentication)", where)
		}
		if len(u.PrivPassword) < minPasswordLen {
			return fmt.Errorf("%s: priv_password must have at least %d characters", where, minPasswordLen)
		}
	} else if u.PrivPassword != "" {
		return fmt.Errorf("%s: priv_password given without priv_protocol", where)
	}
	if u.SecurityLevel != NoAuthNoPriv && u.AuthProtocol == "" {
		return fmt.Errorf("%s: security_level %s needs auth_protocol and password", where, u.SecurityLevel)
	}
	if u.SecurityLevel == AuthPriv && u.PrivProtocol == "" {
		return fmt.Errorf("%s: security_level authPriv needs priv_protocol and priv_password", where)
	}
	for _, id := range u.EngineIDs {
		if _, err := ParseEngineID(id); err != nil {
			return fmt.Errorf("%s: engine_ids: %w", where, err)
		}
	}
	return nil
}

// ParseEngineID reads an engine ID written in hex, with or without "0x"
// and ":" separators. RFC 3411 allows 5 to 32 octets.
func ParseEngineID(s string) ([]byte, error) {
	h := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), ":", "")
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("engine ID %q is not hex", s)
	}
	if len(b) < 5 || len(b) > 32 {
		return nil, fmt.Errorf("engine ID %q has %d octets, want 5 to 32", s, len(b))
	}
	return b, nil
}

func lineError(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

// Parse reads a configuration strictly: unknown keys, type mismatches and
// invalid values are errors that name their line.
func Parse(b []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, cleanYAMLError(err)
	}
	// The users' lines, for the checks below. (A custom UnmarshalYAML on
	// User would lose the decoder's strictness: Node.Decode has none.)
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil {
		for i, line := range userLines(&root) {
			if i < len(c.Auth.Users) {
				c.Auth.Users[i].line = line
			}
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// userLines returns the line of each entry of auth.users.
func userLines(root *yaml.Node) []int {
	users := mapValue(mapValue(root, "auth"), "users")
	if users == nil || users.Kind != yaml.SequenceNode {
		return nil
	}
	lines := make([]int, len(users.Content))
	for i, u := range users.Content {
		lines[i] = u.Line
	}
	return lines
}

// mapValue returns the value under key in a mapping node (or a document
// holding one), or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (c *Config) validate() error {
	if c.EngineID != "" {
		if _, err := ParseEngineID(c.EngineID); err != nil {
			return fmt.Errorf("engine_id: %w", err)
		}
	}
	seen := map[string]int{}
	for i := range c.Auth.Users {
		u := &c.Auth.Users[i]
		if err := u.validate(i); err != nil {
			return err
		}
		if j, dup := seen[u.Username]; dup {
			return fmt.Errorf("line %d: auth.users[%d]: username %q already used by auth.users[%d]", u.line, i, u.Username, j)
		}
		seen[u.Username] = i
	}
	for i, cm := range c.Auth.Communities {
		if cm == "" {
			return fmt.Errorf("auth.communities[%d] is empty", i)
		}
	}
	if err := c.validateDevices(); err != nil {
		return err
	}
	return c.validateRules()
}

// yamlValue matches the value the YAML library quotes in a type error
// ("cannot unmarshal !!str `hush-hush` into ..."): it may be a secret.
var yamlValue = regexp.MustCompile("`.*` into")

// cleanYAMLError drops the library's "yaml: unmarshal errors:" preamble so
// the message starts with the line, and removes any value it quotes: a
// community written as a string instead of a list must not end up in a log
// line or an HTTP answer.
func cleanYAMLError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimSpace(msg)
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	msg = yamlValue.ReplaceAllString(msg, "(value hidden) into")
	return errors.New(msg)
}

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Redacted returns the configuration as YAML with every secret replaced by
// "<secret>", for /config.
func (c *Config) Redacted() ([]byte, error) {
	return yaml.Marshal(c)
}
