package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Rule is one entry of `rules:`: it derives a series from the traps it
// matches. The checks here need no MIB table; the rules package checks the
// names against the table when it compiles the rules (rules.Compile).
//
//	rules:
//	  - name: bgp-peer
//	    action: state
//	    raise: [BGP4-MIB::bgpBackwardTransNotification]
//	    clear: [BGP4-MIB::bgpEstablishedNotification]
//	    labels:
//	      resource: {index_of: BGP4-MIB::bgpPeerState}
//	    severity: major
//
// Traps are written "MODULE::name", "MODULE::*" (every notification of the
// module) or as a numeric OID prefix ("1.3.6.1.4.1.9.9.41": every trap
// whose OID starts with those arcs, known to the MIB table or not).
type Rule struct {
	// Name identifies the rule in errors; for a state rule on the
	// default metric it is also the default alarm label.
	Name string `yaml:"name"`
	// Action is count (the default), gauge, timestamp, info or state.
	Action string `yaml:"action,omitempty"`
	// Traps the rule applies to (count, gauge, timestamp, info).
	Traps []string `yaml:"traps,omitempty"`
	// Raise and Clear are the traps that set a state series to 1 and to 0
	// (state).
	Raise []string `yaml:"raise,omitempty"`
	Clear []string `yaml:"clear,omitempty"`
	// Metric is the series' name. Required for gauge, timestamp and
	// info; a count rule without one adds no series (every trap is
	// counted in snmptrap_traps_received_total already); a state rule
	// defaults to snmptrap_alarm_active{alarm,resource,severity}.
	Metric string `yaml:"metric,omitempty"`
	// Help is the metric's HELP text; a default names the rule.
	Help string `yaml:"help,omitempty"`
	// Labels are the key labels of the series, each taken from a varbind
	// of the trap.
	Labels map[string]LabelSource `yaml:"labels,omitempty"`
	// InfoLabels (info) are attribute labels: free text allowed, because
	// a new value replaces the series of the same key instead of adding
	// one.
	InfoLabels map[string]LabelSource `yaml:"info_labels,omitempty"`
	// Value (gauge) is the object whose varbind's number sets the gauge.
	Value string `yaml:"value,omitempty"`
	// Scale (gauge) multiplies the value; 0 means 1.
	Scale float64 `yaml:"scale,omitempty"`
	// StateFrom (state) lets an enumerated varbind decide the state.
	StateFrom *StateFrom `yaml:"state_from,omitempty"`
	// Alarm (state, default metric) is the alarm label; default the rule name.
	Alarm string `yaml:"alarm,omitempty"`
	// Severity (state) is put on the series as the label severity.
	Severity string `yaml:"severity,omitempty"`
	// TTL removes a series not updated for this long; 0 keeps it. Unset:
	// state and info series are kept, count, gauge and timestamp series
	// follow --trap.series-ttl.
	TTL *Duration `yaml:"ttl,omitempty"`

	line  int            // of the rule's first key
	lines map[string]int // of its fields: "labels.peer", "raise[1]"
	// unknown is an unknown key found while decoding, reported by
	// Validate with the rule's index.
	unknown *unknownKey
}

type unknownKey struct {
	line int
	msg  string
}

// LabelSource says where a label's value comes from. ValueOf objects are
// tried first, then IndexOf objects, in order; the first varbind present
// gives the value. No varbind: the label is empty.
type LabelSource struct {
	// ValueOf takes the value of the object's varbind: the enumeration
	// label of an enumerated INTEGER ("down"), the number of an
	// InterfaceIndex; for info labels also text.
	ValueOf Objects `yaml:"value_of,omitempty"`
	// IndexOf takes the instance index of the object's varbind, the arcs
	// after the object's OID, as dotted text ("3", "3.1.0").
	IndexOf Objects `yaml:"index_of,omitempty"`
}

// Duration is a duration written as Prometheus writes them: "90s", "12h",
// "7d", "0" (0 keeps a series).
type Duration time.Duration

// UnmarshalYAML reads a duration and names its line when it cannot.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := model.ParseDuration(s)
	if err != nil {
		return lineError(n, "invalid duration %q: want e.g. 90s, 12h, 7d or 0", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back as it reads.
func (d Duration) MarshalYAML() (any, error) { return model.Duration(d).String(), nil }

// Objects is one object name or a list of them.
type Objects []string

// UnmarshalYAML reads a single name or a list.
func (o *Objects) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var s string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*o = Objects{s}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*o = l
	return nil
}

// StateFrom makes a state rule read an enumerated varbind: a trap that
// carries it raises when its value is in Raise, clears when it is in Clear
// and changes nothing otherwise; a trap without it is decided by whether
// it is a raise or a clear trap. "*" in one list stands for every value
// not in the other.
type StateFrom struct {
	Object string   `yaml:"object"`
	Raise  []string `yaml:"raise,omitempty"`
	Clear  []string `yaml:"clear,omitempty"`
}

// BuiltinRules turns the built-in rules off one by one; each is on unless
// set to false.
type BuiltinRules struct {
	// InterfaceUp: IF-MIB linkDown/linkUp → snmptrap_interface_up and
	// snmptrap_interface_info.
	InterfaceUp *bool `yaml:"interface_up,omitempty"`
	// DeviceRestarts: coldStart/warmStart → snmptrap_device_restarts_total
	// and snmptrap_device_last_restart_timestamp_seconds.
	DeviceRestarts *bool `yaml:"device_restarts,omitempty"`
	// SynOpticsChassis: S5-CHASSIS-TRAP-MIB unit, problem, fan and
	// temperature traps → snmptrap_alarm_active.
	SynOpticsChassis *bool `yaml:"synoptics_chassis,omitempty"`
}

// Enabled reports whether a built-in rule set is on: unset means on.
func Enabled(b *bool) bool { return b == nil || *b }

// The actions of a rule.
const (
	ActionCount     = "count"
	ActionGauge     = "gauge"
	ActionTimestamp = "timestamp"
	ActionInfo      = "info"
	ActionState     = "state"
)

// DefaultStateMetric is the metric of a state rule that names none:
// snmptrap_alarm_active{device,alarm,resource,severity}.
const DefaultStateMetric = "snmptrap_alarm_active"

// Severities are the values severity may take.
var Severities = []string{"critical", "major", "minor", "warning", "info"}

// maxRules bounds `rules:`; each rule is checked on every matching trap.
const maxRules = 1000

var ruleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// UnmarshalYAML decodes a rule strictly and notes the lines of its fields
// for error messages. (Node.Decode drops the decoder's KnownFields, so the
// keys are checked here, against the yaml tags.)
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	type plain Rule
	if err := n.Decode((*plain)(r)); err != nil {
		return err
	}
	r.line = n.Line
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		r.line = n.Content[0].Line
	}
	r.lines = fieldLines(n)
	r.unknown = strictKeys(n, reflect.TypeFor[Rule](), "")
	return nil
}

// strictKeys reports the first mapping key under n that has no field in
// the struct type t (and in the structs it holds). path names the place
// for the message.
func strictKeys(n *yaml.Node, t reflect.Type, path string) *unknownKey {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) && t != reflect.TypeFor[Rule]() {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // the decoder has reported it
		}
		fields := map[string]reflect.Type{}
		var names []string
		for j := range t.NumField() {
			f := t.Field(j)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown field %q (known: %s)", k.Value, strings.Join(names, ", "))
				if path != "" {
					msg = fmt.Sprintf("%s: unknown field %q (known: %s)", path, k.Value, strings.Join(names, ", "))
				}
				return &unknownKey{line: k.Line, msg: msg}
			}
			if err := strictKeys(v, ft, joinPath(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := strictKeys(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			if err := strictKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldLines returns the lines of a rule's fields, two levels deep:
// "metric", "raise[1]", "labels.peer", "state_from.raise[0]".
func fieldLines(n *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := joinPath(path, n.Content[i].Value)
				lines[p] = n.Content[i].Line
				if depth < 2 {
					walk(n.Content[i+1], p, depth+1)
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				lines[fmt.Sprintf("%s[%d]", path, i)] = c.Line
			}
		}
	}
	walk(n, "", 0)
	return lines
}

// Where names rule i (of `rules:`) and the line of one of its fields ("",
// "metric", "labels.peer", "raise[0]"; the rule's own line when the field
// has none) for an error message: "line 12: rules[1] (bgp-peer)". A rule
// not read from a file (a built-in) has no line.
func (r *Rule) Where(i int, field string) string {
	return r.where(i, r.fieldLine(field))
}

// fieldLine returns the line of a field, or of the nearest enclosing one
// that has a line, or of the rule.
func (r *Rule) fieldLine(field string) int {
	line := r.line
	for f := field; f != ""; {
		if l, ok := r.lines[f]; ok {
			line = l
			break
		}
		// "labels.peer.index_of" → "labels.peer"
		j := strings.LastIndexAny(f, ".[")
		if j < 0 {
			break
		}
		f = f[:j]
	}
	return line
}

func (r *Rule) where(i, line int) string {
	var b strings.Builder
	if line > 0 {
		fmt.Fprintf(&b, "line %d: ", line)
	}
	if i >= 0 {
		fmt.Fprintf(&b, "rules[%d]", i)
	} else {
		b.WriteString("built-in rule")
	}
	if r.Name != "" {
		fmt.Fprintf(&b, " (%s)", r.Name)
	}
	return b.String()
}

// Errorf returns an error about field of rule i, prefixed by Where.
func (r *Rule) Errorf(i int, field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", r.Where(i, field), fmt.Sprintf(format, args...))
}

// ActionOrDefault returns the rule's action, count when none is given.
func (r *Rule) ActionOrDefault() string {
	if r.Action == "" {
		return ActionCount
	}
	return r.Action
}

// MetricOrDefault returns the rule's metric name: for a state rule without
// one, DefaultStateMetric; for a count rule without one, "".
func (r *Rule) MetricOrDefault() string {
	if r.Metric == "" && r.ActionOrDefault() == ActionState {
		return DefaultStateMetric
	}
	return r.Metric
}

// LabelNames returns the names of the key labels, sorted.
func (r *Rule) LabelNames() []string { return sortedKeys(r.Labels) }

// InfoLabelNames returns the names of the info labels, sorted.
func (r *Rule) InfoLabelNames() []string { return sortedKeys(r.InfoLabels) }

func sortedKeys(m map[string]LabelSource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TrapPattern is a parsed trap matcher.
type TrapPattern struct {
	Module string // "MODULE::*": every notification of Module
	Name   string // "MODULE::name" or "name"
	Prefix []byte // a numeric OID prefix, BER content
}

// ParseTrapPattern reads "MODULE::name", "name", "MODULE::*" or a numeric
// OID ("1.3.6.1.4.1.9.9.41", a leading dot allowed).
func ParseTrapPattern(s string) (TrapPattern, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return TrapPattern{}, fmt.Errorf("empty trap")
	case s[0] == '.' || (s[0] >= '0' && s[0] <= '9'):
		c, err := snmp.ParseOID(s)
		if err != nil {
			return TrapPattern{}, fmt.Errorf("trap %q: not a numeric OID: %w", s, err)
		}
		return TrapPattern{Prefix: c}, nil
	}
	module, name, qualified := strings.Cut(s, "::")
	if !qualified {
		name, module = module, ""
	}
	if qualified && !validIdent(module) {
		return TrapPattern{}, fmt.Errorf("trap %q: bad module name %q", s, module)
	}
	if name == "*" {
		if !qualified {
			return TrapPattern{}, fmt.Errorf("trap %q: a wildcard needs a module (MODULE::*)", s)
		}
		return TrapPattern{Module: module}, nil
	}
	if !validIdent(name) {
		return TrapPattern{}, fmt.Errorf("trap %q: want MODULE::name, MODULE::* or a numeric OID", s)
	}
	return TrapPattern{Name: s}, nil
}

// checkObjectName checks the form of an object reference: "MODULE::name"
// or "name".
func checkObjectName(s string) error {
	module, name, qualified := strings.Cut(s, "::")
	if !qualified {
		name = module
	}
	if (qualified && !validIdent(module)) || !validIdent(name) {
		return fmt.Errorf("object %q: want MODULE::name or name", s)
	}
	return nil
}

// validIdent accepts ASN.1 identifiers and module names: letters, digits
// and hyphens, starting with a letter.
func validIdent(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

func (c *Config) validateRules() error {
	if len(c.Rules) > maxRules {
		return fmt.Errorf("rules: %d rules, at most %d", len(c.Rules), maxRules)
	}
	names := map[string]int{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if err := r.Validate(i); err != nil {
			return err
		}
		if j, dup := names[r.Name]; dup {
			return r.Errorf(i, "name", "name already used by rules[%d]", j)
		}
		names[r.Name] = i
	}
	return nil
}

// CheckMetrics refuses a rule whose metric is one of the exporter's own:
// reserved reports whether a name is taken (the caller knows the registry).
// The error names the rule's line. Such a rule would make every scrape fail.
func (c *Config) CheckMetrics(reserved func(metric string) bool) error {
	for i := range c.Rules {
		r := &c.Rules[i]
		if m := r.MetricOrDefault(); m != "" && reserved(m) {
			return r.Errorf(i, "metric", "metric %s is one of the exporter's own metrics (or would share a family with one); choose another name", m)
		}
	}
	return nil
}

// Validate checks rule i on its own, without the MIB table: the form of
// its names, the fields its action needs and allows, metric and label
// names, severity and TTL.
func (r *Rule) Validate(i int) error {
	if u := r.unknown; u != nil {
		return fmt.Errorf("%s: %s", r.where(i, u.line), u.msg)
	}
	if r.Name == "" {
		return r.Errorf(i, "", "name is missing")
	}
	if !ruleName.MatchString(r.Name) {
		return r.Errorf(i, "name", "name %q: use letters, digits, '_', '-' and '.', at most 64", r.Name)
	}
	action := r.ActionOrDefault()
	switch action {
	case ActionCount, ActionGauge, ActionTimestamp, ActionInfo, ActionState:
	default:
		return r.Errorf(i, "action", "unknown action %q (count, gauge, timestamp, info or state)", r.Action)
	}

	// Which traps.
	if action == ActionState {
		if len(r.Traps) > 0 {
			return r.Errorf(i, "traps", "a state rule names its traps in raise and clear, not traps")
		}
		if len(r.Raise) == 0 {
			return r.Errorf(i, "", "a state rule needs raise: the traps that raise it")
		}
	} else {
		if len(r.Traps) == 0 {
			return r.Errorf(i, "", "traps is missing")
		}
		if len(r.Raise) > 0 || len(r.Clear) > 0 {
			field := "raise"
			if len(r.Raise) == 0 {
				field = "clear"
			}
			return r.Errorf(i, field, "raise and clear are for state rules (action: state)")
		}
	}
	for _, l := range []struct {
		field string
		traps []string
	}{{"traps", r.Traps}, {"raise", r.Raise}, {"clear", r.Clear}} {
		for j, t := range l.traps {
			if _, err := ParseTrapPattern(t); err != nil {
				return r.Errorf(i, fmt.Sprintf("%s[%d]", l.field, j), "%v", err)
			}
		}
	}

	// The metric.
	metric := r.MetricOrDefault()
	switch {
	case metric == "" && action == ActionCount:
		if len(r.Labels) > 0 {
			return r.Errorf(i, "labels", "labels need a metric: a count rule without one adds no series (snmptrap_traps_received_total counts every trap)")
		}
	case metric == "":
		return r.Errorf(i, "", "metric is missing (a %s rule sets a series of its own)", action)
	case !model.LegacyValidation.IsValidMetricName(metric):
		return r.Errorf(i, "metric", "invalid metric name %q", metric)
	case action == ActionCount && !strings.HasSuffix(metric, "_total"):
		return r.Errorf(i, "metric", "metric %s counts traps: its name must end in _total", metric)
	case action != ActionCount && strings.HasSuffix(metric, "_total"):
		return r.Errorf(i, "metric", "metric %s is a gauge: a name ending in _total is for counters", metric)
	}

	// Labels.
	seen := map[string]string{"device": "the device label"}
	if action == ActionState {
		if r.Metric == "" {
			seen["alarm"] = "the alarm label of " + DefaultStateMetric
			for name := range r.Labels {
				if name != "resource" {
					return r.Errorf(i, "labels."+name, "label %q: %s has only the labels alarm, resource and severity; call it resource or give the rule a metric of its own", name, DefaultStateMetric)
				}
			}
		}
		if r.Severity != "" {
			seen["severity"] = "the severity label"
		}
	}
	for _, group := range []struct {
		field  string
		labels map[string]LabelSource
	}{{"labels", r.Labels}, {"info_labels", r.InfoLabels}} {
		for _, name := range sortedKeys(group.labels) {
			src := group.labels[name]
			field := group.field + "." + name
			if !model.LegacyValidation.IsValidLabelName(name) || strings.HasPrefix(name, "__") {
				return r.Errorf(i, field, "invalid label name %q", name)
			}
			if what, taken := seen[name]; taken {
				return r.Errorf(i, field, "label %q is taken by %s", name, what)
			}
			seen[name] = "another label of the rule"
			if len(src.ValueOf) == 0 && len(src.IndexOf) == 0 {
				return r.Errorf(i, field, "label %q: say where its value comes from (value_of or index_of)", name)
			}
			for _, o := range slices.Concat(src.ValueOf, src.IndexOf) {
				if err := checkObjectName(o); err != nil {
					return r.Errorf(i, field, "label %q: %v", name, err)
				}
			}
			if group.field == "info_labels" && len(src.IndexOf) > 0 {
				return r.Errorf(i, field, "label %q: info labels take values (value_of), not indexes", name)
			}
		}
	}
	if action == ActionInfo && len(r.InfoLabels) == 0 {
		return r.Errorf(i, "", "an info rule needs info_labels")
	}
	if action != ActionInfo && len(r.InfoLabels) > 0 {
		return r.Errorf(i, "info_labels", "info_labels are for info rules (action: info)")
	}

	// Action-specific fields.
	if action == ActionGauge {
		if r.Value == "" {
			return r.Errorf(i, "", "a gauge rule needs value: the object whose number it takes")
		}
		if err := checkObjectName(r.Value); err != nil {
			return r.Errorf(i, "value", "value: %v", err)
		}
	} else {
		if r.Value != "" {
			return r.Errorf(i, "value", "value is for gauge rules")
		}
		if r.Scale != 0 {
			return r.Errorf(i, "scale", "scale is for gauge rules")
		}
	}
	if action != ActionState {
		for _, f := range []struct{ name, v string }{{"alarm", r.Alarm}, {"severity", r.Severity}} {
			if f.v != "" {
				return r.Errorf(i, f.name, "%s is for state rules", f.name)
			}
		}
		if r.StateFrom != nil {
			return r.Errorf(i, "state_from", "state_from is for state rules")
		}
	}
	if action == ActionState {
		if r.Alarm != "" && r.Metric != "" {
			return r.Errorf(i, "alarm", "alarm is the label of %s; a rule with a metric of its own has none", DefaultStateMetric)
		}
		if r.Alarm != "" && (len(r.Alarm) > 128 || strings.TrimSpace(r.Alarm) != r.Alarm) {
			return r.Errorf(i, "alarm", "alarm %q: at most 128 characters, no leading or trailing spaces", r.Alarm)
		}
		if r.Severity != "" && !slices.Contains(Severities, r.Severity) {
			return r.Errorf(i, "severity", "unknown severity %q (%s)", r.Severity, strings.Join(Severities, ", "))
		}
		if sf := r.StateFrom; sf != nil {
			if sf.Object == "" {
				return r.Errorf(i, "state_from", "state_from.object is missing")
			}
			if err := checkObjectName(sf.Object); err != nil {
				return r.Errorf(i, "state_from.object", "state_from: %v", err)
			}
			if len(sf.Raise) == 0 && len(sf.Clear) == 0 {
				return r.Errorf(i, "state_from", "state_from needs raise or clear: the values that decide")
			}
			if slices.Contains(sf.Raise, "*") && slices.Contains(sf.Clear, "*") {
				return r.Errorf(i, "state_from", "state_from: \"*\" may stand in raise or in clear, not both")
			}
			for _, v := range sf.Raise {
				if slices.Contains(sf.Clear, v) {
					return r.Errorf(i, "state_from", "state_from: value %q both raises and clears", v)
				}
			}
		}
	}
	return nil
}
