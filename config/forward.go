package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Forwarding modes.
const (
	// ForwardRaw sends the bytes of the message as received.
	ForwardRaw = "raw"
	// ForwardV2c sends an SNMPv2-Trap re-encoded from the admitted trap,
	// with snmpTrapAddress.0 naming its device's address.
	ForwardV2c = "v2c"
	// ForwardInform sends the same as an SNMPv2c InformRequest and
	// retries until it is acknowledged.
	ForwardInform = "inform"
)

// MaxForwardDestinations bounds `forward:`: each destination is a queue
// and a goroutine, and a label value.
const MaxForwardDestinations = 32

// Forward is one entry of `forward:`: where admitted traps are passed on.
type Forward struct {
	// Address is udp://host:port or tcp://host:port.
	Address string `yaml:"address"`
	// Mode is raw (the default), v2c or inform.
	Mode string `yaml:"mode,omitempty"`
	// Community is the v2c community of the v2c and inform modes.
	Community Secret `yaml:"community,omitempty"`
	// Traps and Devices filter what is forwarded; empty: everything.
	// Traps are written as in rules: "MODULE::name", "MODULE::*" or a
	// numeric OID prefix. Devices are device names (as in devices:) or
	// addresses and prefixes.
	Traps   []string `yaml:"traps,omitempty"`
	Devices []string `yaml:"devices,omitempty"`
}

// ForwardAddress is a parsed Forward.Address.
type ForwardAddress struct {
	Network string // "udp" or "tcp"
	Host    string // an address or a host name, resolved when the sender starts
	Port    int
}

// String returns the address as written in the configuration's form.
func (a ForwardAddress) String() string {
	return a.Network + "://" + net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

// ParseForwardAddress reads udp://host:port or tcp://host:port.
func ParseForwardAddress(s string) (ForwardAddress, error) {
	network, hostport, ok := strings.Cut(s, "://")
	if !ok || (network != "udp" && network != "tcp") {
		return ForwardAddress{}, fmt.Errorf("address %q: want udp://host:port or tcp://host:port", s)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" {
		return ForwardAddress{}, fmt.Errorf("address %q: want udp://host:port or tcp://host:port", s)
	}
	if strings.ContainsAny(host, "@/?#") {
		return ForwardAddress{}, fmt.Errorf("address %q: a host name or address only (no user, path or query)", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return ForwardAddress{}, fmt.Errorf("address %q: port must be 1 to 65535", s)
	}
	return ForwardAddress{Network: network, Host: host, Port: p}, nil
}

// ForwardDevice is a parsed entry of Forward.Devices: a prefix or a name.
type ForwardDevice struct {
	Prefix netip.Prefix // valid for an address or prefix
	Name   string       // otherwise
}

// ParseForwardDevice reads an address, a prefix or a device name.
func ParseForwardDevice(s string) (ForwardDevice, error) {
	if strings.TrimSpace(s) != s || s == "" {
		return ForwardDevice{}, fmt.Errorf("device %q: empty or with leading or trailing spaces", s)
	}
	if p, problem := parseSource(s); problem == "" {
		return ForwardDevice{Prefix: p}, nil
	}
	if _, err := netip.ParseAddr(s); err == nil || strings.Contains(s, "/") {
		return ForwardDevice{}, fmt.Errorf("device %q: not a valid address or prefix", s)
	}
	return ForwardDevice{Name: s}, nil
}

func (c *Config) validateForward() error {
	if len(c.Forward) > MaxForwardDestinations {
		return fmt.Errorf("forward: %d destinations, at most %d", len(c.Forward), MaxForwardDestinations)
	}
	seen := map[string]int{}
	for i := range c.Forward {
		f := &c.Forward[i]
		where := fmt.Sprintf("forward[%d]", i)
		if f.Address == "" {
			return fmt.Errorf("%s: address is missing", where)
		}
		a, err := ParseForwardAddress(f.Address)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		where = fmt.Sprintf("%s (%s)", where, a)
		if j, dup := seen[a.String()]; dup {
			return fmt.Errorf("%s: address already given in forward[%d]", where, j)
		}
		seen[a.String()] = i
		switch f.Mode {
		case "", ForwardRaw:
			if f.Community != "" {
				return fmt.Errorf("%s: community is for the v2c and inform modes; raw sends the message as received", where)
			}
		case ForwardV2c, ForwardInform:
			if f.Community == "" {
				return fmt.Errorf("%s: mode %s needs a community", where, f.Mode)
			}
		default:
			return fmt.Errorf("%s: unknown mode %q (want raw, v2c or inform)", where, f.Mode)
		}
		for j, t := range f.Traps {
			if _, err := ParseTrapPattern(t); err != nil {
				return fmt.Errorf("%s: traps[%d]: %w", where, j, err)
			}
		}
		for j, d := range f.Devices {
			if _, err := ParseForwardDevice(d); err != nil {
				return fmt.Errorf("%s: devices[%d]: %w", where, j, err)
			}
		}
	}
	return nil
}

// ForwardMode returns the entry's mode, raw when unset.
func (f *Forward) ForwardMode() string {
	if f.Mode == "" {
		return ForwardRaw
	}
	return f.Mode
}
