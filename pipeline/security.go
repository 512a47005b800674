package pipeline

import (
	"crypto/subtle"
	"fmt"
	"net/netip"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// Security levels, in the order a user's minimum is compared.
const (
	levelNoAuthNoPriv = iota
	levelAuthNoPriv
	levelAuthPriv
)

var levels = map[string]int{
	config.NoAuthNoPriv: levelNoAuthNoPriv,
	config.AuthNoPriv:   levelAuthNoPriv,
	config.AuthPriv:     levelAuthPriv,
}

// Security is the compiled auth section of the configuration: who may send
// traps. It is immutable; a reload builds a new one and swaps it in whole.
type Security struct {
	communities [][]byte
	sources     []netip.Prefix
	users       map[string]*v3User
}

// v3User is a configured USM user with its passwords already hashed
// (RFC 3414 A.2's password-to-key, 1 MiB of hashing each): the hot path only
// localizes, per sender engine, and caches the result. It is immutable, so
// a reload that leaves a user's entry unchanged keeps the same v3User, its
// hashed passwords and the keys cached for it.
type v3User struct {
	entry     config.User // as configured, to tell an unchanged entry
	name      string
	minLevel  int
	auth      usm.AuthProtocol
	priv      usm.PrivProtocol
	authKu    []byte
	privKu    []byte
	engineIDs map[string]bool // nil: any engine
}

// NewSecurity compiles a validated configuration.
func NewSecurity(c *config.Config) (*Security, error) { return NewSecurityFrom(c, nil) }

// NewSecurityFrom compiles a validated configuration on reload: a user
// whose entry is the same as in prev (nil at start) is taken over as it is,
// so its passwords are not hashed again. Hashing them costs 1 MiB of
// hashing per password (2 s of CPU per reload for 1,000 authPriv users,
// BenchmarkReloadSecurity1kUsers, before users were reused).
func NewSecurityFrom(c *config.Config, prev *Security) (*Security, error) {
	s := &Security{users: make(map[string]*v3User, len(c.Auth.Users))}
	for _, cm := range c.Auth.Communities {
		s.communities = append(s.communities, []byte(cm))
	}
	for _, src := range c.Auth.Sources {
		s.sources = append(s.sources, src.Prefix)
	}
	// Errors name a user by its index, and quote nothing: a value from auth
	// may be a secret. (Parse has checked all this for a file.)
	for i, u := range c.Auth.Users {
		if prev != nil {
			if old := prev.users[u.Username]; old != nil && old.entry.Equal(&u) {
				s.users[u.Username] = old
				continue
			}
		}
		vu := &v3User{entry: u, name: u.Username, minLevel: levels[u.SecurityLevel]}
		if u.AuthProtocol != "" {
			p, err := usm.ParseAuthProtocol(u.AuthProtocol)
			if err != nil {
				return nil, fmt.Errorf("auth.users[%d]: unknown auth_protocol (valid: %s)", i, usm.AuthProtocolNames)
			}
			vu.auth = p
			vu.authKu = usm.PasswordToKey(p, []byte(u.Password))
		}
		if u.PrivProtocol != "" {
			p, err := usm.ParsePrivProtocol(u.PrivProtocol)
			if err != nil {
				return nil, fmt.Errorf("auth.users[%d]: unknown priv_protocol (valid: %s)", i, usm.PrivProtocolNames)
			}
			vu.priv = p
			vu.privKu = usm.PasswordToKey(vu.auth, []byte(u.PrivPassword))
		}
		if len(u.EngineIDs) > 0 {
			vu.engineIDs = make(map[string]bool, len(u.EngineIDs))
			for j, id := range u.EngineIDs {
				b, err := config.ParseEngineID(id)
				if err != nil {
					return nil, fmt.Errorf("auth.users[%d]: engine_ids[%d] is not a valid engine ID", i, j)
				}
				vu.engineIDs[string(b)] = true
			}
		}
		s.users[u.Username] = vu
	}
	return s, nil
}

// sourceAllowed reports whether traps may come from a.
func (s *Security) sourceAllowed(a netip.Addr) bool {
	if len(s.sources) == 0 {
		return true
	}
	for _, p := range s.sources {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// communityAllowed compares c with every configured community in constant
// time (per length), so timing tells an attacker nothing about how much of
// a guess was right.
func (s *Security) communityAllowed(c []byte) bool {
	if len(s.communities) == 0 {
		return true
	}
	ok := 0
	for _, want := range s.communities {
		ok |= subtle.ConstantTimeCompare(c, want)
	}
	return ok == 1
}
