package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
	"golang.org/x/net/ipv4"
)

var testV3 = v3Params{user: "ops", authPass: "auth-pass-ops", privPass: "priv-pass-ops", boots: 1, time: 1000}

func TestPoolsDecode(t *testing.T) {
	for _, kind := range kinds {
		pl, err := buildPool(kind, []byte("public"), testV3, 10, 64)
		if err != nil {
			t.Fatal(kind, err)
		}
		k := localize(testV3)
		for i, b := range pl.msgs[:4] {
			if pl.idAt >= 0 {
				pl.setRequestID(b, uint64(i)+7)
			}
			var m snmp.Message
			if err := m.Decode(b); err != nil {
				t.Fatalf("%s #%d: %v", kind, i, err)
			}
			wantVersion, wantPDU := snmp.V2c, snmp.PDUTrapV2
			switch {
			case kind == kindV1 || kind == kindMix && i%2 == 0:
				wantVersion, wantPDU = snmp.V1, snmp.PDUTrapV1
			case kind == kindInform:
				wantPDU = snmp.PDUInformRequest
				if m.RequestID != informIDBase+int32(i)+7 {
					t.Errorf("inform #%d: request-id %#x", i, m.RequestID)
				}
			case kind == kindV3:
				wantVersion = snmp.V3
				v := &m.V3
				if string(v.UserName) != "ops" || !bytes.Equal(v.EngineID, engineID) || v.MsgID != int32(i+1) {
					t.Errorf("v3 #%d: header %+v", i, v)
				}
				whole := bytes.Clone(b)
				clear(whole[v.AuthOffset : v.AuthOffset+len(v.AuthParams)])
				if !usm.AuthSHA.Verify(k.auth, whole, v.AuthParams) {
					t.Fatalf("v3 #%d: MAC does not verify", i)
				}
				plain, err := usm.Decrypt(usm.PrivAES, k.priv, uint32(v.EngineBoots), uint32(v.EngineTime), v.PrivParams, v.Encrypted, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := m.DecodeScopedPDU(plain); err != nil {
					t.Fatalf("v3 #%d: %v", i, err)
				}
				if m.RequestID != int32(i+1) {
					t.Errorf("v3 #%d: request-id %d", i, m.RequestID)
				}
			}
			if m.Version != wantVersion || m.PDUType != wantPDU {
				t.Errorf("%s #%d: %v %v, want %v %v", kind, i, m.Version, m.PDUType, wantVersion, wantPDU)
			}
			j := i
			if kind == kindMix {
				j = i / 2
			}
			n, up, _ := template(j)
			want := oidLinkDown
			if up {
				want = oidLinkUp
			}
			if got := testfixtures.TrapOID(t, &m); !bytes.Equal(got, want) {
				t.Errorf("%s #%d: trap OID %x, want %x", kind, i, got, want)
			}
			wantDescr := "GigabitEthernet0/" + strconv.Itoa(n)
			wantVBs := 6
			if m.Version == snmp.V1 {
				wantVBs = 4
			}
			if len(m.Varbinds) != wantVBs || string(m.Varbinds[len(m.Varbinds)-1].Value) != wantDescr {
				t.Errorf("%s #%d: varbinds %+v", kind, i, m.Varbinds)
			}
			if i == 0 {
				t.Logf("%s message: %d bytes", kind, len(b))
			}
		}
	}
	// Each v3 message is distinct.
	pl, _ := buildPool(kindV3, nil, testV3, 100, 64)
	seen := map[string]bool{}
	for _, b := range pl.msgs {
		seen[string(b)] = true
	}
	if len(seen) != 100 {
		t.Errorf("%d distinct v3 messages of 100", len(seen))
	}
}

// sink is a counting UDP receiver on 127.0.0.1 that records the source
// addresses and, when it acks, answers each inform.
type sink struct {
	addr     string
	n        atomic.Int64 // datagrams received, barriers aside
	barriers atomic.Int64 // barriers received
	mu       sync.Mutex
	srcs     map[string]bool
}

// barrier is the datagram received sends after trapgen's: trapgen never
// sends it, and the sink does not count it.
var barrier = []byte("trapgen test barrier")

func listen(t *testing.T, ack bool) *sink {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadBuffer(4 << 20)
	s := &sink{addr: conn.LocalAddr().String(), srcs: map[string]bool{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pc := ipv4.NewPacketConn(conn)
		ms := make([]ipv4.Message, 64)
		for i := range ms {
			ms[i].Buffers = [][]byte{make([]byte, 1500)}
		}
		for {
			k, err := pc.ReadBatch(ms, 0)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			var counted, barriers int64
			s.mu.Lock()
			for _, m := range ms[:k] {
				if bytes.Equal(m.Buffers[0][:m.N], barrier) {
					barriers++
					continue
				}
				counted++
				s.srcs[m.Addr.(*net.UDPAddr).IP.String()] = true
			}
			s.mu.Unlock()
			if ack {
				var msg snmp.Message
				for _, m := range ms[:k] {
					if msg.Decode(m.Buffers[0][:m.N]) == nil && msg.PDUType == snmp.PDUInformRequest {
						conn.WriteTo(snmp.AppendResponse(nil, &msg), m.Addr)
					}
				}
			}
			// The count first: once a barrier is seen, so is everything
			// read before it.
			s.n.Add(counted)
			s.barriers.Add(barriers)
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return s
}

func (s *sink) sources() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.srcs)
}

// received returns how many datagrams trapgen sent to s, once run has
// returned. It waits (with a deadline) for want of them, then sends a
// barrier from another socket and waits for that: on loopback a datagram
// is queued on the receiving socket during the send call that sends it, so
// whatever trapgen sent before run returned is read before the barrier, and
// the count is final when the barrier arrives. A shortfall is returned for
// the caller to report; a surplus arrives before the barrier and is counted.
func (s *sink) received(t *testing.T, want int64) int64 {
	t.Helper()
	testfixtures.Eventually(testfixtures.WaitTimeout, func() bool { return s.n.Load() >= want })
	seen := s.barriers.Load()
	c, err := net.Dial("udp4", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(barrier); err != nil {
		t.Fatal(err)
	}
	testfixtures.WaitFor(t, "the barrier after trapgen's datagrams", func() bool { return s.barriers.Load() > seen })
	return s.n.Load()
}

func testConfig(target string) config {
	return config{target: target, kind: kindMix, count: 2000, duration: 5 * time.Second, sources: 4,
		sourceStart: "127.0.0.2", batch: 64, community: "public", v3: testV3, ackWait: 100 * time.Millisecond}
}

func TestFlatOutCount(t *testing.T) {
	for _, kind := range []string{kindMix, kindV3, kindInform} {
		rx := listen(t, kind == kindInform)
		c := testConfig(rx.addr)
		c.kind = kind
		res, err := run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		got := rx.received(t, 2000)
		t.Logf("%s: %v", kind, res)
		if res.sent != 2000 || res.errors != 0 || got != 2000 {
			t.Errorf("%s: sent %d errors %d, received %d; want 2000, 0, 2000", kind, res.sent, res.errors, got)
		}
		if n := rx.sources(); n != 4 {
			t.Errorf("%s: %d source addresses, want 4", kind, n)
		}
		if kind == kindInform && res.acks != 2000 {
			t.Errorf("inform: %d acks read back of 2000", res.acks)
		}
	}
}

func TestRate(t *testing.T) {
	rx := listen(t, false)
	c := testConfig(rx.addr)
	c.kind, c.rate, c.count, c.duration = kindV2c, 20000, 1_000_000, 500*time.Millisecond
	res, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	got := rx.received(t, res.sent)
	t.Logf("%v received=%d", res, got)
	if res.sent < 9500 || res.sent > 10500 {
		t.Errorf("sent %d at 20000/s for 0.5 s, want 10000±5%%", res.sent)
	}
	if got != res.sent {
		t.Errorf("received %d of %d", got, res.sent)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, tc := range []struct{ target, start string }{
		{"192.0.2.1:162", "127.0.0.2"},
		{"[2001:db8::1]:162", "127.0.0.2"},
		{"127.0.0.1:162", "10.0.0.2"},
		{"127.0.0.1:162", "127.255.255.253"}, // 4 sources would leave 127/8
		{"localhost:162", "127.0.0.2"},       // names are not looked up
	} {
		c := testConfig(tc.target)
		c.sourceStart = tc.start
		_, err := run(context.Background(), c)
		if err == nil {
			t.Errorf("%s from %s: not refused", tc.target, tc.start)
			continue
		}
		if tc.target != "localhost:162" && !errors.Is(err, errNotLoopback) {
			t.Errorf("%s from %s: %v", tc.target, tc.start, err)
		}
		t.Log(err)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(strings.Fields("--target 127.0.0.5:1162 --kind v3 --rate 5000 --count 7 --duration 2s --sources 3 --batch 8 --user u --auth-pass a1234567 --priv-pass p1234567"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.target != "127.0.0.5:1162" || c.kind != kindV3 || c.rate != 5000 || c.count != 7 || c.duration != 2*time.Second ||
		c.sources != 3 || c.batch != 8 || c.v3.user != "u" || c.v3.authPass != "a1234567" || c.v3.privPass != "p1234567" {
		t.Errorf("%+v", c)
	}
	if err := (&config{count: 0, duration: time.Second, sources: 1, batch: 1}).validate(); err == nil {
		t.Error("--count 0 accepted")
	}
}

// TestTrapTypes checks that --trap-types cycles through that many distinct
// trap OIDs, and is refused beyond its bounds or for other kinds.
func TestTrapTypes(t *testing.T) {
	pl := trapTypesPool([]byte("public"), 5)
	seen := map[string]bool{}
	for i, b := range pl.msgs {
		var m snmp.Message
		if err := m.Decode(b); err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if m.Version != snmp.V2c || m.PDUType != snmp.PDUTrapV2 {
			t.Fatalf("#%d: %v %v", i, m.Version, m.PDUType)
		}
		seen[string(b)] = true
	}
	if len(pl.msgs) != 5 || len(seen) != 5 {
		t.Errorf("%d messages, %d distinct; want 5", len(pl.msgs), len(seen))
	}
	base := config{count: 1, duration: time.Second, sources: 1, batch: 1, kind: kindV2c}
	for _, tc := range []struct {
		kind string
		n    int
		ok   bool
	}{{kindV2c, 8, true}, {kindV2c, maxTrapTypes + 1, false}, {kindV2c, -1, false}, {kindMix, 8, false}} {
		c := base
		c.kind, c.trapTypes = tc.kind, tc.n
		if err := c.validate(); (err == nil) != tc.ok {
			t.Errorf("--kind %s --trap-types %d: %v", tc.kind, tc.n, err)
		}
	}
}

// TestLongOIDs checks that --long-oids gives every message sent a trap OID
// of its own with that many arcs, and is refused out of its bounds or with
// other kinds and --trap-types.
func TestLongOIDs(t *testing.T) {
	pl, err := longOIDsPool([]byte("public"), maxLongOIDArcs, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.msgs) != 4 || pl.arcAt < 0 {
		t.Fatalf("%d messages, last arc at %d", len(pl.msgs), pl.arcAt)
	}
	seen := map[string]bool{}
	for _, seq := range []uint64{0, 1, 127, 128, 1 << 20, longArcSpan - 1, longArcSpan} {
		m := pl.msgs[seq%4]
		pl.setArc(m, seq)
		var msg snmp.Message
		if err := msg.Decode(m); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		oid, err := snmp.AppendOID(nil, testfixtures.TrapOID(t, &msg))
		if err != nil {
			t.Fatal(err)
		}
		want := longOID(maxLongOIDArcs, uint32(longArcBase+seq%longArcSpan))
		if string(oid) != want {
			t.Errorf("seq %d: trap OID %s, want %s", seq, oid, want)
		}
		if arcs := strings.Count(string(oid), ".") + 1; arcs != maxLongOIDArcs {
			t.Errorf("seq %d: %d arcs", seq, arcs)
		}
		seen[string(oid)] = true
	}
	if len(seen) != 6 { // longArcSpan wraps round to 0
		t.Errorf("%d distinct trap OIDs of 7, want 6", len(seen))
	}

	// Sent: each message a distinct trap OID.
	rx := listen(t, false)
	c := testConfig(rx.addr)
	c.kind, c.longOIDs, c.count = kindV2c, 12, 300
	res, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got := rx.received(t, 300); res.sent != 300 || got != 300 {
		t.Errorf("sent %d, received %d; want 300", res.sent, got)
	}

	base := config{count: 1, duration: time.Second, sources: 1, batch: 1, kind: kindV2c}
	for _, tc := range []struct {
		kind     string
		n, types int
		ok       bool
	}{
		{kindV2c, 128, 0, true}, {kindV2c, 10, 0, true}, {kindV2c, 9, 0, false}, {kindV2c, 129, 0, false},
		{kindV2c, -1, 0, false}, {kindMix, 128, 0, false}, {kindV2c, 128, 8, false},
	} {
		c := base
		c.kind, c.longOIDs, c.trapTypes = tc.kind, tc.n, tc.types
		if err := c.validate(); (err == nil) != tc.ok {
			t.Errorf("--kind %s --long-oids %d --trap-types %d: %v", tc.kind, tc.n, tc.types, err)
		}
	}
}
