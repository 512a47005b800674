package traplog

import (
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// requestProto is the export request of recs built from the generated
// types: the reference appendRequest must match byte for byte.
func (r resourceLogs) requestProto(recs []traps.Record) *logspb.LogsData {
	lrs := make([]*logspb.LogRecord, len(recs))
	for i := range recs {
		lrs[i] = logRecordProto(&recs[i])
	}
	return &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  r.resource,
		ScopeLogs: []*logspb.ScopeLogs{{Scope: r.scope, LogRecords: lrs}},
	}}}
}

// logRecordProto is a record as an OTLP log record: the trap name is the body,
// the trap's time the timestamp, and the record's other fields are
// attributes under their JSON names (traps.Record), so that a query reads
// the same over the file and over OTLP. Varbinds are a list of maps
// (oid, name, type, value, and hex and truncated when set), changes a list
// of maps (series, from when the series existed, to), uptime a map (ticks,
// seconds); fields the JSON leaves out when empty are left out here too.
func logRecordProto(r *traps.Record) *logspb.LogRecord {
	attrs := make([]*commonpb.KeyValue, 0, 16)
	add := func(k string, v *commonpb.AnyValue) { attrs = append(attrs, kv(k, v)) }
	addString := func(k, v string) {
		if v != "" {
			add(k, str(v))
		}
	}
	add("seq", integer(int64(r.Seq)))
	add("listener", str(r.Listener))
	add("source", str(r.Source))
	add("device", str(r.Device))
	add("version", str(r.Version))
	addString("user", r.User)
	addString("context_engine_id", r.ContextEngineID)
	addString("context_name", r.ContextName)
	add("trap", str(r.Trap))
	add("trap_oid", str(r.TrapOID))
	if r.Uptime != nil {
		add("uptime", kvlist(kv("ticks", integer(int64(r.Uptime.Ticks))), kv("seconds", double(r.Uptime.Seconds))))
	}
	if r.RequestID != nil {
		add("request_id", integer(int64(*r.RequestID)))
	}
	if r.Inform {
		add("inform", boolean(true))
	}
	addString("relay", r.Relay)
	vbs := make([]*commonpb.AnyValue, len(r.Varbinds))
	for i, vb := range r.Varbinds {
		fields := []*commonpb.KeyValue{kv("oid", str(vb.OID)), kv("name", str(vb.Name)), kv("type", str(vb.Type)), kv("value", str(vb.Value))}
		if vb.Hex != "" {
			fields = append(fields, kv("hex", str(vb.Hex)))
		}
		if vb.Truncated {
			fields = append(fields, kv("truncated", boolean(true)))
		}
		vbs[i] = kvlist(fields...)
	}
	add("varbinds", array(vbs...))
	if len(r.Changes) > 0 {
		cs := make([]*commonpb.AnyValue, len(r.Changes))
		for i, c := range r.Changes {
			fields := []*commonpb.KeyValue{kv("series", str(c.Series))}
			if c.From != nil {
				fields = append(fields, kv("from", double(*c.From)))
			}
			cs[i] = kvlist(append(fields, kv("to", double(c.To)))...)
		}
		add("changes", array(cs...))
	}
	if r.Repeats > 0 {
		add("repeats", integer(int64(r.Repeats)))
	}
	if r.First != nil {
		add("first", str(r.First.Format(time.RFC3339Nano)))
	}
	if r.Last != nil {
		add("last", str(r.Last.Format(time.RFC3339Nano)))
	}
	ts := uint64(r.Time.UnixNano())
	return &logspb.LogRecord{
		TimeUnixNano:         ts,
		ObservedTimeUnixNano: ts, // the trap's time is when it was received
		Body:                 str(r.Trap),
		Attributes:           attrs,
	}
}

func kv(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func integer(n int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: n}}
}

func double(f float64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
}

func boolean(b bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
}

func array(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
}

func kvlist(kvs ...*commonpb.KeyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs}}}
}
