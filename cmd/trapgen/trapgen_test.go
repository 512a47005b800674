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

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
	"golang.org/x/net/ipv4"
)

var testV3 = v3Params{user: "ops", authPass: "auth-pass-ops", privPass: "priv-pass-ops", boots: 1, time: 1000}

func trapOID(t *testing.T, m *snmp.Message) []byte {
	t.Helper()
	oid, err := m.TrapOID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return oid
}

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
			if got := trapOID(t, &m); !bytes.Equal(got, want) {
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

// listen opens a counting UDP receiver on 127.0.0.1 that records the
// source addresses and, when ack is set, answers each inform.
func listen(t *testing.T) (addr string, count func() int64) {
	addr, count, _ = listenAck(t, false)
	return addr, count
}

func listenAck(t *testing.T, ack bool) (addr string, count func() int64, sources func() int) {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadBuffer(4 << 20)
	var n atomic.Int64
	var mu sync.Mutex
	srcs := map[string]bool{}
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
			mu.Lock()
			for _, m := range ms[:k] {
				srcs[m.Addr.(*net.UDPAddr).IP.String()] = true
			}
			mu.Unlock()
			if ack {
				var msg snmp.Message
				for _, m := range ms[:k] {
					if msg.Decode(m.Buffers[0][:m.N]) == nil && msg.PDUType == snmp.PDUInformRequest {
						conn.WriteTo(snmp.AppendResponse(nil, &msg), m.Addr)
					}
				}
			}
			n.Add(int64(k))
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return conn.LocalAddr().String(), n.Load, func() int { mu.Lock(); defer mu.Unlock(); return len(srcs) }
}

func waitFor(count func() int64, want int64) int64 {
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end) && count() < want; {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // nothing more should come
	return count()
}

func testConfig(target string) config {
	return config{target: target, kind: kindMix, count: 2000, duration: 5 * time.Second, sources: 4,
		sourceStart: "127.0.0.2", batch: 64, community: "public", v3: testV3, ackWait: 100 * time.Millisecond}
}

func TestFlatOutCount(t *testing.T) {
	for _, kind := range []string{kindMix, kindV3, kindInform} {
		addr, count, sources := listenAck(t, kind == kindInform)
		c := testConfig(addr)
		c.kind = kind
		res, err := run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		got := waitFor(count, 2000)
		t.Logf("%s: %v", kind, res)
		if res.sent != 2000 || res.errors != 0 || got != 2000 {
			t.Errorf("%s: sent %d errors %d, received %d; want 2000, 0, 2000", kind, res.sent, res.errors, got)
		}
		if n := sources(); n != 4 {
			t.Errorf("%s: %d source addresses, want 4", kind, n)
		}
		if kind == kindInform && res.acks != 2000 {
			t.Errorf("inform: %d acks read back of 2000", res.acks)
		}
	}
}

func TestRate(t *testing.T) {
	addr, count := listen(t)
	c := testConfig(addr)
	c.kind, c.rate, c.count, c.duration = kindV2c, 20000, 1_000_000, 500*time.Millisecond
	res, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	got := waitFor(count, res.sent)
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
		oid, err := snmp.AppendOID(nil, trapOID(t, &msg))
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
	addr, count := listen(t)
	c := testConfig(addr)
	c.kind, c.longOIDs, c.count = kindV2c, 12, 300
	res, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitFor(count, 300); res.sent != 300 || got != 300 {
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
