package traplog

import (
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// The export request is appended field by field with protowire rather
// than built from the generated types and marshalled: those cost about
// 15 µs and 157 allocations per linkDown record (BenchmarkEncodeOTLP,
// generated types), several times what receiving the trap costs, and the
// OTLP output shares the CPU with the receive path. The bytes are the
// ones proto.Marshal makes of the generated types (logRecordProto, kept
// in the tests as the reference: TestAppendRequestMatchesProto), fields in
// field-number order.

// Field numbers of opentelemetry/proto/logs/v1 and common/v1.
const (
	fieldLogsDataResourceLogs  protowire.Number = 1
	fieldResourceLogsResource  protowire.Number = 1
	fieldResourceLogsScopeLogs protowire.Number = 2
	fieldScopeLogsScope        protowire.Number = 1
	fieldScopeLogsLogRecords   protowire.Number = 2
	fieldLogRecordTime         protowire.Number = 1
	fieldLogRecordBody         protowire.Number = 5
	fieldLogRecordAttributes   protowire.Number = 6
	fieldLogRecordObservedTime protowire.Number = 11
	fieldKeyValueKey           protowire.Number = 1
	fieldKeyValueValue         protowire.Number = 2
	fieldAnyValueString        protowire.Number = 1
	fieldAnyValueBool          protowire.Number = 2
	fieldAnyValueInt           protowire.Number = 3
	fieldAnyValueDouble        protowire.Number = 4
	fieldAnyValueArray         protowire.Number = 5
	fieldAnyValueKvlist        protowire.Number = 6
	fieldArrayValueValues      protowire.Number = 1
	fieldKeyValueListValues    protowire.Number = 1
)

// requestEncoder appends export requests; the resource and scope, the
// same in every request, are marshalled once.
type requestEncoder struct {
	resource, scope []byte
}

func newRequestEncoder(r resourceLogs) (requestEncoder, error) {
	res, err := proto.Marshal(r.resource)
	if err != nil {
		return requestEncoder{}, err
	}
	scope, err := proto.Marshal(r.scope)
	if err != nil {
		return requestEncoder{}, err
	}
	return requestEncoder{resource: res, scope: scope}, nil
}

// appendRequest appends the LogsData (the body of an
// ExportLogsServiceRequest) holding recs.
func (e requestEncoder) appendRequest(b []byte, recs []traps.Record) []byte {
	b, rl := openField(b, fieldLogsDataResourceLogs)
	b = protowire.AppendBytes(protowire.AppendTag(b, fieldResourceLogsResource, protowire.BytesType), e.resource)
	b, sl := openField(b, fieldResourceLogsScopeLogs)
	b = protowire.AppendBytes(protowire.AppendTag(b, fieldScopeLogsScope, protowire.BytesType), e.scope)
	for i := range recs {
		b = appendLogRecord(b, &recs[i])
	}
	b = closeField(b, sl)
	return closeField(b, rl)
}

// appendLogRecord appends r as a LogRecord (field log_records of
// ScopeLogs): what logRecordProto builds, in its order.
func appendLogRecord(b []byte, r *traps.Record) []byte {
	b, lr := openField(b, fieldScopeLogsLogRecords)
	ts := uint64(r.Time.UnixNano())
	if ts != 0 {
		b = protowire.AppendFixed64(protowire.AppendTag(b, fieldLogRecordTime, protowire.Fixed64Type), ts)
	}
	b = anyString(b, fieldLogRecordBody, r.Trap)
	const attr = fieldLogRecordAttributes
	b = kvInt(b, attr, "seq", int64(r.Seq))
	b = kvString(b, attr, "listener", r.Listener)
	b = kvString(b, attr, "source", r.Source)
	b = kvString(b, attr, "device", r.Device)
	b = kvString(b, attr, "version", r.Version)
	b = kvStringSet(b, attr, "user", r.User)
	b = kvStringSet(b, attr, "context_engine_id", r.ContextEngineID)
	b = kvStringSet(b, attr, "context_name", r.ContextName)
	b = kvString(b, attr, "trap", r.Trap)
	b = kvString(b, attr, "trap_oid", r.TrapOID)
	var (
		kv         [2]int
		list, item int
	)
	if r.Uptime != nil {
		b, kv, list = openKvlist(b, attr, "uptime")
		b = kvInt(b, fieldKeyValueListValues, "ticks", int64(r.Uptime.Ticks))
		b = kvDouble(b, fieldKeyValueListValues, "seconds", r.Uptime.Seconds)
		b = closeKvlist(b, kv, list)
	}
	if r.RequestID != nil {
		b = kvInt(b, attr, "request_id", int64(*r.RequestID))
	}
	if r.Inform {
		b = kvBool(b, attr, "inform", true)
	}
	b = kvStringSet(b, attr, "relay", r.Relay)
	b, kv, arr := openArray(b, attr, "varbinds")
	for _, vb := range r.Varbinds {
		b, item, list = openListItem(b)
		b = kvString(b, fieldKeyValueListValues, "oid", vb.OID)
		b = kvString(b, fieldKeyValueListValues, "name", vb.Name)
		b = kvString(b, fieldKeyValueListValues, "type", vb.Type)
		b = kvString(b, fieldKeyValueListValues, "value", vb.Value)
		b = kvStringSet(b, fieldKeyValueListValues, "hex", vb.Hex)
		if vb.Truncated {
			b = kvBool(b, fieldKeyValueListValues, "truncated", true)
		}
		b = closeListItem(b, item, list)
	}
	b = closeArray(b, kv, arr)
	if len(r.Changes) > 0 {
		b, kv, arr = openArray(b, attr, "changes")
		for _, c := range r.Changes {
			b, item, list = openListItem(b)
			b = kvString(b, fieldKeyValueListValues, "series", c.Series)
			if c.From != nil {
				b = kvDouble(b, fieldKeyValueListValues, "from", *c.From)
			}
			b = kvDouble(b, fieldKeyValueListValues, "to", c.To)
			b = closeListItem(b, item, list)
		}
		b = closeArray(b, kv, arr)
	}
	if r.Repeats > 0 {
		b = kvInt(b, attr, "repeats", int64(r.Repeats))
	}
	if r.First != nil {
		b = kvTime(b, attr, "first", *r.First)
	}
	if r.Last != nil {
		b = kvTime(b, attr, "last", *r.Last)
	}
	if ts != 0 {
		b = protowire.AppendFixed64(protowire.AppendTag(b, fieldLogRecordObservedTime, protowire.Fixed64Type), ts)
	}
	return closeField(b, lr)
}

// openField starts the length-delimited field n; closeField ends it,
// putting the length, now known, in front of what was appended since.
func openField(b []byte, n protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return b, len(b)
}

func closeField(b []byte, start int) []byte {
	n := len(b) - start
	k := protowire.SizeVarint(uint64(n))
	for range k {
		b = append(b, 0)
	}
	copy(b[start+k:], b[start:start+n])
	protowire.AppendVarint(b[start:start], uint64(n))
	return b
}

func anyString(b []byte, n protowire.Number, s string) []byte {
	b, at := openField(b, n)
	b = protowire.AppendString(protowire.AppendTag(b, fieldAnyValueString, protowire.BytesType), s)
	return closeField(b, at)
}

// openKV starts a KeyValue in field n and its value, an AnyValue.
func openKV(b []byte, n protowire.Number, key string) ([]byte, int, int) {
	b, kv := openField(b, n)
	b = protowire.AppendString(protowire.AppendTag(b, fieldKeyValueKey, protowire.BytesType), key)
	b, val := openField(b, fieldKeyValueValue)
	return b, kv, val
}

func closeKV(b []byte, kv, val int) []byte { return closeField(closeField(b, val), kv) }

func kvString(b []byte, n protowire.Number, key, v string) []byte {
	b, kv, val := openKV(b, n, key)
	b = protowire.AppendString(protowire.AppendTag(b, fieldAnyValueString, protowire.BytesType), v)
	return closeKV(b, kv, val)
}

// kvStringSet is kvString for a field the record leaves out when empty.
func kvStringSet(b []byte, n protowire.Number, key, v string) []byte {
	if v == "" {
		return b
	}
	return kvString(b, n, key, v)
}

func kvInt(b []byte, n protowire.Number, key string, v int64) []byte {
	b, kv, val := openKV(b, n, key)
	b = protowire.AppendVarint(protowire.AppendTag(b, fieldAnyValueInt, protowire.VarintType), uint64(v))
	return closeKV(b, kv, val)
}

func kvDouble(b []byte, n protowire.Number, key string, v float64) []byte {
	b, kv, val := openKV(b, n, key)
	b = protowire.AppendFixed64(protowire.AppendTag(b, fieldAnyValueDouble, protowire.Fixed64Type), math.Float64bits(v))
	return closeKV(b, kv, val)
}

func kvBool(b []byte, n protowire.Number, key string, v bool) []byte {
	b, kv, val := openKV(b, n, key)
	b = protowire.AppendVarint(protowire.AppendTag(b, fieldAnyValueBool, protowire.VarintType), protowire.EncodeBool(v))
	return closeKV(b, kv, val)
}

func kvTime(b []byte, n protowire.Number, key string, t time.Time) []byte {
	b, kv, val := openKV(b, n, key)
	b = protowire.AppendTag(b, fieldAnyValueString, protowire.BytesType)
	var buf [64]byte
	b = protowire.AppendBytes(b, t.AppendFormat(buf[:0], time.RFC3339Nano))
	return closeKV(b, kv, val)
}

// openKvlist starts a KeyValue in field n whose value is a key-value list;
// its entries go in fieldKeyValueListValues.
func openKvlist(b []byte, n protowire.Number, key string) ([]byte, [2]int, int) {
	b, kv, val := openKV(b, n, key)
	b, list := openField(b, fieldAnyValueKvlist)
	return b, [2]int{kv, val}, list
}

func closeKvlist(b []byte, kv [2]int, list int) []byte {
	return closeKV(closeField(b, list), kv[0], kv[1])
}

// openArray starts a KeyValue in field n whose value is an array; its
// items are opened with openListItem.
func openArray(b []byte, n protowire.Number, key string) ([]byte, [2]int, int) {
	b, kv, val := openKV(b, n, key)
	b, arr := openField(b, fieldAnyValueArray)
	return b, [2]int{kv, val}, arr
}

func closeArray(b []byte, kv [2]int, arr int) []byte {
	return closeKV(closeField(b, arr), kv[0], kv[1])
}

// openListItem starts an array item that is a key-value list;
// closeListItem ends it.
func openListItem(b []byte) ([]byte, int, int) {
	b, val := openField(b, fieldArrayValueValues)
	b, list := openField(b, fieldAnyValueKvlist)
	return b, val, list
}

func closeListItem(b []byte, val, list int) []byte { return closeField(closeField(b, list), val) }
