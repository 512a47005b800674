package pipeline

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/race"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

var (
	oidSysUpTime   = snmp.MustParseOID("1.3.6.1.2.1.1.3.0")
	oidSnmpTrapOID = snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0")
	oidLinkDown    = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")
	oidIfIndex2    = snmp.MustParseOID("1.3.6.1.2.1.2.2.1.1.2")
	oidEnterprise  = snmp.MustParseOID("1.3.6.1.4.1.45.1.6.2.4")
)

func v2Varbinds(trapOID []byte) []snmp.Varbind {
	return []snmp.Varbind{
		{OID: oidSysUpTime, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(12345)},
		{OID: oidSnmpTrapOID, Type: snmp.TagObjectIdentifier, Value: trapOID},
		{OID: oidIfIndex2, Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
	}
}

func v2cTrap(pdu snmp.PDUType, requestID int32, trapOID []byte) []byte {
	return snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), pdu, requestID, v2Varbinds(trapOID))
}

type fixture struct {
	store   *metrics.Store
	packets *metrics.Packets
	proc    *Processor
	clock   time.Time
}

func newFixture(limit int) *fixture {
	f := &fixture{
		store:   metrics.NewStore(limit, 0, nil),
		packets: metrics.NewPackets(),
		clock:   time.Unix(1_700_000_000, 0),
	}
	f.proc = New(f.store, f.packets, Options{Now: func() time.Time { return f.clock }, Names: genericNames})
	return f
}

var src = netip.MustParseAddrPort("192.0.2.7:40000")

func (f *fixture) handle(data []byte) []byte {
	reply, _ := f.proc.Handle(&receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}, nil)
	return reply
}

func (f *fixture) count(v metrics.Version, r metrics.Result) uint64 {
	return f.packets.Listener("udp://:162").Get(v, r)
}

func (f *fixture) traps() map[metrics.Key]uint64 {
	out := map[metrics.Key]uint64{}
	for _, s := range testfixtures.SeriesOf(f.store.Index()) {
		out[metrics.Key{Device: s.Device, Trap: s.Trap}] = s.Count
	}
	return out
}

func TestHandleResults(t *testing.T) {
	v1Linkdown := snmp.AppendTrapV1(nil, []byte("public"), oidEnterprise, [4]byte{10, 1, 30, 1}, 2, 0, 100, nil)
	v1Synoptics := snmp.AppendTrapV1(nil, []byte("public"), oidEnterprise, [4]byte{10, 1, 30, 1}, 6, 4, 100, nil)
	get := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUGetRequest, 1, nil)
	v1WithV2Trap := snmp.AppendTrapV2(nil, snmp.V1, []byte("public"), snmp.PDUTrapV2, 1, v2Varbinds(oidLinkDown))
	noTrapOID := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, v2Varbinds(oidLinkDown)[:1])
	unknownTrap := snmp.MustParseOID("1.3.6.1.4.1.99999.0.1")

	for _, tc := range []struct {
		name    string
		in      []byte
		version metrics.Version
		result  metrics.Result
		trap    string // "" when no trap is counted
	}{
		{"v2c linkDown", v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown), metrics.VersionV2c, metrics.ResultAccepted, "IF-MIB::linkDown"},
		{"v2c unknown trap stays numeric", v2cTrap(snmp.PDUTrapV2, 1, unknownTrap), metrics.VersionV2c, metrics.ResultAccepted, "1.3.6.1.4.1.99999.0.1"},
		{"v1 generic linkDown (RFC 3584)", v1Linkdown, metrics.VersionV1, metrics.ResultAccepted, "IF-MIB::linkDown"},
		{"v1 enterprise specific (RFC 3584)", v1Synoptics, metrics.VersionV1, metrics.ResultAccepted, "1.3.6.1.4.1.45.1.6.2.4.0.4"},
		{"v2c GetRequest", get, metrics.VersionV2c, metrics.ResultUnsupported, ""},
		{"v1 message with a v2 trap PDU", v1WithV2Trap, metrics.VersionV1, metrics.ResultUnsupported, ""},
		{"v2c trap without snmpTrapOID.0", noTrapOID, metrics.VersionV2c, metrics.ResultMalformed, ""},
		{"garbage", []byte("GET / HTTP/1.1\r\n"), metrics.VersionUnknown, metrics.ResultNotSNMP, ""},
		{"empty", nil, metrics.VersionUnknown, metrics.ResultNotSNMP, ""},
		{"truncated v2c", v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)[:30], metrics.VersionV2c, metrics.ResultMalformed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(100)
			if reply := f.handle(tc.in); reply != nil {
				t.Errorf("reply to a non-inform: %x", reply)
			}
			if got := f.count(tc.version, tc.result); got != 1 {
				t.Errorf("packets{version=%s,result=%s} = %d, want 1", tc.version, tc.result, got)
			}
			traps := f.traps()
			if tc.trap == "" {
				if len(traps) != 0 {
					t.Errorf("traps counted: %v, want none", traps)
				}
				return
			}
			want := map[metrics.Key]uint64{{Device: "192.0.2.7", Trap: tc.trap}: 1}
			if len(traps) != 1 || traps[metrics.Key{Device: "192.0.2.7", Trap: tc.trap}] != 1 {
				t.Errorf("traps = %v, want %v", traps, want)
			}
		})
	}
}

func TestInformAcknowledgedOnceCounted(t *testing.T) {
	f := newFixture(100)
	inform := v2cTrap(snmp.PDUInformRequest, 4242, oidLinkDown)

	reply := f.handle(inform)
	var m snmp.Message
	if err := m.Decode(reply); err != nil {
		t.Fatalf("reply does not decode: %v", err)
	}
	var req snmp.Message
	if err := req.Decode(inform); err != nil {
		t.Fatal(err)
	}
	if m.PDUType != snmp.PDUResponse || m.RequestID != 4242 || m.ErrorStatus != 0 || m.ErrorIndex != 0 ||
		m.Version != snmp.V2c || string(m.Community) != "public" || len(m.Varbinds) != len(req.Varbinds) {
		t.Fatalf("reply = %+v", m)
	}
	for i := range m.Varbinds {
		a, b := m.Varbinds[i], req.Varbinds[i]
		if !bytes.Equal(a.OID, b.OID) || a.Type != b.Type || !bytes.Equal(a.Value, b.Value) {
			t.Errorf("varbind %d = %+v, want %+v", i, a, b)
		}
	}

	// A retransmission within the window is acknowledged again but not
	// counted again.
	f.clock = f.clock.Add(time.Second)
	if again := f.handle(inform); !bytes.Equal(again, reply) {
		t.Errorf("retransmission ack = %x, want %x", again, reply)
	}
	if got := f.traps()[metrics.Key{Device: "192.0.2.7", Trap: "IF-MIB::linkDown"}]; got != 1 {
		t.Errorf("traps after retransmission = %d, want 1", got)
	}
	if a, d := f.count(metrics.VersionV2c, metrics.ResultAccepted), f.count(metrics.VersionV2c, metrics.ResultDuplicate); a != 1 || d != 1 {
		t.Errorf("accepted, duplicate = %d, %d; want 1, 1", a, d)
	}

	// Another request-id is another inform; so is the same one after the
	// window.
	f.handle(v2cTrap(snmp.PDUInformRequest, 4243, oidLinkDown))
	f.clock = f.clock.Add(DefaultInformWindow)
	f.handle(inform)
	if got := f.traps()[metrics.Key{Device: "192.0.2.7", Trap: "IF-MIB::linkDown"}]; got != 3 {
		t.Errorf("traps = %d, want 3", got)
	}
}

func TestOverflowKeepsTotals(t *testing.T) {
	f := newFixture(2)
	for i := range 10 {
		f.handle(v2cTrap(snmp.PDUTrapV2, int32(i), snmp.MustParseOID(fmt.Sprintf("1.3.6.1.4.1.1.0.%d", i))))
	}
	var sum uint64
	for _, c := range f.traps() {
		sum += c
	}
	if sum != 10 || f.count(metrics.VersionV2c, metrics.ResultAccepted) != 10 {
		t.Errorf("sum over series = %d, accepted = %d; want 10, 10", sum, f.count(metrics.VersionV2c, metrics.ResultAccepted))
	}
	if got := f.traps()[metrics.Key{Device: metrics.OverflowLabel, Trap: metrics.OverflowLabel}]; got != 8 {
		t.Errorf("overflow = %d, want 8", got)
	}
}

func TestHandleConcurrent(t *testing.T) {
	f := newFixture(1000)
	trap := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				f.handle(trap)
			}
		}()
	}
	wg.Wait()
	if got := f.traps()[metrics.Key{Device: "192.0.2.7", Trap: "IF-MIB::linkDown"}]; got != 4000 {
		t.Errorf("count = %d, want 4000", got)
	}
}

func TestInformCacheBounds(t *testing.T) {
	c := newInformCache(10*time.Second, 3)
	now := time.Unix(0, 0)
	k := func(id int32) informKey { return informKey{src: src, requestID: id} }
	for id := range int32(5) {
		if !c.firstSeen(k(id), now) {
			t.Fatalf("id %d seen before", id)
		}
	}
	if n := c.len(); n != 3 {
		t.Fatalf("len = %d, want 3 (the bound)", n)
	}
	// The oldest were evicted: 0 and 1 count as new again, 4 does not.
	if c.firstSeen(k(4), now) {
		t.Error("id 4 not remembered")
	}
	if !c.firstSeen(k(0), now) {
		t.Error("id 0 still remembered after eviction")
	}
	// Everything is forgotten after the window.
	now = now.Add(10 * time.Second)
	c.firstSeen(k(100), now)
	if n := c.len(); n != 1 {
		t.Errorf("len after window = %d, want 1", n)
	}
}

// testNames stands in for the MIB table: the pipeline's tests are about
// the pipeline, the mib package tests the names.
type testNames map[string]string

func (n testNames) NotificationName(oid []byte) (string, bool) {
	name, ok := n[string(oid)]
	return name, ok
}

func (n testNames) AppendVarbind(dst, oid []byte, typ byte, value []byte) []byte {
	dst, _ = snmp.AppendOID(dst, oid)
	return fmt.Appendf(dst, " = %x", value)
}

var genericNames = testNames{
	"1.3.6.1.6.3.1.1.5.1": "SNMPv2-MIB::coldStart",
	"1.3.6.1.6.3.1.1.5.2": "SNMPv2-MIB::warmStart",
	"1.3.6.1.6.3.1.1.5.3": "IF-MIB::linkDown",
	"1.3.6.1.6.3.1.1.5.4": "IF-MIB::linkUp",
	"1.3.6.1.6.3.1.1.5.5": "SNMPv2-MIB::authenticationFailure",
}

func TestTrapLabel(t *testing.T) {
	f := newFixture(10)
	for in, want := range map[string]string{
		"1.3.6.1.6.3.1.1.5.3":    "IF-MIB::linkDown",
		"1.3.6.1.4.1.9.9.41.2.0": "1.3.6.1.4.1.9.9.41.2.0",
	} {
		if got, named := f.proc.TrapLabel([]byte(in)); got != want || named != (got != in) {
			t.Errorf("TrapLabel(%s) = %s, %v; want %s", in, got, named, want)
		}
	}
	// Untranslated traps are counted, under their numeric OID.
	f.handle(v2cTrap(snmp.PDUTrapV2, 1, snmp.MustParseOID("1.3.6.1.4.1.99999.0.1")))
	f.handle(v2cTrap(snmp.PDUTrapV2, 2, oidLinkDown))
	if n := f.packets.UntranslatedCount(); n != 1 {
		t.Errorf("untranslated = %d, want 1", n)
	}
	// A processor without names keeps every OID numeric.
	bare := New(metrics.NewStore(10, 0, nil), metrics.NewPackets(), Options{})
	if got, named := bare.TrapLabel([]byte("1.3.6.1.6.3.1.1.5.3")); got != "1.3.6.1.6.3.1.1.5.3" || named {
		t.Errorf("no names: %s, %v", got, named)
	}
}

// The v2c receive path allocates nothing in steady state: labels are
// interned, buffers pooled, the decoder slices its input.
func TestHandleDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	for _, history := range []*traps.History{
		nil,
		// The history copies into reused slots: with storms collapsed
		// (the same trap again) and without (every trap kept).
		traps.New(traps.Options{Size: 16, MaxBytes: 1 << 20, RefusedSize: 4, DedupWindow: time.Second}),
		traps.New(traps.Options{Size: 16, MaxBytes: 1 << 20, RefusedSize: 4}),
	} {
		f := newFixture(100)
		if history != nil {
			f.proc.history = history
		}
		for _, data := range [][]byte{
			v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown),
			v2cTrap(snmp.PDUTrapV2, 1, snmp.MustParseOID("1.3.6.1.4.1.99999.0.1")), // numeric label
		} {
			p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}
			for range 64 { // fill the rings
				f.proc.Handle(p, nil)
			}
			if n := testing.AllocsPerRun(1000, func() { f.proc.Handle(p, nil) }); n != 0 {
				t.Errorf("history %v, message %.12q: %v allocations per message, want 0", history != nil, data, n)
			}
		}
		// A refused message allocates its decode error; the history adds
		// nothing to that.
		p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: []byte("GET / HTTP/1.0")}
		bare := newFixture(100)
		without := testing.AllocsPerRun(1000, func() { bare.proc.Handle(p, nil) })
		with := testing.AllocsPerRun(1000, func() { f.proc.Handle(p, nil) })
		if with > without {
			t.Errorf("history %v: a refused message allocates %v times, %v without a history", history != nil, with, without)
		}
	}
}

// Keys stored concurrently are found, by the locked path first and by the
// published map once enough misses have merged them into it.
func TestInternerConcurrent(t *testing.T) {
	in := newInterner[int, string](1 << 20)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := i*4 + w
				if got := in.store(k, fmt.Sprint(k)); got != fmt.Sprint(k) {
					t.Errorf("store(%d) kept %q", k, got)
					return
				}
				if got, ok := in.lookup(k); !ok || got != fmt.Sprint(k) {
					t.Errorf("lookup(%d) = %q, %v", k, got, ok)
					return
				}
			}
		}()
	}
	wg.Wait()
	for k := range 8000 {
		if got, ok := in.lookup(k); !ok || got != fmt.Sprint(k) {
			t.Fatalf("lookup(%d) = %q, %v", k, got, ok)
		}
	}
	if n := len(in.published()); n < 4000 {
		t.Errorf("%d of 8000 keys published after repeated lookups", n)
	}
	s := newInterner[string, int](10)
	s.store("1.3.6", 7)
	if v, ok := lookupBytes(s, []byte("1.3.6")); !ok || v != 7 {
		t.Errorf("lookupBytes = %d, %v", v, ok)
	}
}

func TestInternerBounded(t *testing.T) {
	in := newInterner[int, string](3)
	for i := range 10 {
		in.store(i, fmt.Sprint(i))
	}
	if n := len(in.published()) + len(in.dirty); n > 3 {
		t.Errorf("%d entries, bound 3", n)
	}
	if s, ok := in.lookup(9); !ok || s != "9" {
		t.Errorf("lookup(9) = %q, %v", s, ok)
	}
}

// The trap labels are cached per name table: a new table (a reload, operator
// MIBs loaded) must not go on serving the old table's labels.
func TestSetNamesReplacesCachedLabels(t *testing.T) {
	store := metrics.NewStore(100, 0, nil)
	pr := New(store, metrics.NewPackets(), Options{})
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)}
	pr.Handle(p, nil)
	reconfigure(pr, func(s *Settings) { s.Names = genericNames })
	pr.Handle(p, nil)
	reconfigure(pr, func(s *Settings) { s.Names = nil })
	pr.Handle(p, nil)
	var got []string
	for _, s := range testfixtures.SeriesOf(store.Index()) {
		got = append(got, fmt.Sprintf("%s=%d", s.Trap, s.Count))
	}
	want := []string{"1.3.6.1.6.3.1.1.5.3=2", "IF-MIB::linkDown=1"}
	if !slices.Equal(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
}
