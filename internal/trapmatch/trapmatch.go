// Package trapmatch resolves the trap patterns of the configuration
// ("MODULE::name", "MODULE::*", a numeric OID prefix) against the MIB
// table: for rules and for forwarding filters alike.
package trapmatch

import (
	"bytes"
	"fmt"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Resolve adds the trap OIDs (BER content, as map keys) pattern p
// matches: to exact, the OIDs of a named notification or of a module's,
// or the known trap OIDs under a numeric prefix, which goes to prefix.
func Resolve(names *mib.ByName, known func() [][]byte, p string, exact, prefix map[string]bool) error {
	tp, err := config.ParseTrapPattern(p)
	if err != nil {
		return err
	}
	var oids []string
	switch {
	case tp.Prefix != nil:
		prefix[string(tp.Prefix)] = true
		for _, k := range known() {
			if bytes.HasPrefix(k, tp.Prefix) {
				exact[string(k)] = true
			}
		}
		return nil
	case tp.Module != "":
		ns := names.ModuleNotifications(tp.Module)
		if len(ns) == 0 {
			if names.HasModule(tp.Module) {
				return fmt.Errorf("module %s defines no notifications", tp.Module)
			}
			return fmt.Errorf("no module %s in the MIB table", tp.Module)
		}
		for _, n := range ns {
			oids = append(oids, names.NotificationOIDs(n)...)
		}
	default:
		n, err := names.Notification(tp.Name)
		if err != nil {
			return err
		}
		oids = names.NotificationOIDs(n)
	}
	for _, o := range oids {
		b, err := snmp.ParseOID(o)
		if err != nil {
			return err
		}
		exact[string(b)] = true
	}
	return nil
}

// Matcher matches trap OIDs against a list of patterns. It is immutable;
// Match does not allocate.
type Matcher struct {
	exact  map[string]bool
	prefix [][]byte
}

// New resolves patterns against table (nil: the built-in names). An
// error names the pattern's index.
func New(patterns []string, table *mib.Table) (*Matcher, error) {
	if table == nil {
		table = mib.Builtin()
	}
	names := table.ByName()
	var known [][]byte
	knownOIDs := func() [][]byte {
		if known == nil {
			known = [][]byte{}
			for _, o := range names.KnownTrapOIDs() {
				if b, err := snmp.ParseOID(o); err == nil {
					known = append(known, b)
				}
			}
		}
		return known
	}
	exact, prefix := map[string]bool{}, map[string]bool{}
	for j, p := range patterns {
		if err := Resolve(names, knownOIDs, p, exact, prefix); err != nil {
			return nil, fmt.Errorf("traps[%d]: %w", j, err)
		}
	}
	m := &Matcher{exact: exact}
	for p := range prefix {
		m.prefix = append(m.prefix, []byte(p))
	}
	return m, nil
}

// Match reports whether a trap OID (BER content) matches.
func (m *Matcher) Match(oid []byte) bool {
	if m.exact[string(oid)] {
		return true
	}
	for _, p := range m.prefix {
		if bytes.HasPrefix(oid, p) {
			return true
		}
	}
	return false
}
