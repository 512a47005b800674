// Package rules turns admitted traps into updates of rule-derived series:
// counters, gauges, timestamps, info series and 0/1 state series (the
// `rules:` of the configuration and the built-in rules).
//
// Compile checks the rules against the MIB table once, at load; every name
// is resolved to OID bytes then, so applying a rule to a trap looks nothing
// up by name. A trap no rule matches costs one map lookup (plus one per
// distinct length of the numeric OID prefixes the rules use) and allocates
// nothing.
package rules

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/trapmatch"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Trap is an admitted trap as the rules see it.
type Trap struct {
	// Src is the address the trap came from (for the store's per-source
	// limit on new series).
	Src netip.Addr
	// Device is the device label.
	Device string
	// OID is the BER content octets of the trap's OID in its v2 form (a
	// v1 trap converted per RFC 3584).
	OID      []byte
	Varbinds []snmp.Varbind
	// At is when the trap was received; zero means now.
	At time.Time
}

// Sink receives the updates; *metrics.Store is one.
type Sink interface {
	Update(u metrics.Update) bool
}

// Set is a compiled set of rules. It is immutable and safe for concurrent
// use.
type Set struct {
	byOID      map[string][]binding // by the BER content of the trap OID
	byPrefix   map[string][]binding // numeric prefix rules, by prefix content
	prefixLens []int                // distinct lengths of byPrefix's keys, ascending
	families   []*metrics.Family
}

// binding is one rule that applies to a trap OID.
type binding struct {
	a *action
	// state is what the trap does to a state series by its type: 1 for a
	// raise trap, 0 for a clear trap.
	state float64
}

type kind int

const (
	kindCount kind = iota
	kindGauge
	kindTimestamp
	kindInfo
	kindState
)

// action is a compiled rule.
type action struct {
	order  int // position among the compiled rules: built-ins first, then rules:
	name   string
	kind   kind
	family *metrics.Family
	labels []label // one per family label, in the family's order
	// anyInfo (info) is set when the update needs at least one info label
	// present.
	anyInfo   bool
	value     []byte // gauge: the object's OID content
	scale     float64
	stateFrom *stateFrom
	// ttl is this rule's TTL for the series it updates (as
	// metrics.Family.TTL); rules sharing a metric may differ.
	ttl time.Duration
}

type label struct {
	constant string
	isConst  bool
	info     bool // an info (attribute) label
	sources  []source
}

type valueKind int

const (
	valueEnum   valueKind = iota // the enumeration label
	valueNumber                  // the number, as decimal text
	valueText                    // any type rendered as text (info labels)
)

type source struct {
	oid   []byte // the object's OID content
	index bool   // the instance index, else the value
	vk    valueKind
	enums map[int64]string
}

type stateFrom struct {
	oid          []byte
	raise, clear map[int64]bool
	// raiseOther and clearOther are "*": every value not in the other set.
	raiseOther, clearOther bool
}

// Defaults of the families.
const (
	// HelpAlarmActive is the HELP of snmptrap_alarm_active.
	HelpAlarmActive = "Alarms raised and cleared by traps, by rule: 1 while raised, 0 once cleared."
	// maxTextLabel bounds a text (info) label value, in bytes.
	maxTextLabel = 256
)

// Families returns the families of the set's rules, built-ins included,
// for (*metrics.Store).SetFamilies. They are the pointers Apply passes to
// the sink, the same on every call: the store accepts updates only for the
// families it was given, so give it these before applying the set.
func (s *Set) Families() []*metrics.Family {
	if s == nil {
		return nil
	}
	return slices.Clone(s.families)
}

// Apply applies every rule that matches t, in order (built-ins first, then
// `rules:` in the order written), and sends their updates to sink. A nil
// set applies nothing.
func (s *Set) Apply(t *Trap, sink Sink) {
	if s == nil {
		return
	}
	bs, ok := s.byOID[string(t.OID)]
	if !ok {
		if len(s.prefixLens) == 0 {
			return
		}
		bs = s.matchPrefix(t.OID)
	}
	for i := range bs {
		bs[i].a.apply(t, bs[i].state, sink)
	}
}

// matchPrefix finds the prefix rules for a trap OID that byOID lacks (one
// the MIB table does not know: known ones are in byOID already).
func (s *Set) matchPrefix(oid []byte) []binding {
	var out []binding
	hits := 0
	for _, n := range s.prefixLens {
		if n > len(oid) {
			break
		}
		// A prefix ends a subidentifier; so must the trap OID there.
		if oid[n-1]&0x80 != 0 {
			continue
		}
		if bs, ok := s.byPrefix[string(oid[:n])]; ok {
			hits++
			if hits == 1 {
				out = bs
				continue
			}
			if hits == 2 {
				out = slices.Clone(out)
			}
			out = append(out, bs...)
		}
	}
	if hits > 1 {
		out = sortBindings(out)
	}
	return out
}

// sortBindings puts bindings in rule order, one per rule.
func sortBindings(bs []binding) []binding {
	slices.SortStableFunc(bs, func(x, y binding) int { return x.a.order - y.a.order })
	return slices.CompactFunc(bs, func(x, y binding) bool { return x.a == y.a })
}

func (a *action) apply(t *Trap, st float64, sink Sink) {
	op := metrics.OpSet
	var v float64
	switch a.kind {
	case kindCount:
		op, v = metrics.OpAdd, 1
	case kindGauge:
		vb, ok := find(t.Varbinds, a.value)
		if !ok {
			return
		}
		n, ok := number(vb)
		if !ok {
			return
		}
		v = n * a.scale
	case kindTimestamp:
		at := t.At
		if at.IsZero() {
			at = time.Now()
		}
		v = float64(at.UnixNano()) / 1e9
	case kindInfo:
		v = 1
	case kindState:
		v = st
		if sf := a.stateFrom; sf != nil {
			if vb, ok := find(t.Varbinds, sf.oid); ok {
				n, ok := vb.Int64()
				switch {
				case !ok:
					// not a number: the trap type decides
				case sf.raise[n] || (sf.raiseOther && !sf.clear[n]):
					v = 1
				case sf.clear[n] || (sf.clearOther && !sf.raise[n]):
					v = 0
				default:
					return // a value that neither raises nor clears
				}
			}
		}
	}
	values := make([]string, len(a.labels))
	present := false
	for i := range a.labels {
		l := &a.labels[i]
		var ok bool
		values[i], ok = l.value(t.Varbinds)
		if l.info && ok {
			present = true
		}
	}
	if a.anyInfo && !present {
		return
	}
	sink.Update(metrics.Update{Family: a.family, Op: op, Src: t.Src, Device: t.Device, Values: values, Value: v, At: t.At, TTL: a.ttl})
}

// find returns the first varbind whose name is oid or an instance of it.
func find(vbs []snmp.Varbind, oid []byte) (snmp.Varbind, bool) {
	for _, vb := range vbs {
		if bytes.HasPrefix(vb.OID, oid) {
			return vb, true
		}
	}
	return snmp.Varbind{}, false
}

// number returns a numeric varbind's value.
func number(vb snmp.Varbind) (float64, bool) {
	if n, ok := vb.Int64(); ok {
		return float64(n), true
	}
	if u, ok := vb.Uint64(); ok {
		return float64(u), true
	}
	return 0, false
}

// value returns the label's value from the varbinds and whether a varbind
// gave it (false: the label is empty).
func (l *label) value(vbs []snmp.Varbind) (string, bool) {
	if l.isConst {
		return l.constant, true
	}
	for _, s := range l.sources {
		for _, vb := range vbs {
			if !bytes.HasPrefix(vb.OID, s.oid) {
				continue
			}
			if v, ok := s.value(vb); ok {
				return v, true
			}
		}
	}
	return "", false
}

func (s *source) value(vb snmp.Varbind) (string, bool) {
	if s.index {
		return indexText(vb.OID[len(s.oid):])
	}
	switch s.vk {
	case valueEnum:
		n, ok := vb.Int64()
		if !ok {
			return "", false
		}
		if name, ok := s.enums[n]; ok {
			return name, true
		}
		return strconv.FormatInt(n, 10), true
	case valueNumber:
		return decimal(vb)
	}
	return text(vb)
}

// decimal renders a numeric varbind's value in decimal.
func decimal(vb snmp.Varbind) (string, bool) {
	if n, ok := vb.Int64(); ok {
		return strconv.FormatInt(n, 10), true
	}
	if u, ok := vb.Uint64(); ok {
		return strconv.FormatUint(u, 10), true
	}
	return "", false
}

// text renders a varbind's value for an info label: octet strings as text
// (trailing NULs dropped, invalid UTF-8 replaced, at most maxTextLabel
// bytes), addresses and OIDs dotted, numbers in decimal, enumerations by
// name when the source has them.
func text(vb snmp.Varbind) (string, bool) {
	switch vb.Type {
	case snmp.TagOctetString:
		b := bytes.TrimRight(vb.Value, "\x00")
		if len(b) > maxTextLabel {
			b = b[:maxTextLabel]
			for len(b) > 0 && !utf8.Valid(b) && len(b) > maxTextLabel-utf8.UTFMax {
				b = b[:len(b)-1]
			}
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), true
	case snmp.TagIPAddress:
		if a, ok := netip.AddrFromSlice(vb.Value); ok && a.Is4() {
			return a.String(), true
		}
		return "", false
	case snmp.TagObjectIdentifier:
		b, err := snmp.AppendOID(nil, vb.Value)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return decimal(vb)
}

// Compile checks the rules (of `rules:`) and the built-in rules that
// builtins leaves on against the MIB table (nil: the built-in table) and
// compiles them. Errors name the rule as `line 12: rules[1] (bgp-peer)`.
// Compile again whenever the rules or the table change (a reload, new MIB
// directories): the set holds OIDs and enumerations of the table it was
// compiled with.
func Compile(rules []config.Rule, builtins config.BuiltinRules, table *mib.Table) (*Set, error) {
	if table == nil {
		table = mib.Builtin()
	}
	c := &compiler{
		table:    table,
		names:    table.ByName(),
		families: map[string]*familyDef{},
		set: &Set{
			byOID:    map[string][]binding{},
			byPrefix: map[string][]binding{},
		},
	}
	for _, r := range Builtin(builtins) {
		if err := c.rule(&r, -1); err != nil {
			return nil, fmt.Errorf("%w (turn it off in builtin_rules if your MIBs redefine its objects)", err)
		}
	}
	names := map[string]int{}
	for i := range rules {
		r := &rules[i]
		if j, dup := names[r.Name]; dup && r.Name != "" {
			return nil, r.Errorf(i, "name", "name already used by rules[%d]", j)
		}
		names[r.Name] = i
		if err := c.rule(r, i); err != nil {
			return nil, err
		}
	}
	for k, bs := range c.set.byOID {
		c.set.byOID[k] = sortBindings(bs)
	}
	for k, bs := range c.set.byPrefix {
		c.set.byPrefix[k] = sortBindings(bs)
		c.set.prefixLens = append(c.set.prefixLens, len(k))
	}
	slices.Sort(c.set.prefixLens)
	c.set.prefixLens = slices.Compact(c.set.prefixLens)
	return c.set, nil
}

type compiler struct {
	table    *mib.Table
	names    *mib.ByName
	families map[string]*familyDef
	set      *Set
	order    int
	known    [][]byte // known trap OIDs (BER), for prefix rules; built on first use
}

type familyDef struct {
	f     *metrics.Family
	where string // the first rule that defined it
}

func (c *compiler) rule(r *config.Rule, i int) error {
	if err := r.Validate(i); err != nil {
		return err
	}
	act := r.ActionOrDefault()
	metric := r.MetricOrDefault()
	if act == config.ActionCount && metric == "" {
		return nil // counted in snmptrap_traps_received_total already
	}
	a := &action{order: c.order, name: r.Name, scale: 1}
	c.order++
	switch act {
	case config.ActionCount:
		a.kind = kindCount
	case config.ActionGauge:
		a.kind = kindGauge
	case config.ActionTimestamp:
		a.kind = kindTimestamp
	case config.ActionInfo:
		a.kind = kindInfo
	case config.ActionState:
		a.kind = kindState
	}

	f := &metrics.Family{Name: metric, Help: r.Help}
	if act == config.ActionCount {
		f.Type = metrics.Counter
	}
	switch act {
	case config.ActionCount, config.ActionGauge, config.ActionTimestamp:
		f.TTL = metrics.TTLSeries
	}
	if r.TTL != nil {
		f.TTL = time.Duration(*r.TTL)
	}
	a.ttl = f.TTL // the family keeps the first rule's, as a default

	// Labels: key labels sorted by name, then attributes.
	if act == config.ActionState && r.Metric == "" {
		alarm := r.Alarm
		if alarm == "" {
			alarm = r.Name
		}
		f.Labels = []string{"alarm", "resource", "severity"}
		f.KeyLabels = 2
		f.Help = HelpAlarmActive
		a.labels = append(a.labels, label{constant: alarm, isConst: true})
		res := label{constant: "", isConst: true}
		if src, ok := r.Labels["resource"]; ok {
			l, err := c.label(r, i, "labels.resource", "resource", src, false)
			if err != nil {
				return err
			}
			res = l
		}
		a.labels = append(a.labels, res, label{constant: r.Severity, isConst: true})
	} else {
		for _, name := range r.LabelNames() {
			l, err := c.label(r, i, "labels."+name, name, r.Labels[name], false)
			if err != nil {
				return err
			}
			f.Labels = append(f.Labels, name)
			a.labels = append(a.labels, l)
		}
		f.KeyLabels = len(f.Labels)
		for _, name := range r.InfoLabelNames() {
			l, err := c.label(r, i, "info_labels."+name, name, r.InfoLabels[name], true)
			if err != nil {
				return err
			}
			f.Labels = append(f.Labels, name)
			a.labels = append(a.labels, l)
			a.anyInfo = true
		}
		if act == config.ActionState && r.Severity != "" {
			f.Labels = append(f.Labels, "severity")
			a.labels = append(a.labels, label{constant: r.Severity, isConst: true})
		}
	}
	if f.Help == "" {
		f.Help = defaultHelp(r, act)
	}
	if err := f.Validate(); err != nil {
		return r.Errorf(i, "metric", "%v", err)
	}
	fam, err := c.family(r, i, f)
	if err != nil {
		return err
	}
	a.family = fam

	if act == config.ActionGauge {
		o, oid, err := c.object(r, i, "value", r.Value)
		if err != nil {
			return err
		}
		if !numeric(o) {
			return r.Errorf(i, "value", "value %s is %s: a gauge needs a number", qname(o), describe(o))
		}
		a.value = oid
		if r.Scale != 0 {
			a.scale = r.Scale
		}
	}
	if sf := r.StateFrom; sf != nil {
		s, err := c.stateFrom(r, i, sf)
		if err != nil {
			return err
		}
		a.stateFrom = s
	}

	// Traps.
	if act == config.ActionState {
		raise, err := c.traps(r, i, "raise", r.Raise)
		if err != nil {
			return err
		}
		clear, err := c.traps(r, i, "clear", r.Clear)
		if err != nil {
			return err
		}
		for k := range clear.exact {
			if _, both := raise.exact[k]; both {
				return r.Errorf(i, "clear", "trap %s is both a raise and a clear trap", c.trapName(k))
			}
		}
		for k := range clear.prefix {
			for q := range raise.prefix {
				if strings.HasPrefix(k, q) || strings.HasPrefix(q, k) {
					return r.Errorf(i, "clear", "OID prefixes %s (raise) and %s (clear) overlap: a trap under both would both raise and clear", c.trapName(q), c.trapName(k))
				}
			}
		}
		c.bind(a, raise, 1)
		c.bind(a, clear, 0)
		return nil
	}
	m, err := c.traps(r, i, "traps", r.Traps)
	if err != nil {
		return err
	}
	c.bind(a, m, 0)
	return nil
}

func defaultHelp(r *config.Rule, act string) string {
	switch act {
	case config.ActionCount:
		return fmt.Sprintf("Traps counted by rule %s.", r.Name)
	case config.ActionGauge:
		return fmt.Sprintf("Value of %s from the last trap, by rule %s.", r.Value, r.Name)
	case config.ActionTimestamp:
		return fmt.Sprintf("When a trap of rule %s was last received (Unix seconds).", r.Name)
	case config.ActionInfo:
		return fmt.Sprintf("Attributes reported by traps, by rule %s; always 1.", r.Name)
	}
	return fmt.Sprintf("State raised and cleared by traps, by rule %s: 1 raised, 0 cleared.", r.Name)
}

// family returns the family of f's name, defined by f or by an earlier
// rule with the same shape.
func (c *compiler) family(r *config.Rule, i int, f *metrics.Family) (*metrics.Family, error) {
	def, ok := c.families[f.Name]
	if !ok {
		c.families[f.Name] = &familyDef{f: f, where: r.Where(i, "")}
		c.set.families = append(c.set.families, f)
		return f, nil
	}
	g := def.f
	switch {
	case g.Type != f.Type:
		return nil, r.Errorf(i, "metric", "metric %s is a %s here but a %s in %s", f.Name, typeName(f.Type), typeName(g.Type), def.where)
	case !slices.Equal(g.Labels, f.Labels) || g.KeyLabels != f.KeyLabels:
		return nil, r.Errorf(i, "metric", "metric %s has the labels %s here but %s in %s; rules that share a metric need the same labels", f.Name, labelList(f), labelList(g), def.where)
	}
	return g, nil
}

func typeName(t metrics.FamilyType) string {
	if t == metrics.Counter {
		return "counter"
	}
	return "gauge"
}

func labelList(f *metrics.Family) string {
	l := "{" + strings.Join(append([]string{"device"}, f.Labels[:f.KeyLabels]...), ",")
	if f.KeyLabels < len(f.Labels) {
		l += "; " + strings.Join(f.Labels[f.KeyLabels:], ",")
	}
	return l + "}"
}

// object resolves an object name to an object with instances and its OID
// content.
func (c *compiler) object(r *config.Rule, i int, field, name string) (*mib.Object, []byte, error) {
	o, err := c.names.Object(name)
	if err != nil {
		return nil, nil, r.Errorf(i, field, "%v", err)
	}
	if !o.HasInstances() {
		return nil, nil, r.Errorf(i, field, "%s is a %s, not an object a varbind can carry", qname(o), o.Kind)
	}
	oid, err := snmp.ParseOID(o.OID)
	if err != nil {
		return nil, nil, r.Errorf(i, field, "%s: %v", qname(o), err)
	}
	return o, oid, nil
}

func qname(o *mib.Object) string { return o.Module + "::" + o.Name }

// label compiles a label source. Key labels (info false) must take
// bounded values: an index, an enumeration, an InterfaceIndex.
func (c *compiler) label(r *config.Rule, i int, field, name string, src config.LabelSource, info bool) (label, error) {
	l := label{info: info}
	for _, n := range src.ValueOf {
		o, oid, err := c.object(r, i, field, n)
		if err != nil {
			return l, err
		}
		s := source{oid: oid}
		switch {
		case len(o.Enums) > 0 && o.Syntax == mib.SyntaxInteger:
			s.vk, s.enums = valueEnum, o.Enums
		case o.Syntax == mib.SyntaxInteger && (o.TC == "InterfaceIndex" || o.TC == "InterfaceIndexOrZero"):
			// the number of a row of ifTable: as bounded as an index
			s.vk = valueNumber
		case info:
			s.vk = valueText
		default:
			return l, r.Errorf(i, field, "label %q takes the value of %s, %s: unbounded; use index_of %s to label by its instance index, or an enumerated object", name, qname(o), describe(o), qname(o))
		}
		l.sources = append(l.sources, s)
	}
	for _, n := range src.IndexOf {
		o, oid, err := c.object(r, i, field, n)
		if err != nil {
			return l, err
		}
		if o.Kind != mib.KindColumn {
			return l, r.Errorf(i, field, "label %q: index_of %s: a scalar's index is always 0; index_of needs a table column", name, qname(o))
		}
		l.sources = append(l.sources, source{oid: oid, index: true})
	}
	return l, nil
}

// numeric reports whether an object's varbinds carry numbers.
func numeric(o *mib.Object) bool {
	switch o.Syntax {
	case mib.SyntaxInteger, mib.SyntaxCounter32, mib.SyntaxGauge32, mib.SyntaxTimeTicks, mib.SyntaxCounter64, mib.SyntaxUnsigned32:
		return true
	}
	return false
}

// describe names an object's type for a message: "an IpAddress".
func describe(o *mib.Object) string {
	switch {
	case o.Syntax == mib.SyntaxInteger && len(o.Enums) == 0:
		return "an INTEGER without enumeration"
	case o.Syntax == mib.SyntaxDisplayString, o.TC == "DisplayString", o.TC == "SnmpAdminString":
		return "a DisplayString (free text)"
	case o.Syntax == mib.SyntaxOctetString && o.TC != "":
		return "an OCTET STRING (" + o.TC + ")"
	case o.Syntax == mib.SyntaxOctetString:
		return "an OCTET STRING"
	case o.Syntax == mib.SyntaxIPAddress:
		return "an IpAddress"
	case o.Syntax == mib.SyntaxOID:
		return "an OBJECT IDENTIFIER"
	case o.Syntax == mib.SyntaxOther:
		return "of unknown type"
	}
	return "a " + string(o.Syntax)
}

func (c *compiler) stateFrom(r *config.Rule, i int, sf *config.StateFrom) (*stateFrom, error) {
	o, oid, err := c.object(r, i, "state_from.object", sf.Object)
	if err != nil {
		return nil, err
	}
	if len(o.Enums) == 0 || o.Syntax != mib.SyntaxInteger {
		return nil, r.Errorf(i, "state_from.object", "state_from: %s is %s; state_from needs an enumerated INTEGER", qname(o), describe(o))
	}
	byName := map[string]int64{}
	for n, name := range o.Enums {
		byName[name] = n
	}
	s := &stateFrom{oid: oid, raise: map[int64]bool{}, clear: map[int64]bool{}}
	for _, l := range []struct {
		field string
		names []string
		set   map[int64]bool
		other *bool
	}{{"state_from.raise", sf.Raise, s.raise, &s.raiseOther}, {"state_from.clear", sf.Clear, s.clear, &s.clearOther}} {
		for j, name := range l.names {
			if name == "*" {
				*l.other = true
				continue
			}
			n, ok := byName[name]
			if !ok {
				return nil, r.Errorf(i, fmt.Sprintf("%s[%d]", l.field, j), "state_from: %q is not a value of %s (%s)", name, qname(o), enumList(o.Enums))
			}
			l.set[n] = true
		}
	}
	return s, nil
}

func enumList(e map[int64]string) string {
	keys := make([]int64, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s(%d)", e[k], k)
	}
	return strings.Join(parts, ", ")
}

// matches are the trap OIDs (BER content, as map keys) a list of patterns
// matches: exact OIDs and numeric prefixes.
type matches struct {
	exact  map[string]bool
	prefix map[string]bool
}

func (c *compiler) traps(r *config.Rule, i int, field string, patterns []string) (matches, error) {
	m := matches{exact: map[string]bool{}, prefix: map[string]bool{}}
	for j, p := range patterns {
		if err := trapmatch.Resolve(c.names, c.knownTraps, p, m.exact, m.prefix); err != nil {
			return m, r.Errorf(i, fmt.Sprintf("%s[%d]", field, j), "%v", err)
		}
	}
	return m, nil
}

func (c *compiler) knownTraps() [][]byte {
	if c.known == nil {
		c.known = [][]byte{}
		for _, o := range c.names.KnownTrapOIDs() {
			if b, err := snmp.ParseOID(o); err == nil {
				c.known = append(c.known, b)
			}
		}
	}
	return c.known
}

func (c *compiler) bind(a *action, m matches, state float64) {
	for k := range m.exact {
		c.set.byOID[k] = append(c.set.byOID[k], binding{a: a, state: state})
	}
	for k := range m.prefix {
		c.set.byPrefix[k] = append(c.set.byPrefix[k], binding{a: a, state: state})
	}
}

// trapName names a trap OID (BER content) for a message.
func (c *compiler) trapName(k string) string {
	d, err := snmp.AppendOID(nil, []byte(k))
	if err != nil {
		return fmt.Sprintf("%x", k)
	}
	if name, ok := c.table.NotificationName(d); ok {
		return name
	}
	return string(d)
}
