package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRulesGood(t *testing.T) {
	c, err := Load("testdata/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 4 {
		t.Fatalf("%d rules, want 4", len(c.Rules))
	}
	if Enabled(c.BuiltinRules.SynOpticsChassis) || !Enabled(c.BuiltinRules.InterfaceUp) || !Enabled(c.BuiltinRules.DeviceRestarts) {
		t.Errorf("builtin_rules = %+v", c.BuiltinRules)
	}
	r := c.Rules[1]
	if r.Name != "bgp-peer" || r.ActionOrDefault() != ActionState || r.MetricOrDefault() != DefaultStateMetric {
		t.Errorf("rules[1] = %+v", r)
	}
	if r.TTL == nil || time.Duration(*r.TTL) != 7*24*time.Hour {
		t.Errorf("rules[1].ttl = %v, want 7d", r.TTL)
	}
	if got, want := r.Labels["resource"].IndexOf, (Objects{"BGP4-MIB::bgpPeerState"}); !reflect.DeepEqual(got, want) {
		t.Errorf("resource index_of = %q, want %q", got, want)
	}
	if got := c.Rules[0].ActionOrDefault(); got != ActionCount {
		t.Errorf("default action %q, want count", got)
	}
	// Where points at the field's line.
	if got, want := r.Where(1, "labels.resource"), "line 20: rules[1] (bgp-peer)"; got != want {
		t.Errorf("Where = %q, want %q", got, want)
	}
	if got, want := r.Where(1, "raise[0]"), "line 17: rules[1] (bgp-peer)"; got != want {
		t.Errorf("Where = %q, want %q", got, want)
	}
	if got, want := r.Where(1, "labels.resource.index_of"), "line 20: rules[1] (bgp-peer)"; got != want {
		t.Errorf("Where of a nested field = %q, want %q", got, want)
	}
	if got, want := r.Where(1, "nonexistent"), "line 15: rules[1] (bgp-peer)"; got != want {
		t.Errorf("Where of a missing field = %q, want %q", got, want)
	}
	// What /config shows reads back the same.
	b, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Parse(b)
	if err != nil {
		t.Fatalf("reparsing /config: %v\n%s", err, b)
	}
	for i := range c.Rules {
		a, b := c.Rules[i], c2.Rules[i]
		a.line, b.line, a.lines, b.lines = 0, 0, nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Errorf("rules[%d] after a round trip: %+v, want %+v", i, b, a)
		}
	}
	if !reflect.DeepEqual(c.BuiltinRules, c2.BuiltinRules) {
		t.Errorf("builtin_rules after a round trip: %+v", c2.BuiltinRules)
	}
}

func TestRulesSingleObjectOrList(t *testing.T) {
	c, err := Parse([]byte(`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: x_total
    labels:
      i: {index_of: [IF-MIB::ifOperStatus, IF-MIB::ifAdminStatus], value_of: IF-MIB::ifIndex}
`))
	if err != nil {
		t.Fatal(err)
	}
	src := c.Rules[0].Labels["i"]
	if !reflect.DeepEqual(src.IndexOf, Objects{"IF-MIB::ifOperStatus", "IF-MIB::ifAdminStatus"}) || !reflect.DeepEqual(src.ValueOf, Objects{"IF-MIB::ifIndex"}) {
		t.Errorf("label source = %+v", src)
	}
}

func TestParseTrapPattern(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want TrapPattern
		err  string
	}{
		{in: "IF-MIB::linkDown", want: TrapPattern{Name: "IF-MIB::linkDown"}},
		{in: "linkDown", want: TrapPattern{Name: "linkDown"}},
		{in: "S5-CHASSIS-TRAP-MIB::*", want: TrapPattern{Module: "S5-CHASSIS-TRAP-MIB"}},
		{in: "1.3.6.1.4.1.9.9.41", want: TrapPattern{Prefix: []byte{0x2b, 6, 1, 4, 1, 9, 9, 41}}},
		{in: ".1.3.6.1.4.1.9", want: TrapPattern{Prefix: []byte{0x2b, 6, 1, 4, 1, 9}}},
		{in: "*", err: `trap "*": a wildcard needs a module (MODULE::*)`},
		{in: "IF-MIB::", err: `trap "IF-MIB::": want MODULE::name, MODULE::* or a numeric OID`},
		{in: "IF MIB::linkDown", err: `trap "IF MIB::linkDown": bad module name "IF MIB"`},
		{in: "1.3.6.x", err: `trap "1.3.6.x": not a numeric OID: snmp: invalid OID "1.3.6.x": arc "x" is not a number below 2^32`},
		{in: "", err: "empty trap"},
	} {
		got, err := ParseTrapPattern(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseTrapPattern(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseTrapPattern(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestRulesInvalid: bad rules and the exact messages they get. (Names
// checked against the MIB table are in rules/compile_test.go.)
func TestRulesInvalid(t *testing.T) {
	for _, tc := range []struct{ yaml, err string }{
		{`
rules:
  - traps: [IF-MIB::linkDown]
`, "line 3: rules[0]: name is missing"},
		{`
rules:
  - name: "bad name"
    traps: [IF-MIB::linkDown]
`, `line 3: rules[0] (bad name): name "bad name": use letters, digits, '_', '-' and '.', at most 64`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
  - name: a
    traps: [IF-MIB::linkUp]
`, "line 5: rules[1] (a): name already used by rules[0]"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    lables: {x: {index_of: IF-MIB::ifOperStatus}}
`, `line 5: rules[0] (a): unknown field "lables" (known: name, action, traps, raise, clear, metric, help, labels, info_labels, value, scale, state_from, alarm, severity, ttl)`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: x_total
    labels:
      x: {index: IF-MIB::ifOperStatus}
`, `line 7: rules[0] (a): labels.x: unknown field "index" (known: value_of, index_of)`},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    state_from: {object: IF-MIB::ifOperStatus, raised: [down]}
`, `line 6: rules[0] (a): state_from: unknown field "raised" (known: object, raise, clear)`},
		{`
rules:
  - name: a
    action: alarm
    traps: [IF-MIB::linkDown]
`, `line 4: rules[0] (a): unknown action "alarm" (count, gauge, timestamp, info or state)`},
		{`
rules:
  - name: a
    metric: x_total
`, "line 3: rules[0] (a): traps is missing"},
		{`
rules:
  - name: a
    traps: ["IF-MIB::*x"]
`, `line 4: rules[0] (a): trap "IF-MIB::*x": want MODULE::name, MODULE::* or a numeric OID`},
		{`
rules:
  - name: a
    traps:
      - IF-MIB::linkDown
      - 1.3.6.1.4.1.99999999999
`, `line 6: rules[0] (a): trap "1.3.6.1.4.1.99999999999": not a numeric OID: snmp: invalid OID "1.3.6.1.4.1.99999999999": arc "99999999999" is not a number below 2^32`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    labels: {x: {index_of: IF-MIB::ifOperStatus}}
`, "line 5: rules[0] (a): labels need a metric: a count rule without one adds no series (snmptrap_traps_received_total counts every trap)"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: link_downs
`, "line 5: rules[0] (a): metric link_downs counts traps: its name must end in _total"},
		{`
rules:
  - name: a
    action: gauge
    traps: [IF-MIB::linkDown]
    metric: x_total
    value: IF-MIB::ifIndex
`, "line 6: rules[0] (a): metric x_total is a gauge: a name ending in _total is for counters"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: 9lives_total
`, `line 5: rules[0] (a): invalid metric name "9lives_total"`},
		{`
rules:
  - name: a
    action: gauge
    traps: [IF-MIB::linkDown]
    value: IF-MIB::ifIndex
`, "line 3: rules[0] (a): metric is missing (a gauge rule sets a series of its own)"},
		{`
rules:
  - name: a
    action: gauge
    traps: [IF-MIB::linkDown]
    metric: x
`, "line 3: rules[0] (a): a gauge rule needs value: the object whose number it takes"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: x_total
    labels:
      device: {index_of: IF-MIB::ifOperStatus}
`, `line 7: rules[0] (a): label "device" is taken by the device label`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: x_total
    labels:
      __x: {index_of: IF-MIB::ifOperStatus}
`, `line 7: rules[0] (a): invalid label name "__x"`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: x_total
    labels:
      x: {}
`, `line 7: rules[0] (a): label "x": say where its value comes from (value_of or index_of)`},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    labels:
      peer: {index_of: IF-MIB::ifOperStatus}
`, `line 7: rules[0] (a): label "peer": snmptrap_alarm_active has only the labels alarm, resource and severity; call it resource or give the rule a metric of its own`},
		{`
rules:
  - name: a
    action: state
    traps: [IF-MIB::linkDown]
`, "line 5: rules[0] (a): a state rule names its traps in raise and clear, not traps"},
		{`
rules:
  - name: a
    action: state
    clear: [IF-MIB::linkUp]
`, "line 3: rules[0] (a): a state rule needs raise: the traps that raise it"},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    clear: [IF-MIB::linkUp]
`, "line 5: rules[0] (a): raise and clear are for state rules (action: state)"},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    severity: high
`, `line 6: rules[0] (a): unknown severity "high" (critical, major, minor, warning, info)`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    severity: major
`, "line 5: rules[0] (a): severity is for state rules"},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    metric: link_down
    alarm: link
`, "line 7: rules[0] (a): alarm is the label of snmptrap_alarm_active; a rule with a metric of its own has none"},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    state_from: {raise: [down]}
`, "line 6: rules[0] (a): state_from.object is missing"},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    state_from:
      object: IF-MIB::ifOperStatus
      raise: ["*"]
      clear: ["*"]
`, `line 6: rules[0] (a): state_from: "*" may stand in raise or in clear, not both`},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    state_from:
      object: IF-MIB::ifOperStatus
      raise: [down]
      clear: [down]
`, `line 6: rules[0] (a): state_from: value "down" both raises and clears`},
		{`
rules:
  - name: a
    action: state
    raise: [IF-MIB::linkDown]
    ttl: -1h
`, `line 6: invalid duration "-1h": want e.g. 90s, 12h, 7d or 0`},
		{`
rules:
  - name: a
    action: info
    traps: [IF-MIB::linkDown]
    metric: if_info
    labels: {ifIndex: {value_of: IF-MIB::ifIndex}}
`, "line 3: rules[0] (a): an info rule needs info_labels"},
		{`
rules:
  - name: a
    action: info
    traps: [IF-MIB::linkDown]
    metric: if_info
    info_labels: {descr: {index_of: IF-MIB::ifDescr}}
`, `line 7: rules[0] (a): label "descr": info labels take values (value_of), not indexes`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    metric: x_total
    labels: {x: {value_of: "IF-MIB::if Index"}}
`, `line 6: rules[0] (a): label "x": object "IF-MIB::if Index": want MODULE::name or name`},
		{`
rules:
  - name: a
    traps: [IF-MIB::linkDown]
    ttl: soon
`, `line 5: invalid duration "soon": want e.g. 90s, 12h, 7d or 0`},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil {
			t.Errorf("no error for\n%s\nwant %s", tc.yaml, tc.err)
			continue
		}
		if err.Error() != tc.err {
			t.Errorf("error for\n%s\n got %s\nwant %s", tc.yaml, err, tc.err)
		}
	}
}

func TestBuiltinRulesUnknownKey(t *testing.T) {
	_, err := Parse([]byte("builtin_rules: {interface: false}\n"))
	if err == nil || !strings.Contains(err.Error(), "field interface not found in type config.BuiltinRules") {
		t.Errorf("error = %v", err)
	}
}

func TestCheckMetrics(t *testing.T) {
	c, err := Parse([]byte(`
rules:
  - name: fine
    traps: [IF-MIB::linkDown]
    metric: acme_link_down_total
  - name: taken
    traps: [IF-MIB::linkDown]
    metric: mine_total
`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckMetrics(func(m string) bool { return m == "mine_total" })
	if want := "line 8: rules[1] (taken): metric mine_total is one of the exporter's own metrics (or would share a family with one); choose another name"; err == nil || err.Error() != want {
		t.Errorf("CheckMetrics: %v, want %s", err, want)
	}
}
