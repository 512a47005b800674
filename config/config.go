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
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"

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
	// Forward lists where admitted traps are passed on.
	Forward []Forward `yaml:"forward,omitempty"`
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

	communityLines []int // from the file, for messages; parallel to Communities
}

// Source is an address or a prefix.
type Source struct {
	netip.Prefix
}

// UnmarshalYAML reads "192.0.2.7", "10.0.0.0/8" or "2001:db8::/32". (The
// sources under auth are read by Auth.UnmarshalYAML, whose messages do not
// quote them.)
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	var str string
	if err := n.Decode(&str); err != nil {
		return err
	}
	p, problem := parseSource(str)
	if problem != "" {
		return lineError(n, "invalid source %q: %s", str, problem)
	}
	s.Prefix = p
	return nil
}

// parseSource reads an address or a prefix. The problem, when there is
// one, does not quote str.
func parseSource(str string) (netip.Prefix, string) {
	const want = "want an address or a prefix like 10.0.0.0/8"
	if strings.Contains(str, "/") {
		p, err := netip.ParsePrefix(str)
		if err != nil {
			return netip.Prefix{}, want
		}
		if p != p.Masked() {
			return netip.Prefix{}, fmt.Sprintf("host bits set (did you mean %s?)", p.Masked())
		}
		return p, ""
	}
	a, err := netip.ParseAddr(str)
	if err != nil {
		return netip.Prefix{}, want
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), ""
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

	// From the file, for messages: the user's line, its fields' lines and
	// those of its engine IDs.
	line        int
	lines       map[string]int
	engineLines []int
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

// at names user i of auth.users, and the line of field (or of the user) in
// the file: "line 7: auth.users[1]". Never the username: no message about
// auth quotes a value from it.
func (u *User) at(i int, field string) string {
	where := fmt.Sprintf("auth.users[%d]", i)
	line := u.line
	if l, ok := u.lines[field]; ok {
		line = l
	}
	if line > 0 {
		where = fmt.Sprintf("line %d: %s", line, where)
	}
	return where
}

func (u *User) validate(i int) error {
	if u.Username == "" {
		return fmt.Errorf("%s: username is empty", u.at(i, "username"))
	}
	if len(u.Username) > 32 {
		return fmt.Errorf("%s: username longer than 32 characters", u.at(i, "username"))
	}
	switch u.SecurityLevel {
	case NoAuthNoPriv, AuthNoPriv, AuthPriv:
	case "":
		return fmt.Errorf("%s: security_level is missing (want noAuthNoPriv, authNoPriv or authPriv)", u.at(i, ""))
	default:
		return fmt.Errorf("%s: unknown security_level (want noAuthNoPriv, authNoPriv or authPriv)", u.at(i, "security_level"))
	}
	if u.AuthProtocol != "" {
		if _, err := usm.ParseAuthProtocol(u.AuthProtocol); err != nil {
			return fmt.Errorf("%s: unknown auth_protocol (valid: %s)", u.at(i, "auth_protocol"), usm.AuthProtocolNames)
		}
		if len(u.Password) < minPasswordLen {
			return fmt.Errorf("%s: password must have at least %d characters", u.at(i, "password"), minPasswordLen)
		}
	} else if u.Password != "" {
		return fmt.Errorf("%s: password given without auth_protocol", u.at(i, "password"))
	}
	if u.PrivProtocol != "" {
		if _, err := usm.ParsePrivProtocol(u.PrivProtocol); err != nil {
			return fmt.Errorf("%s: unknown priv_protocol (valid: %s)", u.at(i, "priv_protocol"), usm.PrivProtocolNames)
		}
		if u.AuthProtocol == "" {
			return fmt.Errorf("%s: priv_protocol needs an auth_protocol too (RFC 3414 has no privacy without authentication)", u.at(i, "priv_protocol"))
		}
		if len(u.PrivPassword) < minPasswordLen {
			return fmt.Errorf("%s: priv_password must have at least %d characters", u.at(i, "priv_password"), minPasswordLen)
		}
	} else if u.PrivPassword != "" {
		return fmt.Errorf("%s: priv_password given without priv_protocol", u.at(i, "priv_password"))
	}
	if u.SecurityLevel != NoAuthNoPriv && u.AuthProtocol == "" {
		return fmt.Errorf("%s: security_level %s needs auth_protocol and password", u.at(i, ""), u.SecurityLevel)
	}
	if u.SecurityLevel == AuthPriv && u.PrivProtocol == "" {
		return fmt.Errorf("%s: security_level authPriv needs priv_protocol and priv_password", u.at(i, ""))
	}
	for j, id := range u.EngineIDs {
		if _, problem := parseEngineID(id); problem != "" {
			where := u.at(i, "engine_ids")
			if j < len(u.engineLines) {
				where = fmt.Sprintf("line %d: auth.users[%d]", u.engineLines[j], i)
			}
			return fmt.Errorf("%s: engine_ids[%d] %s", where, j, problem)
		}
	}
	return nil
}

// ParseEngineID reads an engine ID written in hex, with or without "0x"
// and ":" separators. RFC 3411 allows 5 to 32 octets.
func ParseEngineID(s string) ([]byte, error) {
	b, problem := parseEngineID(s)
	if problem != "" {
		return nil, fmt.Errorf("engine ID %q %s", s, problem)
	}
	return b, nil
}

// parseEngineID is ParseEngineID with a problem that does not quote s.
func parseEngineID(s string) ([]byte, string) {
	h := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), ":", "")
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, "is not hex"
	}
	if len(b) < 5 || len(b) > 32 {
		return nil, fmt.Sprintf("has %d octets, want 5 to 32", len(b))
	}
	return b, ""
}

func lineError(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

// Parse reads a configuration strictly: unknown keys, type mismatches and
// invalid values are errors that name their line. No error quotes a value
// (or a key) from under auth: see Auth.UnmarshalYAML for the section
// itself and guard for the library's messages about the rest.
func Parse(b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, syntaxError(err, b)
	}
	g := newGuard(&root)
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, g.clean(err)
	}
	if err := c.validate(); err != nil {
		return nil, g.clean(err)
	}
	return c, nil
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
			return fmt.Errorf("%s: username already used by auth.users[%d]", u.at(i, "username"), j)
		}
		seen[u.Username] = i
	}
	for i, cm := range c.Auth.Communities {
		if cm == "" {
			if i < len(c.Auth.communityLines) {
				return fmt.Errorf("line %d: auth.communities[%d] is empty", c.Auth.communityLines[i], i)
			}
			return fmt.Errorf("auth.communities[%d] is empty", i)
		}
	}
	if err := c.validateDevices(); err != nil {
		return err
	}
	if err := c.validateForward(); err != nil {
		return err
	}
	return c.validateRules()
}

// MaxFileSize is the largest configuration file Load reads.
const MaxFileSize = 64 << 20

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	// A regular file only (a FIFO would block the start), and not one of
	// gigabytes: 10,000 users take about 2 MB.
	b, err := atomicfile.ReadRegularFollow(path, MaxFileSize)
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
