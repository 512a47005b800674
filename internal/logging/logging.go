// Package logging builds the exporter's logger: one go-kit logger that
// everything logs to, and a *slog.Logger for exporter-toolkit that goes
// through it, so that every line of the log, whoever wrote it, has the same
// keys in the same order: ts, caller, level, msg, then the rest.
package logging

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// New returns the go-kit logger everything logs to and the slog logger
// exporter-toolkit needs. Both write lines in format ("logfmt" or "json")
// to one synchronized writer over w, drop what is below lvl ("debug",
// "info", "warn" or "error"; anything else is "info"), and begin every line
// with ts (RFC 3339 UTC with nanoseconds), caller (file:line of the call
// site), level and msg.
func New(lvl, format string, w io.Writer) (log.Logger, *slog.Logger) {
	sw := log.NewSyncWriter(w)
	var out log.Logger
	if format == "json" {
		out = jsonLogger{sw}
	} else {
		out = log.NewLogfmtLogger(sw)
	}
	out = leading{out}
	opt, min := levels(lvl)
	// Caller(5): the valuer, log.bindValues, the context below, the level
	// filter, and the context level.Info and the like add above it; then
	// the call site.
	kit := level.NewFilter(log.With(out, "ts", log.DefaultTimestampUTC, "caller", log.Caller(5)), opt)
	// The handler gives ts, caller and level itself, from the record; the
	// same filter as kit's drops what Enabled would have.
	sl := slog.New(&handler{next: level.NewFilter(out, opt), min: min})
	return kit, sl
}

func levels(lvl string) (level.Option, slog.Level) {
	switch lvl {
	case "debug":
		return level.AllowDebug(), slog.LevelDebug
	case "warn":
		return level.AllowWarn(), slog.LevelWarn
	case "error":
		return level.AllowError(), slog.LevelError
	}
	return level.AllowInfo(), slog.LevelInfo
}

// leadingKeys are the keys every line begins with, in this order.
var leadingKeys = [...]string{"ts", "caller", "level", "msg"}

// leading passes each line on with the leading keys first, in their order,
// and the other keys after them in the order they came. Without it a
// logger from log.With(logger, "listener", name) puts listener between
// level and msg: go-kit's level.Info and the like add level before the
// context's keys, and msg comes with the call's.
type leading struct{ next log.Logger }

func (l leading) Log(keyvals ...any) error {
	if len(keyvals)%2 == 1 {
		keyvals = append(keyvals[:len(keyvals):len(keyvals)], log.ErrMissingValue)
	}
	at := [len(leadingKeys)]int{-1, -1, -1, -1}
	for i := 0; i < len(keyvals); i += 2 {
		if k, ok := keyvals[i].(string); ok {
			if j := slices.Index(leadingKeys[:], k); j >= 0 && at[j] < 0 {
				at[j] = i
			}
		}
	}
	if at == [len(leadingKeys)]int{0, 2, 4, 6} {
		return l.next.Log(keyvals...)
	}
	out := make([]any, 0, len(keyvals))
	for _, i := range at {
		if i >= 0 {
			out = append(out, keyvals[i], keyvals[i+1])
		}
	}
	for i := 0; i < len(keyvals); i += 2 {
		if !slices.Contains(at[:], i) {
			out = append(out, keyvals[i], keyvals[i+1])
		}
	}
	return l.next.Log(out...)
}

// jsonLogger is go-kit's JSON logger (log.NewJSONLogger) with the keys in
// the order they came: go-kit's encodes a map, so its keys come sorted (ts
// last). Values are turned into JSON as go-kit's are; a key that comes
// twice is written once, where it first came, with the value it last had
// (go-kit's map keeps the last). A value that cannot be encoded (a NaN, a
// channel) is written as a string, fmt.Sprint's, where go-kit's would lose
// the whole line.
type jsonLogger struct{ w io.Writer }

func (l jsonLogger) Log(keyvals ...any) error {
	var keys []string
	vals := make(map[string]any, (len(keyvals)+1)/2)
	for i := 0; i < len(keyvals); i += 2 {
		k := jsonKey(keyvals[i])
		var v any = log.ErrMissingValue
		if i+1 < len(keyvals) {
			v = keyvals[i+1]
		}
		if _, seen := vals[k]; !seen {
			keys = append(keys, k)
		}
		vals[k] = jsonValue(v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		encode(&buf, enc, k)
		buf.WriteByte(':')
		encode(&buf, enc, vals[k])
	}
	buf.WriteString("}\n")
	_, err := l.w.Write(buf.Bytes())
	return err
}

// encode appends v's JSON, without the encoder's newline, to buf.
func encode(buf *bytes.Buffer, enc *json.Encoder, v any) {
	if enc.Encode(v) != nil { // Encode writes nothing when it fails
		enc.Encode(fmt.Sprint(v))
	}
	buf.Truncate(buf.Len() - 1)
}

func jsonKey(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case fmt.Stringer:
		return safeString(x)
	}
	return fmt.Sprint(k)
}

// jsonValue is what go-kit's JSON logger encodes for v: encoding/json's
// own choice for a json.Marshaler or an encoding.TextMarshaler, the
// message of an error, the String of a fmt.Stringer.
func jsonValue(v any) any {
	switch x := v.(type) {
	case json.Marshaler, encoding.TextMarshaler:
		return v
	case error:
		return safeError(x)
	case fmt.Stringer:
		return safeString(x)
	}
	return v
}

// safeString and safeError are go-kit's: a nil pointer whose method
// panics is NULL or null, another panic is a message.
func safeString(str fmt.Stringer) (s string) {
	defer func() {
		if p := recover(); p != nil {
			if v := reflect.ValueOf(str); v.Kind() == reflect.Pointer && v.IsNil() {
				s = "NULL"
			} else {
				s = fmt.Sprintf("PANIC in String method: %v", p)
			}
		}
	}()
	return str.String()
}

func safeError(err error) (s any) {
	defer func() {
		if p := recover(); p != nil {
			if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
				s = nil
			} else {
				s = fmt.Sprintf("PANIC in Error method: %v", p)
			}
		}
	}()
	return err.Error()
}

// handler is the slog.Handler behind the *slog.Logger for exporter-toolkit:
// it writes each record through the go-kit logger's formatter as ts (the
// record's time), caller (the record's call site), level (go-kit's value
// for the record's level), msg, then the attributes, a group's with the
// group's name and a dot before their keys ("group.key").
//
// tjhop/slog-gokit, which the exporter used before, cannot do this: its
// handler writes level, caller and time (not ts), in that order, before
// msg, and neither the keys nor their order can be changed.
type handler struct {
	next   log.Logger // the formatter, behind the same level filter as the go-kit logger
	min    slog.Level
	attrs  []any  // from WithAttrs, as keys and values, their groups' names in the keys
	prefix string // the names of the groups from WithGroup, each followed by a dot
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	kv := make([]any, 0, 8+len(h.attrs)+2*r.NumAttrs())
	kv = append(kv,
		"ts", t.UTC().Format(time.RFC3339Nano), // as log.DefaultTimestampUTC
		"caller", caller(r.PC),
		level.Key(), levelValue(r.Level),
		"msg", r.Message)
	kv = append(kv, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		kv = appendAttr(kv, h.prefix, a)
		return true
	})
	return h.next.Log(kv...)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	c := *h
	c.attrs = slices.Clip(h.attrs) // so that appending copies
	for _, a := range as {
		c.attrs = appendAttr(c.attrs, h.prefix, a)
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix += name + "."
	return &c
}

// appendAttr appends a's key, after prefix, and value to kv, and a group's
// attributes one by one, as slog.Handler's rules say: an empty attribute
// and a group without attributes are left out, an unnamed group's
// attributes are written as if they were not in a group.
func appendAttr(kv []any, prefix string, a slog.Attr) []any {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return kv
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			kv = appendAttr(kv, prefix, g)
		}
		return kv
	}
	return append(kv, prefix+a.Key, a.Value.Any())
}

// caller is the file (without its directory) and line of pc, as
// log.Caller gives them.
func caller(pc uintptr) string {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return f.File[strings.LastIndexByte(f.File, '/')+1:] + ":" + strconv.Itoa(f.Line)
}

// levelValue maps a slog level to go-kit's: a level between two of slog's
// named ones is the lower.
func levelValue(l slog.Level) level.Value {
	switch {
	case l < slog.LevelInfo:
		return level.DebugValue()
	case l < slog.LevelWarn:
		return level.InfoValue()
	case l < slog.LevelError:
		return level.WarnValue()
	}
	return level.ErrorValue()
}
