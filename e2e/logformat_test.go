package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logfmt/logfmt"
)

// leadingKeys are the keys every log line begins with, in this order, in
// both formats and whichever library (go-kit or exporter-toolkit's slog)
// wrote the line.
var leadingKeys = []string{"ts", "caller", "level", "msg"}

// TestLogFormat: with --log.format=logfmt and json, every line of the log,
// the exporter's own and exporter-toolkit's, parses as that format and
// begins with ts, caller, level, msg, in that order.
func TestLogFormat(t *testing.T) {
	need(t)
	for _, format := range []string{"logfmt", "json"} {
		t.Run(format, func(t *testing.T) {
			pu, pt := freePort(t), freePort(t)
			// launch adds --log.level=debug.
			e := start(t, "--log.format="+format,
				fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", pu),
				fmt.Sprintf("--trap.listen-address=tcp://127.0.0.1:%d", pt))
			to := fmt.Sprintf("udp:127.0.0.1:%d", pu)
			run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "2")
			run(t, "snmptrap", "-v", "1", "-c", "public", to, "1.3.6.1.4.1.45.1.6.2.4", "127.0.0.1", "6", "4", "")
			// A bad packet over each transport: over TCP the line comes from
			// a logger with context (listener, source) bound before msg.
			sendUDP(t, fmt.Sprintf("127.0.0.1:%d", pu), []byte("GET / HTTP/1.0\r\n\r\n"))
			sendTCP(t, fmt.Sprintf("127.0.0.1:%d", pt), []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"))
			e.waitMetric(t, map[string]float64{
				`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`:                                    1,
				`snmptrap_traps_received_total{device="127.0.0.1",trap="S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"}`:               1,
				fmt.Sprintf(`snmptrap_packets_total{listener="udp://127.0.0.1:%d",result="not_snmp",version="unknown"}`, pu):   1,
				fmt.Sprintf(`snmptrap_tcp_connections_closed_total{listener="tcp://127.0.0.1:%d",reason="framing_error"}`, pt): 1,
			})
			e.stop()

			parse := parseLogfmt
			if format == "json" {
				parse = parseJSON
			}
			msgs := map[string]bool{}
			levels := map[string]bool{}
			lines := strings.Split(strings.TrimSuffix(e.stderr.String(), "\n"), "\n")
			for _, line := range lines {
				keys, vals, err := parse(line)
				if err != nil {
					t.Errorf("not %s: %v: %s", format, err, line)
					continue
				}
				if len(keys) < len(leadingKeys) || !slices.Equal(keys[:len(leadingKeys)], leadingKeys) {
					t.Errorf("keys %q, want %q first: %s", keys, leadingKeys, line)
					continue
				}
				if _, err := time.Parse(time.RFC3339Nano, vals[0]); err != nil || !strings.HasSuffix(vals[0], "Z") {
					t.Errorf("ts %q is not RFC 3339 UTC: %s", vals[0], line)
				}
				if !regexp.MustCompile(`^[\w.-]+\.go:\d+$`).MatchString(vals[1]) || strings.HasPrefix(vals[1], "logging") {
					t.Errorf("caller %q is not the call site's file:line: %s", vals[1], line)
				}
				if !slices.Contains([]string{"debug", "info", "warn", "error"}, vals[2]) {
					t.Errorf("level %q: %s", vals[2], line)
				}
				levels[vals[2]] = true
				msgs[vals[3]] = true
			}
			// The lines checked include exporter-toolkit's, the exporter's
			// own and debug lines from the traps and the bad packets.
			for _, m := range []string{"Listening on", "TLS is disabled.", "starting snmptrap_exporter", "trap received", "message rejected", "closing TCP connection", "shutting down"} {
				if !msgs[m] {
					t.Errorf("no line with msg %q", m)
				}
			}
			if !levels["debug"] || !levels["info"] {
				t.Errorf("levels seen %v, want debug and info", levels)
			}
			t.Logf("%d lines checked; the first and the last:\n%s\n%s", len(lines), lines[0], lines[len(lines)-1])
		})
	}
}

// parseLogfmt returns a logfmt line's keys and values in order, or an
// error if it is not exactly one logfmt record.
func parseLogfmt(line string) (keys, vals []string, err error) {
	d := logfmt.NewDecoder(strings.NewReader(line))
	if !d.ScanRecord() {
		return nil, nil, fmt.Errorf("no record")
	}
	for d.ScanKeyval() {
		keys, vals = append(keys, string(d.Key())), append(vals, string(d.Value()))
	}
	if d.Err() != nil {
		return nil, nil, d.Err()
	}
	if d.ScanRecord() {
		return nil, nil, fmt.Errorf("more than one record")
	}
	return keys, vals, d.Err()
}

// parseJSON returns a JSON object's keys in order and their values, strings
// as they are and anything else as its JSON text, or an error if the line
// is not exactly one JSON object.
func parseJSON(line string) (keys, vals []string, err error) {
	if !json.Valid([]byte(line)) {
		return nil, nil, fmt.Errorf("invalid JSON")
	}
	d := json.NewDecoder(strings.NewReader(line))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("not an object")
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, nil, err
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(bytes.TrimSpace(raw))
		}
		keys, vals = append(keys, tok.(string)), append(vals, s)
	}
	return keys, vals, nil
}
