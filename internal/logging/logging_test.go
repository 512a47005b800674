package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/go-logfmt/logfmt"
)

var formats = []string{"logfmt", "json"}

// here is the file:line it is called from, as the caller key should give
// it for a log call on the same line.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return filepath.Base(file) + ":" + strconv.Itoa(line)
}

type kv struct{ k, v string }

// parse returns the lines of out as keys and values in order: strings as
// they are, anything else in JSON as its JSON text.
func parse(t *testing.T, format, out string) [][]kv {
	t.Helper()
	var lines [][]kv
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var l []kv
		if format == "json" {
			if !json.Valid([]byte(line)) {
				t.Fatalf("not JSON: %s", line)
			}
			d := json.NewDecoder(strings.NewReader(line))
			if tok, _ := d.Token(); tok != json.Delim('{') {
				t.Fatalf("not a JSON object: %s", line)
			}
			for d.More() {
				k, _ := d.Token()
				var raw json.RawMessage
				if err := d.Decode(&raw); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				var s string
				if json.Unmarshal(raw, &s) != nil {
					s = string(raw)
				}
				l = append(l, kv{k.(string), s})
			}
		} else {
			d := logfmt.NewDecoder(strings.NewReader(line))
			if !d.ScanRecord() {
				t.Fatalf("no logfmt record: %q", line)
			}
			for d.ScanKeyval() {
				l = append(l, kv{string(d.Key()), string(d.Value())})
			}
			if d.Err() != nil || d.ScanRecord() {
				t.Fatalf("not one logfmt record (%v): %s", d.Err(), line)
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func keys(l []kv) []string {
	var ks []string
	for _, p := range l {
		ks = append(ks, p.k)
	}
	return ks
}

func get(l []kv, k string) string {
	for _, p := range l {
		if p.k == k {
			return p.v
		}
	}
	return ""
}

// Both loggers, in both formats, write ts, caller, level, msg first, then
// the rest in order; caller is the call site, ts is RFC 3339 UTC.
func TestLeadingKeys(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			kit, sl := New("debug", format, &buf)
			level.Info(kit).Log("msg", "kit", "want_caller", here(), "a", 1)
			level.Debug(log.With(kit, "listener", "udp://x")).Log("msg", "kit with context", "want_caller", here())
			// Without a level the caller is one frame off: the go-kit
			// logger's caller counts the frame level.Info and the like add.
			kit.Log("msg", "kit without a level")
			sl.Info("slog", "want_caller", here(), "a", 1)
			sl.With("listener", "udp://x").Warn("slog with attributes", "want_caller", here())
			helper(sl)
			sl.Log(context.Background(), slog.LevelError+4, "slog above error", "want_caller", here())

			lines := parse(t, format, buf.String())
			want := [][]string{
				{"ts", "caller", "level", "msg", "want_caller", "a"},
				{"ts", "caller", "level", "msg", "listener", "want_caller"},
				{"ts", "caller", "msg"},
				{"ts", "caller", "level", "msg", "want_caller", "a"},
				{"ts", "caller", "level", "msg", "listener", "want_caller"},
				{"ts", "caller", "level", "msg", "want_caller"},
				{"ts", "caller", "level", "msg", "want_caller"},
			}
			wantLevel := []string{"info", "debug", "", "info", "warn", "info", "error"}
			if len(lines) != len(want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
			}
			for i, l := range lines {
				if !slices.Equal(keys(l), want[i]) {
					t.Errorf("line %d: keys %q, want %q", i, keys(l), want[i])
				}
				if c, w := get(l, "caller"), get(l, "want_caller"); w != "" && c != w {
					t.Errorf("line %d: caller %q, want %q", i, c, w)
				}
				ts := get(l, "ts")
				if p, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || time.Since(p) > time.Minute {
					t.Errorf("line %d: ts %q", i, ts)
				}
				if g := get(l, "level"); g != wantLevel[i] {
					t.Errorf("line %d: level %q, want %q", i, g, wantLevel[i])
				}
			}
			if g := get(lines[0], "a"); g != "1" {
				t.Errorf("a = %q", g)
			}
		})
	}
}

// helper logs through slog from a function that is a slog caller's helper,
// not the call site: slog's PC is this function's line.
func helper(sl *slog.Logger) {
	sl.Info("slog from a helper", "want_caller", here())
}

// --log.level filters both loggers alike, and slog's Enabled agrees.
func TestLevels(t *testing.T) {
	all := []string{"debug", "info", "warn", "error"}
	slogLevels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}
	kitLevels := []func(log.Logger) log.Logger{level.Debug, level.Info, level.Warn, level.Error}
	for i, lvl := range all {
		for _, format := range formats {
			var buf bytes.Buffer
			kit, sl := New(lvl, format, &buf)
			for j := range all {
				kitLevels[j](kit).Log("msg", "kit")
				sl.Log(context.Background(), slogLevels[j], "slog")
				if got, want := sl.Enabled(context.Background(), slogLevels[j]), j >= i; got != want {
					t.Errorf("--log.level=%s: Enabled(%v) = %v", lvl, slogLevels[j], got)
				}
			}
			seen := map[string][]string{}
			for _, l := range parse(t, format, buf.String()) {
				seen[get(l, "msg")] = append(seen[get(l, "msg")], get(l, "level"))
			}
			for _, who := range []string{"kit", "slog"} {
				if !slices.Equal(seen[who], all[i:]) {
					t.Errorf("--log.level=%s %s: %s wrote %q, want %q", lvl, format, who, seen[who], all[i:])
				}
			}
		}
	}
	// An unknown level is info, as the default.
	var buf bytes.Buffer
	kit, sl := New("", "logfmt", &buf)
	level.Debug(kit).Log("msg", "no")
	sl.Debug("no")
	level.Info(kit).Log("msg", "yes")
	if buf.String() == "" || strings.Contains(buf.String(), "no") {
		t.Errorf("level \"\":\n%s", buf.String())
	}
}

// The slog record's own time is ts, in UTC; slog levels between the named
// ones map to the lower.
func TestRecordTimeAndLevel(t *testing.T) {
	var buf bytes.Buffer
	_, sl := New("debug", "logfmt", &buf)
	at := time.Date(2026, 3, 1, 12, 30, 0, 123456789, time.FixedZone("X", 3600))
	for _, l := range []slog.Level{slog.LevelDebug - 4, slog.LevelInfo - 1, slog.LevelInfo + 1, slog.LevelWarn + 3, slog.LevelError + 1} {
		sl.Handler().Handle(context.Background(), slog.NewRecord(at, l, "m", 0))
	}
	lines := parse(t, "logfmt", buf.String())
	var got []string
	for _, l := range lines {
		if ts := get(l, "ts"); ts != "2026-03-01T11:30:00.123456789Z" {
			t.Errorf("ts %q", ts)
		}
		got = append(got, get(l, "level"))
	}
	if want := []string{"debug", "debug", "info", "warn", "error"}; !slices.Equal(got, want) {
		t.Errorf("levels %q, want %q", got, want)
	}
}

// WithAttrs and WithGroup: a group's name and a dot before its keys, the
// attributes from With before the record's, empty ones left out.
func TestAttrsAndGroups(t *testing.T) {
	for _, format := range formats {
		var buf bytes.Buffer
		_, sl := New("debug", format, &buf)
		l := sl.With("a", 1).WithGroup("g").With("b", "two").WithGroup("h")
		l.Info("m", "c", 3, slog.Group("grp", "d", 4, slog.Group("empty")), slog.Group("", "e", 5), slog.Attr{})
		l.WithGroup("unused").Info("only With's attributes")
		sl.WithGroup("").With().Info("nothing", "err", errors.New("boom"))
		lines := parse(t, format, buf.String())
		if len(lines) != 3 {
			t.Fatalf("%s: %d lines:\n%s", format, len(lines), buf.String())
		}
		want := []kv{{"a", "1"}, {"g.b", "two"}, {"g.h.c", "3"}, {"g.h.grp.d", "4"}, {"g.h.e", "5"}}
		if got := lines[0][4:]; !slices.Equal(got, want) {
			t.Errorf("%s: attributes %v, want %v", format, got, want)
		}
		if got := lines[1][4:]; !slices.Equal(got, want[:2]) {
			t.Errorf("%s: attributes %v, want %v", format, got, want[:2])
		}
		if got := lines[2][4:]; !slices.Equal(got, []kv{{"err", "boom"}}) {
			t.Errorf("%s: attributes %v", format, got)
		}
	}
	// With does not change the logger it was called on.
	var buf bytes.Buffer
	_, sl := New("debug", "logfmt", &buf)
	base := sl.With("a", 1)
	base.With("b", 2).Info("one")
	base.With("c", 3).Info("two")
	if got := buf.String(); !strings.Contains(got, `msg=one a=1 b=2`+"\n") || !strings.Contains(got, `msg=two a=1 c=3`+"\n") {
		t.Errorf("With:\n%s", got)
	}
}

type stringer struct{}

func (*stringer) String() string { panic("nil") }

// The JSON logger encodes values as go-kit's does, keeps a repeated key
// once, and does not lose a line to a value JSON cannot hold.
func TestJSONValues(t *testing.T) {
	var buf bytes.Buffer
	kit, _ := New("debug", "json", &buf)
	var nilStringer *stringer
	level.Info(kit).Log("msg", "m", "n", 1.5, "b", true, "err", errors.New("boom"), "d", time.Second,
		"nan", math.NaN(), "nil", nil, "s", nilStringer, "k", "first", "k", "second", "odd")
	got := strings.TrimSpace(buf.String())
	want := `,"level":"info","msg":"m","n":1.5,"b":true,"err":"boom","d":"1s","nan":"NaN","nil":null,"s":"NULL","k":"second","odd":"(MISSING)"}`
	if !strings.HasSuffix(got, want) || !json.Valid([]byte(got)) {
		t.Errorf("got  %s\nwant …%s", got, want)
	}
	// HTML is not escaped, as in go-kit's.
	buf.Reset()
	kit.Log("msg", "<a&b>")
	if !strings.Contains(buf.String(), `"msg":"<a&b>"`) {
		t.Errorf("got %s", buf.String())
	}
}

// Both loggers write whole lines to one stream from many goroutines; the
// writer given need not be safe for concurrent use (-race checks).
func TestOneStream(t *testing.T) {
	for _, format := range formats {
		var buf bytes.Buffer
		kit, sl := New("debug", format, &buf)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					if g%2 == 0 {
						level.Info(kit).Log("msg", "kit", "i", i, "pad", strings.Repeat("x", 200))
					} else {
						sl.Info("slog", "i", i, "pad", strings.Repeat("y", 200))
					}
				}
			})
		}
		wg.Wait()
		lines := parse(t, format, buf.String())
		if len(lines) != 400 {
			t.Errorf("%s: %d lines, want 400", format, len(lines))
		}
		for _, l := range lines {
			if !slices.Equal(keys(l)[:4], leadingKeys[:]) {
				t.Fatalf("%s: %v", format, l)
			}
		}
	}
}

func Example() {
	var buf bytes.Buffer
	kit, sl := New("info", "logfmt", &buf)
	level.Info(log.With(kit, "listener", "udp://0.0.0.0:162")).Log("msg", "listening for traps")
	sl.Info("Listening on", "address", "[::]:9163")
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		_, rest, _ := strings.Cut(line, " level=") // ts changes, caller with the file
		fmt.Println("ts=… caller=logging_test.go:… level=" + rest)
	}
	// Output:
	// ts=… caller=logging_test.go:… level=info msg="listening for traps" listener=udp://0.0.0.0:162
	// ts=… caller=logging_test.go:… level=info msg="Listening on" address=[::]:9163
}
