package traplog

import (
	"bytes"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// wireRecords are records with every field the encoding knows set in some
// of them, and left out in others.
func wireRecords() []traps.Record {
	at := time.Date(2026, 12, 3, 9, 30, 0, 123456789, time.UTC)
	first, last := at.Add(-10*time.Second), at.Add(-time.Millisecond)
	from := 1.0
	id := int32(-7)
	return []traps.Record{
		{Seq: 1, Time: at, Listener: "udp://:162", Source: "192.0.2.7:40000", Device: "sw1", Version: "v2c", Trap: "IF-MIB::linkDown",
			TrapOID: "1.3.6.1.6.3.1.1.5.3", Uptime: &traps.Uptime{Ticks: 4294967295, Seconds: 42949672.95},
			Varbinds: []traps.Varbind{
				{OID: "1.3.6.1.2.1.2.2.1.1.2", Name: "IF-MIB::ifIndex.2", Type: "INTEGER", Value: "2"},
				{OID: "1.3.6.1.2.1.2.2.1.6.2", Name: "IF-MIB::ifPhysAddress.2", Type: "OCTET STRING", Value: "0:1a:2b:3c:4d:5e", Hex: "001a2b3c4d5e"},
				{OID: "1.3.6.1.2.1.2.2.1.2.2", Name: "IF-MIB::ifDescr.2", Type: "OCTET STRING", Value: string(bytes.Repeat([]byte("é<x>"), 300)), Truncated: true},
			},
			Changes: []traps.Change{{Series: `snmptrap_interface_up{device="sw1",ifIndex="2"}`, From: &from, To: 0}, {Series: `snmptrap_interface_info{device="sw1"}`, To: 1}}},
		{Seq: 1 << 62, Time: at, Listener: "tcp://[::1]:412", Source: "[2001:db8::1]:1", Device: "core-1", Version: "v3", User: "ops",
			ContextEngineID: "80001f8804", ContextName: "vrf-red", Trap: "1.3.6.1.4.1.9.9.41.2.0.1", TrapOID: "1.3.6.1.4.1.9.9.41.2.0.1",
			RequestID: &id, Inform: true, Relay: "198.51.100.1", Varbinds: []traps.Varbind{}},
		{Seq: 3, Time: at, Device: "sw1", Version: "v1", Trap: "SNMPv2-MIB::coldStart", TrapOID: "1.3.6.1.6.3.1.1.5.1",
			Uptime: &traps.Uptime{}, Varbinds: []traps.Varbind{{OID: "", Name: "", Type: "", Value: ""}},
			Changes: []traps.Change{{Series: "x", To: math.Inf(-1)}}, Repeats: 49999, First: &first, Last: &last},
		{}, // the zero record: no time, empty strings
	}
}

// TestAppendRequestMatchesProto: the hand-appended request is byte for
// byte what proto.Marshal makes of the generated types, for one record at
// a time and for all in one request.
func TestAppendRequestMatchesProto(t *testing.T) {
	r := newResourceLogs("host:9412", "host", "v1.2.3")
	enc, err := newRequestEncoder(r)
	if err != nil {
		t.Fatal(err)
	}
	recs := wireRecords()
	batches := [][]traps.Record{recs, nil}
	for i := range recs {
		batches = append(batches, recs[i:i+1])
	}
	for i, batch := range batches {
		want, err := proto.Marshal(r.requestProto(batch))
		if err != nil {
			t.Fatal(err)
		}
		got := enc.appendRequest([]byte("kept"), batch)
		if !bytes.HasPrefix(got, []byte("kept")) || !bytes.Equal(got[4:], want) {
			t.Errorf("batch %d: appendRequest differs from proto.Marshal\n got %x\nwant %x", i, got[4:], want)
		}
	}
}

// FuzzAppendRequest checks the same for records made of any strings and
// numbers: lengths that cross a varint byte, invalid UTF-8, NaN.
func FuzzAppendRequest(f *testing.F) {
	f.Add("sw1", "IF-MIB::linkDown", "é<x>", string(bytes.Repeat([]byte{'a'}, 200)), int64(7), uint32(100), 1.5, true)
	f.Add("", "", "\xff\xfe", "", int64(-1), uint32(0), math.NaN(), false)
	r := newResourceLogs("i", "h", "v")
	enc, err := newRequestEncoder(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, device, trap, value, hex string, n int64, ticks uint32, to float64, flag bool) {
		rec := traps.Record{Seq: uint64(n), Time: time.Unix(0, n), Device: device, Trap: trap, Listener: value, Source: hex,
			Uptime: &traps.Uptime{Ticks: ticks, Seconds: to}, Inform: flag, Relay: trap, Repeats: int(n % 1000),
			Varbinds: []traps.Varbind{{OID: trap, Name: device, Type: "OCTET STRING", Value: value, Hex: hex, Truncated: flag}},
			Changes:  []traps.Change{{Series: value, From: &to, To: -to}}}
		id := int32(n)
		rec.RequestID = &id
		if flag {
			first := time.Unix(n%1e12, 0).UTC()
			rec.First, rec.Last = &first, &first
		}
		batch := []traps.Record{rec, rec}
		want, err := proto.Marshal(r.requestProto(batch))
		if err != nil {
			t.Skip() // invalid UTF-8 in a string field: proto.Marshal refuses it
		}
		if got := enc.appendRequest(nil, batch); !bytes.Equal(got, want) {
			t.Fatalf("appendRequest differs from proto.Marshal\n got %x\nwant %x", got, want)
		}
	})
}
