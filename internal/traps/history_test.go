package traps

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/race"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var (
	oidLinkDown       = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")
	oidSnmpTrap       = snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0")
	oidIfIndex2       = snmp.MustParseOID("1.3.6.1.2.1.2.2.1.1.2")
	oidIfOper2        = snmp.MustParseOID("1.3.6.1.2.1.2.2.1.8.2")
	oidIfDescr2       = snmp.MustParseOID("1.3.6.1.2.1.2.2.1.2.2")
	oidIfPhys2        = snmp.MustParseOID("1.3.6.1.2.1.2.2.1.6.2")
	oidUptime         = snmp.MustParseOID("1.3.6.1.2.1.1.3.0")
	src               = netip.MustParseAddrPort("192.0.2.7:40000")
	ifUp              = &metrics.Family{Name: "snmptrap_interface_up", Type: metrics.Gauge, Labels: []string{"ifIndex"}, KeyLabels: 1}
	names       Names = mib.Builtin()
)

// linkDown is a v2c linkDown as received, with its decoded varbinds.
func linkDown(t testing.TB, uptime uint64, descr string) ([]byte, []snmp.Varbind) {
	vbs := []snmp.Varbind{
		{OID: oidUptime, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(uptime)},
		{OID: oidSnmpTrap, Type: snmp.TagObjectIdentifier, Value: oidLinkDown},
		{OID: oidIfIndex2, Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
		{OID: oidIfOper2, Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
		{OID: oidIfDescr2, Type: snmp.TagOctetString, Value: []byte(descr)},
		{OID: oidIfPhys2, Type: snmp.TagOctetString, Value: []byte{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}},
	}
	msg := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 7, vbs)
	var m snmp.Message
	if err := m.Decode(msg); err != nil {
		t.Fatal(err)
	}
	return msg, m.Varbinds
}

func admitted(t testing.TB, at time.Time, uptime uint64, descr string) *Admitted {
	msg, vbs := linkDown(t, uptime, descr)
	return &Admitted{At: at, Listener: "udp://:162", Source: src, Device: "sw1", Version: metrics.VersionV2c,
		Trap: "IF-MIB::linkDown", TrapOID: oidLinkDown, Message: msg, Varbinds: vbs,
		Changes: []StateChange{{Family: ifUp, Device: "sw1", Values: []string{"2"}, Existed: true, Old: 1, New: 0}}}
}

// The record, field by field, is pinned by a golden file.
func TestRecordGolden(t *testing.T) {
	h := New(Options{Size: 10, Names: func() Names { return names }})
	h.Admitted(admitted(t, time.Unix(1_700_000_000, 123456789), 12345, "uplink <b>"))
	got, err := json.MarshalIndent(h.Records(Query{}), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "record.json")
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("record differs from %s (run with -update):\n%s", golden, got)
	}
	if bytes.Contains(got, []byte("public")) {
		t.Error("the community is in the record")
	}
}

// The ring is bounded by count and by bytes, whichever comes first, and
// gives the newest first.
func TestRingBounds(t *testing.T) {
	msg, vbs := linkDown(t, 1, "x")
	add := func(h *History, n int) {
		for i := range n {
			h.Admitted(&Admitted{Device: fmt.Sprint("d", i), Trap: "t", TrapOID: oidLinkDown, Message: msg, Varbinds: vbs})
		}
	}
	h := New(Options{Size: 5})
	add(h, 12)
	recs := h.Records(Query{})
	if len(recs) != 5 || recs[0].Device != "d11" || recs[4].Device != "d7" {
		t.Errorf("by count: %d records, newest %v", len(recs), recs)
	}
	// The bound is on the memory the buffers hold: their capacity.
	held := cap(append([]byte(nil), msg...))
	h = New(Options{Size: 100, MaxBytes: 3*held + 1})
	add(h, 10)
	if recs := h.Records(Query{}); len(recs) != 3 || recs[0].Device != "d9" || h.bytes > 3*held+1 {
		t.Errorf("by bytes: %d records holding %d bytes", len(recs), h.bytes)
	}
	if recs := h.Records(Query{Device: "d8", Limit: 1}); len(recs) != 1 || recs[0].Device != "d8" {
		t.Errorf("device filter: %v", recs)
	}
	recs, missed := h.Follow(0, 100)
	if len(recs) != 3 || recs[0].Device != "d7" || missed != 7 {
		t.Errorf("follow: %d records from %v, missed %d", len(recs), recs, missed)
	}
}

// A storm of one trap, 50,000 a second for 10 s, makes two records: the
// first trap and a summary when the window closes. Other traps are kept.
func TestStormCollapsed(t *testing.T) {
	clk := testfixtures.NewClock()
	h := New(Options{Size: 100, DedupWindow: 10 * time.Second, Now: clk.Now})
	start := clk.Now()
	const perSecond, seconds = 50000, 10
	for i := range perSecond * seconds {
		at := start.Add(time.Duration(i) * time.Second / perSecond)
		// Only sysUpTime.0 changes: still the same trap.
		h.Admitted(admitted(t, at, uint64(i), "uplink"))
	}
	h.Admitted(admitted(t, start.Add(time.Second), 1, "another descr")) // a different trap
	clk.Add(11 * time.Second)
	h.Tick(clk.Now())
	recs := h.Records(Query{})
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3 (first, the other trap, the summary)", len(recs))
	}
	summary := recs[0]
	if summary.Repeats != perSecond*seconds-1 || summary.First == nil || !summary.First.Equal(start) || summary.Device != "sw1" || len(summary.Varbinds) != 6 {
		t.Errorf("summary: %+v", summary)
	}
	if recs[2].Repeats != 0 || recs[2].Uptime.Ticks != 0 {
		t.Errorf("first record: %+v", recs[2])
	}
	// After the window, the same trap is kept again.
	h.Admitted(admitted(t, clk.Now(), 5, "uplink"))
	if n := len(h.Records(Query{})); n != 4 {
		t.Errorf("%d records after the window, want 4", n)
	}
}

// Keeping a trap copies its bytes into reused slots: nothing is allocated
// once the ring has filled.
func TestAdmittedDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates")
	}
	h := New(Options{Size: 8, MaxBytes: 1 << 20, DedupWindow: time.Second})
	a := admitted(t, time.Unix(1, 0), 1, "x")
	for i := range 64 { // fill every slot, distinct traps
		a.At = time.Unix(int64(i)*10, 0)
		h.Admitted(a)
	}
	i := 64
	if n := testing.AllocsPerRun(1000, func() {
		i++
		a.At = time.Unix(int64(i)*10, 0) // past the window: kept, not collapsed
		h.Admitted(a)
	}); n != 0 {
		t.Errorf("Admitted allocates %v times", n)
	}
	r := &Refusal{Listener: "udp://:412", Source: src, Result: metrics.ResultNotSNMP, Data: []byte("GET /")}
	h2 := New(Options{RefusedSize: 4})
	if n := testing.AllocsPerRun(1000, func() { h2.Refused(r) }); n != 0 {
		t.Errorf("Refused allocates %v times", n)
	}
}

// The refused ring keeps where and why, and the first bytes only of what
// is not SNMP: never a refused community or a v3 message.
func TestRefused(t *testing.T) {
	h := New(Options{RefusedSize: 2})
	secret := snmp.AppendTrapV2(nil, snmp.V2c, []byte("s3cret-community"), snmp.PDUTrapV2, 1, nil)
	h.Refused(&Refusal{At: time.Unix(1, 0), Listener: "udp://:162", Source: src, Version: metrics.VersionV2c, Result: metrics.ResultCommunityRejected, Data: secret})
	h.Refused(&Refusal{At: time.Unix(2, 0), Listener: "udp://:412", Source: src, Result: metrics.ResultNotSNMP, Data: bytes.Repeat([]byte("GET / HTTP/1.0 "), 10)})
	h.Refused(&Refusal{At: time.Unix(3, 0), Listener: "tcp://:412", Source: src, Result: metrics.ResultMalformed, Data: []byte{0x30, 0x05}})
	recs := h.RefusedRecords(Query{})
	if len(recs) != 2 || recs[0].Result != "malformed" || recs[1].Result != "not_snmp" || len(recs[1].Head) != 2*headBytes || recs[0].Head != "" {
		t.Fatalf("refused: %+v", recs)
	}
	b, _ := json.Marshal(h.RefusedRecords(Query{}))
	if bytes.Contains(b, []byte("s3cret")) {
		t.Error("a refused community is kept")
	}
	if recs := h.RefusedRecords(Query{Listener: "udp://:412"}); len(recs) != 1 {
		t.Errorf("listener filter: %+v", recs)
	}
}

// Filters on the rendered record: trap by name or OID prefix, free text.
func TestRecordFilters(t *testing.T) {
	h := New(Options{Size: 10, Names: func() Names { return names }})
	h.Admitted(admitted(t, time.Unix(10, 0), 1, "uplink to core"))
	h.Admitted(admitted(t, time.Unix(20, 0), 2, "access port"))
	for _, tc := range []struct {
		q    Query
		want int
	}{
		{Query{Trap: "IF-MIB::linkDown"}, 2},
		{Query{Trap: "1.3.6.1.6.3.1.1.5"}, 2},
		{Query{Trap: "IF-MIB::linkUp"}, 0},
		{Query{Text: "CORE"}, 1},
		{Query{Text: "ifIndex=\"2\""}, 2}, // the derived change
		{Query{Since: time.Unix(15, 0)}, 1},
		{Query{Limit: 1}, 1},
	} {
		if got := len(h.Records(tc.q)); got != tc.want {
			t.Errorf("%+v: %d records, want %d", tc.q, got, tc.want)
		}
	}
}

// Size and RefusedSize are the rings' capacities, whatever they hold.
func TestSizes(t *testing.T) {
	h := New(Options{Size: 7, RefusedSize: 3})
	if h.Size() != 7 || h.RefusedSize() != 3 {
		t.Errorf("sizes %d and %d, want 7 and 3", h.Size(), h.RefusedSize())
	}
	if h := New(Options{}); h.Size() != 0 || h.RefusedSize() != 0 || h.Enabled() {
		t.Errorf("an empty history: sizes %d and %d, enabled %v", h.Size(), h.RefusedSize(), h.Enabled())
	}
}

// The dedup bookkeeping stays bounded even when nothing calls Tick: windows
// that a later repeat closed do not pile up, and the slab of open windows
// never holds more than maxDedupKeys.
func TestDedupWindowsBounded(t *testing.T) {
	h := New(Options{Size: 100, DedupWindow: time.Second})
	a := admitted(t, time.Unix(0, 0), 1, "x")
	devices := make([]string, 3*maxDedupKeys)
	for i := range devices {
		devices[i] = fmt.Sprint("d", i)
	}
	at := time.Unix(1000, 0)
	for round := range 4 {
		for i, d := range devices {
			a.Device = d
			a.At = at.Add(time.Duration(round)*2*time.Second + time.Duration(i)*time.Microsecond)
			h.Admitted(a) // opens a window, or closes an ended one and opens another
			h.Admitted(a) // a repeat within the window
		}
		if open := len(h.windows) - h.windowsHead; open > 2*maxDedupKeys || len(h.entries) > maxDedupKeys || len(h.dedup) > maxDedupKeys {
			t.Fatalf("round %d: %d windows listed, %d entries, %d keys", round, open, len(h.entries), len(h.dedup))
		}
	}
	// Tick closes what ended, oldest first, into summaries.
	before := h.LastSeq()
	h.Tick(at.Add(time.Hour))
	if len(h.dedup) != 0 || h.LastSeq()-before != maxDedupKeys {
		t.Errorf("after Tick: %d open, %d summaries; want 0 open, %d summaries", len(h.dedup), h.LastSeq()-before, maxDedupKeys)
	}
}
