package forward

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"

	"github.com/go-kit/log"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

var (
	oidLinkDown   = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")
	oidLinkUp     = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.4")
	oidIfIndex2   = snmp.MustParseOID("1.3.6.1.2.1.2.2.1.1.2")
	oidEnterprise = snmp.MustParseOID("1.3.6.1.4.1.45.1.6.2") // a SynOptics agent
)

func v2cTrap(trapOID []byte, extra ...snmp.Varbind) []byte {
	vbs := []snmp.Varbind{
		{OID: []byte(snmp.OIDSysUpTime), Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(4242)},
		{OID: []byte(snmp.OIDSnmpTrapOID), Type: snmp.TagObjectIdentifier, Value: trapOID},
		{OID: oidIfIndex2, Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
	}
	return snmp.AppendTrapV2(nil, snmp.V2c, []byte("their-secret"), snmp.PDUTrapV2, 7, append(vbs, extra...))
}

// trap decodes a message into what the pipeline offers.
func trap(t testing.TB, data []byte, addr string) *Trap {
	t.Helper()
	m := &snmp.Message{}
	if err := m.Decode(data); err != nil {
		t.Fatal(err)
	}
	oid, err := m.TrapOID(nil)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr(addr)
	return &Trap{Data: data, Msg: m, TrapOID: oid, Addr: a, Device: a.String()}
}

func decode(t *testing.T, b []byte) *snmp.Message {
	t.Helper()
	m := &snmp.Message{}
	if err := m.Decode(b); err != nil {
		t.Fatalf("forwarded message does not decode: %v", err)
	}
	return m
}

func find(m *snmp.Message, oid []byte) (snmp.Varbind, int) {
	for i, vb := range m.Varbinds {
		if bytes.Equal(vb.OID, oid) {
			return vb, i
		}
	}
	return snmp.Varbind{}, -1
}

// An SNMPv1 trap becomes the SNMPv2-Trap of RFC 3584 §3.1, with the agent
// in snmpTrapAddress.0 and no community.
func TestV2VarbindsFromV1(t *testing.T) {
	data := snmp.AppendTrapV1(nil, []byte("their-secret"), oidEnterprise, [4]byte{10, 0, 0, 5}, 6, 3, 123456,
		[]snmp.Varbind{{OID: oidIfIndex2, Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
			{OID: []byte(snmp.OIDSnmpTrapCommunity), Type: snmp.TagOctetString, Value: []byte("their-secret")}})
	tr := trap(t, data, "10.0.0.5")
	out := snmp.AppendTrapV2(nil, snmp.V2c, []byte("ours"), snmp.PDUTrapV2, 1, v2Varbinds(tr))
	m := decode(t, out)
	if len(m.Varbinds) < 5 {
		t.Fatalf("%d varbinds", len(m.Varbinds))
	}
	if !bytes.Equal(m.Varbinds[0].OID, []byte(snmp.OIDSysUpTime)) || !bytes.Equal(m.Varbinds[0].Value, snmp.UnsignedValue(123456)) {
		t.Errorf("first varbind %+v, want sysUpTime.0 = 123456", m.Varbinds[0])
	}
	want := append(append([]byte(nil), oidEnterprise...), 0, 3) // enterprise.0.specific
	if !bytes.Equal(m.Varbinds[1].OID, []byte(snmp.OIDSnmpTrapOID)) || !bytes.Equal(m.Varbinds[1].Value, want) {
		t.Errorf("second varbind %+v, want snmpTrapOID.0 = enterprise.0.3", m.Varbinds[1])
	}
	if vb, i := find(m, oidIfIndex2); i != 2 || !bytes.Equal(vb.Value, []byte{2}) {
		t.Errorf("ifIndex at %d = %v", i, vb.Value)
	}
	if vb, i := find(m, []byte(snmp.OIDSnmpTrapAddress)); i < 0 || vb.Type != snmp.TagIPAddress || !bytes.Equal(vb.Value, []byte{10, 0, 0, 5}) {
		t.Errorf("snmpTrapAddress.0 %+v at %d", vb, i)
	}
	if vb, i := find(m, []byte(snmp.OIDSnmpTrapEnterprise)); i < 0 || !bytes.Equal(vb.Value, oidEnterprise) {
		t.Errorf("snmpTrapEnterprise.0 %+v at %d", vb, i)
	}
	if _, i := find(m, []byte(snmp.OIDSnmpTrapCommunity)); i >= 0 || bytes.Contains(out, []byte("their-secret")) {
		t.Error("the received community is forwarded")
	}
	// The generic traps map to snmpTraps.
	gen := snmp.AppendTrapV1(nil, []byte("c"), oidEnterprise, [4]byte{10, 0, 0, 5}, 2, 0, 1, nil)
	m = decode(t, snmp.AppendTrapV2(nil, snmp.V2c, []byte("c"), snmp.PDUTrapV2, 1, v2Varbinds(trap(t, gen, "10.0.0.5"))))
	if !bytes.Equal(m.Varbinds[1].Value, oidLinkDown) {
		t.Errorf("generic trap 2 became %x, want linkDown", m.Varbinds[1].Value)
	}
}

// A v2c trap keeps its varbinds; snmpTrapAddress.0 names the device the
// exporter counted it under, replacing one the sender put there.
func TestV2VarbindsFromV2c(t *testing.T) {
	data := v2cTrap(oidLinkDown, snmp.Varbind{OID: []byte(snmp.OIDSnmpTrapAddress), Type: snmp.TagIPAddress, Value: []byte{192, 0, 2, 99}})
	tr := trap(t, data, "10.1.2.3")
	vbs := v2Varbinds(tr)
	data[len(data)-1] ^= 0xff // the pipeline's scratch is reused: the copy must not care
	m := decode(t, snmp.AppendTrapV2(nil, snmp.V2c, []byte("c"), snmp.PDUTrapV2, 1, vbs))
	if len(m.Varbinds) != 4 {
		t.Fatalf("%d varbinds, want 4", len(m.Varbinds))
	}
	if !bytes.Equal(m.Varbinds[1].Value, oidLinkDown) {
		t.Error("snmpTrapOID.0 changed")
	}
	if vb, _ := find(m, []byte(snmp.OIDSnmpTrapAddress)); !bytes.Equal(vb.Value, []byte{10, 1, 2, 3}) {
		t.Errorf("snmpTrapAddress.0 = %v, want 10.1.2.3", vb.Value)
	}
	// An IPv6 device has no IpAddress: the sender's own is kept.
	m = decode(t, snmp.AppendTrapV2(nil, snmp.V2c, []byte("c"), snmp.PDUTrapV2, 1, v2Varbinds(trap(t, v2cTrap(oidLinkDown,
		snmp.Varbind{OID: []byte(snmp.OIDSnmpTrapAddress), Type: snmp.TagIPAddress, Value: []byte{192, 0, 2, 99}}), "2001:db8::1"))))
	if vb, _ := find(m, []byte(snmp.OIDSnmpTrapAddress)); !bytes.Equal(vb.Value, []byte{192, 0, 2, 99}) {
		t.Errorf("IPv6 device: snmpTrapAddress.0 = %v, want the trap's own", vb.Value)
	}
}

// udpDest is a UDP destination that records what it gets and, for
// informs, acknowledges all but the first skip of each request-id.
type udpDest struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  [][]byte
	skip int
	seen map[int32]int
}

func newUDPDest(t *testing.T, skip int) *udpDest {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(8 << 20)
	d := &udpDest{conn: c, skip: skip, seen: map[int32]int{}}
	t.Cleanup(func() { c.Close() })
	go func() {
		b := make([]byte, 65536)
		for {
			n, from, err := c.ReadFromUDP(b)
			if err != nil {
				return
			}
			msg := append([]byte(nil), b[:n]...)
			d.mu.Lock()
			d.got = append(d.got, msg)
			var m snmp.Message
			ack := false
			if m.Decode(msg) == nil && m.PDUType == snmp.PDUInformRequest {
				d.seen[m.RequestID]++
				ack = d.seen[m.RequestID] > d.skip
			}
			d.mu.Unlock()
			if ack {
				c.WriteToUDP(snmp.AppendResponse(nil, &m), from)
			}
		}
	}()
	return d
}

func (d *udpDest) address() string { return "udp://" + d.conn.LocalAddr().String() }

func (d *udpDest) messages() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.got...)
}

func (d *udpDest) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := d.messages()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func plan(t *testing.T, fs ...config.Forward) *Plan {
	t.Helper()
	p, err := Compile(fs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitStats(t *testing.T, m *Manager, i int, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := m.Stats()[i]
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRawForwardsTheBytes(t *testing.T) {
	d := newUDPDest(t, 0)
	m := NewManager(Options{})
	defer m.Stop()
	set := m.Apply(plan(t, config.Forward{Address: d.address()}))
	data := v2cTrap(oidLinkDown)
	set.Offer(trap(t, data, "10.1.2.3"))
	got := d.wait(t, 1)
	if len(got) != 1 || !bytes.Equal(got[0], data) {
		t.Fatalf("got %x, want %x", got, data)
	}
	waitStats(t, m, 0, func(s Stats) bool { return s.Sent == 1 && s.Queue == 0 })
}

// Filters by trap (name, module, numeric prefix) and device (name,
// prefix); a v2c destination gets its own community and the device.
func TestFiltersAndV2c(t *testing.T) {
	all, downs, tenNet, named := newUDPDest(t, 0), newUDPDest(t, 0), newUDPDest(t, 0), newUDPDest(t, 0)
	m := NewManager(Options{})
	defer m.Stop()
	set := m.Apply(plan(t,
		config.Forward{Address: all.address(), Mode: "v2c", Community: "ours"},
		config.Forward{Address: downs.address(), Traps: []string{"IF-MIB::linkDown"}},
		config.Forward{Address: tenNet.address(), Devices: []string{"10.0.0.0/8"}, Traps: []string{"1.3.6.1.6.3.1.1.5"}},
		config.Forward{Address: named.address(), Devices: []string{"core-sw1"}},
	))
	for _, tc := range []struct {
		oid  []byte
		addr string
		name string
	}{
		{oidLinkDown, "10.1.2.3", ""},
		{oidLinkUp, "10.1.2.3", ""},
		{oidLinkDown, "192.0.2.1", "core-sw1"},
		{snmp.MustParseOID("1.3.6.1.4.1.9.9.41.2.0.1"), "10.9.9.9", ""},
	} {
		tr := trap(t, v2cTrap(tc.oid), tc.addr)
		if tc.name != "" {
			tr.Device = tc.name
		}
		set.Offer(tr)
	}
	if got := all.wait(t, 4); len(got) != 4 {
		t.Fatalf("all: %d messages, want 4", len(got))
	}
	for _, msg := range all.messages() {
		m := decode(t, msg)
		if m.Version != snmp.V2c || string(m.Community) != "ours" || m.PDUType != snmp.PDUTrapV2 {
			t.Errorf("v2c destination got version %v community %q pdu %v", m.Version, m.Community, m.PDUType)
		}
		if _, i := find(m, []byte(snmp.OIDSnmpTrapAddress)); i < 0 {
			t.Error("no snmpTrapAddress.0")
		}
	}
	time.Sleep(100 * time.Millisecond) // the others have had their chance
	for _, c := range []struct {
		name string
		d    *udpDest
		want int
	}{{"linkDown", downs, 2}, {"10/8 and snmpTraps", tenNet, 2}, {"core-sw1", named, 1}} {
		if got := len(c.d.messages()); got != c.want {
			t.Errorf("%s: %d messages, want %d", c.name, got, c.want)
		}
	}
	if _, err := Compile([]config.Forward{{Address: "udp://127.0.0.1:1", Traps: []string{"NO-SUCH-MIB::x"}}}, nil); err == nil ||
		!strings.Contains(err.Error(), "forward[0]") {
		t.Errorf("unknown trap name: err = %v", err)
	}
}

// An inform is sent again until it is acknowledged, and fails after the
// retries.
func TestInformRetries(t *testing.T) {
	acks, never := newUDPDest(t, 2), newUDPDest(t, 1000)
	m := NewManager(Options{InformTimeout: 20 * time.Millisecond, InformRetries: 3})
	defer m.Stop()
	set := m.Apply(plan(t,
		config.Forward{Address: acks.address(), Mode: "inform", Community: "ours"},
		config.Forward{Address: never.address(), Mode: "inform", Community: "ours"},
	))
	set.Offer(trap(t, v2cTrap(oidLinkDown), "10.1.2.3"))
	s := waitStats(t, m, 0, func(s Stats) bool { return s.Sent+s.Failed == 1 })
	if s.Sent != 1 || s.Retried != 2 {
		t.Errorf("acknowledged on the third try: %+v, want sent 1, retried 2", s)
	}
	s = waitStats(t, m, 1, func(s Stats) bool { return s.Sent+s.Failed == 1 })
	if s.Failed != 1 || s.Retried != 3 || len(never.messages()) != 4 {
		t.Errorf("never acknowledged: %+v and %d sent, want failed 1, retried 3, 4 sent", s, len(never.messages()))
	}
	got := decode(t, acks.messages()[0])
	if got.PDUType != snmp.PDUInformRequest {
		t.Errorf("pdu %v", got.PDUType)
	}
}

// Informs over TCP: each is framed on the stream and acknowledged on it.
func TestInformOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var got atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					b, err := readMessage(r)
					if err != nil {
						return
					}
					var m snmp.Message
					if m.Decode(b) == nil {
						got.Add(1)
						c.Write(snmp.AppendResponse(nil, &m))
					}
				}
			}()
		}
	}()
	m := NewManager(Options{InformTimeout: time.Second})
	defer m.Stop()
	set := m.Apply(plan(t, config.Forward{Address: "tcp://" + ln.Addr().String(), Mode: "inform", Community: "ours"}))
	for range 20 {
		set.Offer(trap(t, v2cTrap(oidLinkDown), "10.1.2.3"))
	}
	s := waitStats(t, m, 0, func(s Stats) bool { return s.Sent+s.Failed == 20 })
	if s.Sent != 20 || s.Retried != 0 || got.Load() != 20 {
		t.Errorf("%+v, receiver got %d, want 20 sent and acknowledged", s, got.Load())
	}
}

// A destination that accepts a TCP connection and never reads (its
// window fills, writes block) slows neither Offer nor another
// destination; its overflow is counted as dropped.
func TestStuckDestinationBlocksNothing(t *testing.T) {
	stuck := stuckListener(t)
	live := newUDPDest(t, 0)
	m := NewManager(Options{QueueSize: 100, QueueBytes: 16 << 20, DrainTimeout: 100 * time.Millisecond})
	set := m.Apply(plan(t,
		config.Forward{Address: stuck},
		config.Forward{Address: live.address()},
	))
	big := v2cTrap(oidLinkDown, snmp.Varbind{OID: oidIfIndex2, Type: snmp.TagOctetString, Value: bytes.Repeat([]byte("x"), 60000)})
	const n = 1000
	var slowest time.Duration
	for range n {
		start := time.Now()
		set.Offer(trap(t, big, "10.1.2.3"))
		slowest = max(slowest, time.Since(start))
		time.Sleep(200 * time.Microsecond)
	}
	// Not a speed claim: an Offer that waited for the stuck destination
	// would take its write timeout (5 s).
	if slowest > time.Second {
		t.Errorf("slowest Offer took %v", slowest)
	}
	// Sent means handed to the kernel; the test's socket may still drop
	// a datagram of 60 KB when the machine is busy.
	if s := waitStats(t, m, 1, func(s Stats) bool { return s.Sent+s.Dropped+s.Failed == n }); s.Sent != n {
		t.Errorf("the live destination: %+v, want all %d sent", s, n)
	}
	if got := live.wait(t, n); len(got) < n*9/10 {
		t.Errorf("the live destination got %d of %d", len(got), n)
	}
	s := m.Stats()[0]
	if s.Dropped == 0 || s.Sent+s.Failed+s.Dropped+uint64(s.Queue) > n+1 {
		t.Errorf("stuck destination: %+v", s)
	}
	start := time.Now()
	m.Stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %v with a drain timeout of 100ms", d)
	}
}

// stuckListener is a TCP destination that accepts connections and never
// reads them: its window fills and writes block.
func stuckListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never read
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return "tcp://" + ln.Addr().String()
}

// A queue's byte bound holds before its count bound: 1 MiB is 17 traps
// of 60 KB, against room for 100.
func TestQueueByteBound(t *testing.T) {
	stuck := stuckListener(t)
	m := NewManager(Options{QueueSize: 100, QueueBytes: 1 << 20, DrainTimeout: 100 * time.Millisecond})
	defer m.Stop()
	set := m.Apply(plan(t, config.Forward{Address: stuck}))
	big := v2cTrap(oidLinkDown, snmp.Varbind{OID: oidIfIndex2, Type: snmp.TagOctetString, Value: bytes.Repeat([]byte("x"), 60000)})
	tr := trap(t, big, "10.1.2.3")
	maxQueue := 0
	for range 300 {
		set.Offer(tr)
		maxQueue = max(maxQueue, m.Stats()[0].Queue)
	}
	if limit := (1 << 20) / len(big); maxQueue > limit || maxQueue == 0 {
		t.Errorf("queue held up to %d traps of %d bytes, want 1 to %d (1 MiB)", maxQueue, len(big), limit)
	}
	if s := m.Stats()[0]; s.Dropped == 0 {
		t.Errorf("nothing dropped: %+v", s)
	}
}

// A reload keeps a destination whose address, mode and community stay
// (with its queue), retires one that is gone and says what became of its
// queue, and starts a new one.
func TestApplyKeepsAndRetires(t *testing.T) {
	a, b, c := newUDPDest(t, 0), newUDPDest(t, 0), newUDPDest(t, 0)
	var logs syncBuffer
	m := NewManager(Options{Logger: log.NewLogfmtLogger(&logs)})
	defer m.Stop()
	m.Apply(plan(t, config.Forward{Address: a.address()}, config.Forward{Address: b.address()}))
	var kept *sender
	for _, s := range m.senders {
		if s.dest == a.address() {
			kept = s
		}
	}
	set := m.Apply(plan(t, config.Forward{Address: a.address(), Devices: []string{"10.0.0.0/8"}}, config.Forward{Address: c.address()}))
	if len(set.routes) != 2 || set.routes[0].s != kept {
		t.Error("destination a got a new sender")
	}
	stats := m.Stats()
	if len(stats) != 2 || stats[0].Destination != a.address() || stats[1].Destination != c.address() {
		t.Errorf("stats %+v", stats)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "forward destination stopped") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l := logs.String(); !strings.Contains(l, "destination="+b.address()) || !strings.Contains(l, "dropped=0") {
		t.Errorf("log: %s", l)
	}
	set.Offer(trap(t, v2cTrap(oidLinkDown), "192.0.2.1")) // not 10/8: c only
	c.wait(t, 1)
	time.Sleep(50 * time.Millisecond)
	if len(a.messages()) != 0 || len(b.messages()) != 0 {
		t.Error("a filtered or retired destination got the trap")
	}
	if m.Apply(&Plan{}) != nil {
		t.Error("no destinations: want a nil set")
	}
}

// No community reaches a log line, whatever fails.
func TestNoCommunityInLogs(t *testing.T) {
	var logs syncBuffer
	m := NewManager(Options{Logger: log.NewLogfmtLogger(&logs), InformTimeout: 10 * time.Millisecond, InformRetries: 1, DrainTimeout: 50 * time.Millisecond})
	set := m.Apply(plan(t,
		config.Forward{Address: "tcp://127.0.0.1:1", Mode: "v2c", Community: "hush-hush-community"},
		config.Forward{Address: "udp://127.0.0.1:1", Mode: "inform", Community: "hush-hush-community"},
	))
	set.Offer(trap(t, v2cTrap(oidLinkDown), "10.1.2.3"))
	waitStats(t, m, 1, func(s Stats) bool { return s.Failed == 1 })
	m.Stop()
	if strings.Contains(logs.String(), "hush") {
		t.Errorf("a community in the log: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "inform not acknowledged") {
		t.Errorf("no line about the failure: %s", logs.String())
	}
}

// readMessage takes whatever a TCP peer sends without panicking or
// reading past what it announced.
func FuzzReadMessage(f *testing.F) {
	f.Add(snmp.AppendResponse(nil, &snmp.Message{Version: snmp.V2c, Community: []byte("c"), RequestID: 1}))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x30, 0x82, 0xff})
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, err := readMessage(bufio.NewReader(bytes.NewReader(b)))
		if err == nil && (len(msg) > len(b) || !bytes.Equal(msg, b[:len(msg)])) {
			t.Fatalf("read %x from %x", msg, b)
		}
	})
}

// syncBuffer is the shared concurrent-safe buffer.
type syncBuffer = testfixtures.SyncBuffer

// Stop is bounded by the drain timeout even while an inform waits long
// for its acknowledgement.
func TestStopInterruptsInformWait(t *testing.T) {
	never := newUDPDest(t, 1000)
	m := NewManager(Options{InformTimeout: 10 * time.Second, DrainTimeout: 100 * time.Millisecond})
	set := m.Apply(plan(t, config.Forward{Address: never.address(), Mode: "inform", Community: "c"}))
	for range 5 {
		set.Offer(trap(t, v2cTrap(oidLinkDown), "10.1.2.3"))
	}
	never.wait(t, 1) // the first is sent and waits
	start := time.Now()
	m.Stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %v with a drain timeout of 100ms", d)
	}
}
