package dashboards

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// This file answers one question about a dashboard query: which labels do
// the series it returns carry? A panel keyed by device or trap must link to
// the exporter's /traps page with those labels, and a link must not ask for
// a label the series lack. It is a small reading of PromQL (selectors,
// functions, aggregations with by/without, binary operators with
// on/ignoring/group_left/group_right), enough for the bundled dashboards;
// a query it cannot read fails the test rather than passing unchecked.

// metricLabels returns the label names of each metric: those documented in
// README.md's Metrics table (the inventory labels of snmptrap_device_info
// and the open-ended build-info labels are not names and are skipped), and
// those of the collector's golden exposition. instance and job, which
// Prometheus adds, are on every metric.
func metricLabels(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(metric string, labels ...string) {
		for _, l := range labels {
			if !slices.Contains(out[metric], l) {
				out[metric] = append(out[metric], l)
			}
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ident := regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	names := regexp.MustCompile("`(snmptrap_[a-z0-9_]+)`")
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`snmptrap_") {
			continue
		}
		var labels []string
		for _, l := range strings.Split(cells[3], ",") {
			if l = strings.TrimSpace(l); ident.MatchString(l) {
				labels = append(labels, l)
			}
		}
		for _, m := range names.FindAllStringSubmatch(cells[1], -1) {
			add(m[1], append([]string{"instance", "job"}, labels...)...)
		}
	}
	golden, err := os.ReadFile(filepath.Join("..", "collector", "testdata", "exporter.prom"))
	if err != nil {
		t.Fatal(err)
	}
	sample := regexp.MustCompile(`^(snmptrap_[a-z0-9_]+)(?:\{(.*)\})? `)
	labelName := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
	for _, line := range strings.Split(string(golden), "\n") {
		m := sample.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		add(m[1], "instance", "job")
		for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
			add(m[1], l[1])
		}
	}
	return out
}

// labelSet is what a query returns: a scalar, or vectors whose series carry
// these label names.
type labelSet struct {
	scalar bool
	names  map[string]bool
}

func vectorOf(names ...string) labelSet {
	s := labelSet{names: map[string]bool{}}
	for _, n := range names {
		s.names[n] = true
	}
	return s
}

func (s labelSet) without(names ...string) labelSet {
	out := vectorOf()
	for n := range s.names {
		if !slices.Contains(names, n) {
			out.names[n] = true
		}
	}
	return out
}

func (s labelSet) union(o labelSet) labelSet {
	out := s.without()
	for n := range o.names {
		out.names[n] = true
	}
	return out
}

// outputLabels reads a PromQL expression and returns the label names of the
// series it returns. metrics gives the labels of each metric.
func outputLabels(expr string, metrics map[string][]string) (labelSet, error) {
	toks, err := lexPromQL(expr)
	if err != nil {
		return labelSet{}, err
	}
	p := &promParser{toks: toks, metrics: metrics}
	s, err := p.expr(0)
	if err != nil {
		return labelSet{}, err
	}
	if p.pos != len(p.toks) {
		return labelSet{}, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return s, nil
}

// lexPromQL splits an expression into identifiers, numbers (durations
// included), quoted strings (kept with their quotes) and operators.
func lexPromQL(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for ; j < len(s) && rune(s[j]) != c; j++ {
				if s[j] == '\\' && c != '`' {
					j++
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		case c == '_' || c == ':' || c == '.' || c == '$' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == ':' || s[j] == '.' || s[j] == '$' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			op := string(c)
			if i+1 < len(s) {
				if two := s[i : i+2]; slices.Contains([]string{"==", "!=", "<=", ">=", "=~", "!~"}, two) {
					op = two
				}
			}
			if !strings.Contains("(){}[],+-*/%^<>=!@", string(c)) {
				return nil, fmt.Errorf("unexpected %q at %d", c, i)
			}
			toks = append(toks, op)
			i += len(op)
		}
	}
	return toks, nil
}

type promParser struct {
	toks    []string
	pos     int
	metrics map[string][]string
}

func (p *promParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *promParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *promParser) expect(tok string) error {
	if got := p.next(); got != tok {
		return fmt.Errorf("want %q, got %q", tok, got)
	}
	return nil
}

// precedence of the binary operators, PromQL's order; 0: not one.
func precedence(op string) int {
	switch op {
	case "or":
		return 1
	case "and", "unless":
		return 2
	case "==", "!=", "<", ">", "<=", ">=":
		return 3
	case "+", "-":
		return 4
	case "*", "/", "%", "atan2":
		return 5
	case "^":
		return 6
	}
	return 0
}

func (p *promParser) expr(minPrec int) (labelSet, error) {
	lhs, err := p.unary()
	if err != nil {
		return lhs, err
	}
	for {
		op := p.peek()
		prec := precedence(op)
		if prec == 0 || prec < minPrec {
			return lhs, nil
		}
		p.next()
		if p.peek() == "bool" {
			p.next()
		}
		var on, ignoring, include []string
		side := ""
		switch p.peek() {
		case "on", "ignoring":
			kw := p.next()
			names, err := p.labelList()
			if err != nil {
				return lhs, err
			}
			if kw == "on" {
				on = append([]string{}, names...)
			} else {
				ignoring = names
			}
		}
		switch p.peek() {
		case "group_left", "group_right":
			side = p.next()
			if p.peek() == "(" {
				if include, err = p.labelList(); err != nil {
					return lhs, err
				}
			}
		}
		next := prec + 1
		if op == "^" {
			next = prec // right-associative
		}
		rhs, err := p.expr(next)
		if err != nil {
			return lhs, err
		}
		lhs = binary(op, lhs, rhs, on, ignoring, side, include)
	}
}

// binary gives the labels of `lhs op rhs` as Prometheus builds them: the
// vector side against a scalar; the left side's labels one-to-one (only the
// on() labels with on, without the ignoring() ones with ignoring); the
// "one" side's with group_left/right plus the labels it copies; either
// side's for `or`.
func binary(op string, lhs, rhs labelSet, on, ignoring []string, side string, include []string) labelSet {
	switch {
	case lhs.scalar && rhs.scalar:
		return labelSet{scalar: true}
	case lhs.scalar:
		return rhs
	case rhs.scalar:
		return lhs
	case op == "or":
		return lhs.union(rhs)
	case op == "and" || op == "unless":
		return lhs
	case side == "group_left":
		return lhs.union(vectorOf(include...))
	case side == "group_right":
		return rhs.union(vectorOf(include...))
	case on != nil:
		kept := vectorOf()
		for _, n := range on {
			if lhs.names[n] {
				kept.names[n] = true
			}
		}
		return kept
	default:
		return lhs.without(ignoring...)
	}
}

func (p *promParser) unary() (labelSet, error) {
	if t := p.peek(); t == "-" || t == "+" {
		p.next()
		return p.unary()
	}
	s, err := p.primary()
	if err != nil {
		return s, err
	}
	// range or subquery, offset and @ modifiers
	for {
		switch p.peek() {
		case "[":
			for p.peek() != "]" && p.peek() != "" {
				p.next()
			}
			if err := p.expect("]"); err != nil {
				return s, err
			}
		case "offset", "@":
			p.next()
			if p.peek() == "-" {
				p.next()
			}
			if p.peek() == "start" || p.peek() == "end" {
				p.next()
				if err := p.expect("("); err != nil {
					return s, err
				}
				if err := p.expect(")"); err != nil {
					return s, err
				}
			} else {
				p.next()
			}
		default:
			return s, nil
		}
	}
}

var (
	aggregations = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "quantile", "topk", "bottomk", "limitk", "limit_ratio"}
	scalarFuncs  = []string{"time", "scalar", "pi", "minute", "hour", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "month", "year"}
)

func (p *promParser) primary() (labelSet, error) {
	t := p.peek()
	switch {
	case t == "(":
		p.next()
		s, err := p.expr(0)
		if err != nil {
			return s, err
		}
		return s, p.expect(")")
	case t == "{":
		return p.selector("")
	case t == "":
		return labelSet{}, fmt.Errorf("unexpected end")
	case strings.HasPrefix(t, `"`) || strings.HasPrefix(t, "'") || strings.HasPrefix(t, "`"):
		p.next()
		return labelSet{scalar: true}, nil
	case unicode.IsDigit(rune(t[0])) || t[0] == '.' || t == "Inf" || t == "NaN":
		p.next()
		return labelSet{scalar: true}, nil
	case slices.Contains(aggregations, t):
		return p.aggregation()
	case p.pos+1 < len(p.toks) && p.toks[p.pos+1] == "(":
		return p.call()
	case unicode.IsLetter(rune(t[0])) || t[0] == '_' || t[0] == ':':
		p.next()
		return p.selector(t)
	}
	return labelSet{}, fmt.Errorf("unexpected %q", t)
}

// selector gives a metric's labels; {__name__=~"a|b"} those of every
// metric the regular expression names.
func (p *promParser) selector(name string) (labelSet, error) {
	var matchNames []string
	if name != "" {
		matchNames = []string{name}
	}
	if p.peek() == "{" {
		p.next()
		for p.peek() != "}" {
			label := p.next()
			op := p.next()
			value := p.next()
			if len(value) < 2 || !strings.Contains(`"'`+"`", value[:1]) {
				return labelSet{}, fmt.Errorf("matcher %s%s%s", label, op, value)
			}
			value = value[1 : len(value)-1]
			if label == "__name__" {
				switch op {
				case "=":
					matchNames = append(matchNames, value)
				case "=~":
					re, err := regexp.Compile("^(?:" + value + ")$")
					if err != nil {
						return labelSet{}, err
					}
					for m := range p.metrics {
						if re.MatchString(m) {
							matchNames = append(matchNames, m)
						}
					}
				}
			}
			if p.peek() == "," {
				p.next()
			}
		}
		p.next()
	}
	if len(matchNames) == 0 {
		return labelSet{}, fmt.Errorf("a selector that names no metric")
	}
	s := vectorOf()
	for _, m := range matchNames {
		labels, ok := p.metrics[m]
		if !ok {
			return labelSet{}, fmt.Errorf("labels of %s unknown: document them in README.md's Metrics table", m)
		}
		s = s.union(vectorOf(labels...))
	}
	return s, nil
}

func (p *promParser) labelList() ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	names := []string{}
	for p.peek() != ")" {
		n := p.next()
		if n == "" {
			return nil, fmt.Errorf("unterminated label list")
		}
		if n != "," {
			names = append(names, strings.Trim(n, `"`))
		}
	}
	p.next()
	return names, nil
}

func (p *promParser) args() ([]labelSet, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []labelSet
	for p.peek() != ")" {
		s, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if p.peek() == "," {
			p.next()
		} else if p.peek() != ")" {
			return nil, fmt.Errorf("unexpected %q in arguments", p.peek())
		}
	}
	p.next()
	return out, nil
}

func (p *promParser) aggregation() (labelSet, error) {
	op := p.next()
	var grouping []string
	mode := ""
	clause := func() error {
		if p.peek() == "by" || p.peek() == "without" {
			mode = p.next()
			var err error
			grouping, err = p.labelList()
			return err
		}
		return nil
	}
	if err := clause(); err != nil {
		return labelSet{}, err
	}
	firstArgToken := p.pos + 1
	args, err := p.args()
	if err != nil {
		return labelSet{}, err
	}
	if err := clause(); err != nil {
		return labelSet{}, err
	}
	if len(args) == 0 {
		return labelSet{}, fmt.Errorf("%s without arguments", op)
	}
	inner := args[len(args)-1]
	switch op {
	case "topk", "bottomk", "limitk", "limit_ratio":
		return inner, nil // these pick series, they keep their labels
	case "count_values":
		inner = inner.union(vectorOf(strings.Trim(p.toks[firstArgToken], `"'`)))
		if mode == "by" {
			grouping = append(grouping, strings.Trim(p.toks[firstArgToken], `"'`))
		}
	}
	switch mode {
	case "by":
		return vectorOf(grouping...), nil
	case "without":
		return inner.without(grouping...), nil
	}
	return vectorOf(), nil
}

func (p *promParser) call() (labelSet, error) {
	fn := p.next()
	args, err := p.args()
	if err != nil {
		return labelSet{}, err
	}
	switch {
	case slices.Contains(scalarFuncs, fn) && len(args) == 0, fn == "scalar":
		return labelSet{scalar: true}, nil
	case fn == "vector":
		return vectorOf(), nil
	case fn == "label_replace" || fn == "label_join":
		if len(args) < 2 {
			return labelSet{}, fmt.Errorf("%s: too few arguments", fn)
		}
		// the destination label is the first string after the vector
		for i := p.pos - 1; i >= 0; i-- {
			if p.toks[i] == fn {
				depth := 0
				for j := i + 1; j < p.pos; j++ {
					switch p.toks[j] {
					case "(":
						depth++
					case ")":
						depth--
					case ",":
						if depth == 1 {
							return args[0].union(vectorOf(strings.Trim(p.toks[j+1], `"'`))), nil
						}
					}
				}
			}
		}
		return args[0], nil
	case fn == "histogram_quantile":
		if len(args) == 2 {
			return args[1].without("le"), nil
		}
	}
	for _, a := range args {
		if !a.scalar {
			return a, nil
		}
	}
	return labelSet{scalar: true}, nil
}

func TestOutputLabels(t *testing.T) {
	metrics := map[string][]string{
		"traps":  {"instance", "job", "device", "trap"},
		"up":     {"instance", "job", "device", "ifIndex"},
		"info":   {"instance", "job", "device", "ifIndex", "ifName"},
		"device": {"instance", "job", "device", "site"},
		"stamp":  {"instance", "job"},
	}
	for expr, want := range map[string]string{
		`sum(rate(traps{instance=~"$instance"}[5m]))`:                            "",
		`sum by (trap) (rate(traps[5m]))`:                                        "trap",
		`sum(rate(traps[5m])) by (device, trap)`:                                 "device trap",
		`topk(10, sum by (device) (rate(traps[5m])))`:                            "device",
		`count(count by (device) (increase(traps[1h]) > 0))`:                     "",
		`max by (device, trap) (traps) * 1000`:                                   "device trap",
		`count(up == 0) or vector(0)`:                                            "",
		`topk(10, changes(up[1h]) > 0)`:                                          "device ifIndex instance job",
		`(up == 0) * on(instance, device, ifIndex) group_left(ifName) info`:      "device ifIndex ifName instance job",
		`up * on(instance, device) device`:                                       "device instance",
		`up / ignoring(ifIndex) device`:                                          "device instance job",
		`time() - max by (instance) (stamp > 0)`:                                 "instance",
		`max(time() - stamp and stamp > 0)`:                                      "",
		`sum without (trap, job) (traps offset 1d)`:                              "device instance",
		`count by (device) ({__name__=~"up|stamp", device=~".+"})`:               "device",
		`max by (device) (clamp_min(traps - (traps offset 1d or traps * 0), 0))`: "device",
		`label_replace(stamp, "device", "$1", "instance", "(.*)")`:               "device instance job",
		`-sum by (device) (traps) ^ 2 ^ 3`:                                       "device",
	} {
		got, err := outputLabels(expr, metrics)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		var names []string
		for n := range got.names {
			names = append(names, n)
		}
		slices.Sort(names)
		wantNames := strings.Fields(want)
		slices.Sort(wantNames)
		if got.scalar || !slices.Equal(names, wantNames) {
			t.Errorf("%s: labels %v (scalar %v), want %v", expr, names, got.scalar, wantNames)
		}
	}
	for _, bad := range []string{`sum(unknown_metric)`, `sum(traps`, `traps{device=}`} {
		if _, err := outputLabels(bad, metrics); err == nil {
			t.Errorf("%s: read without an error", bad)
		}
	}
}
