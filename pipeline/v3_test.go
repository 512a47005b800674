package pipeline

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// sender builds SNMPv3 messages as a USM user of some engine would.
type sender struct {
	user             string
	auth             usm.AuthProtocol
	priv             usm.PrivProtocol
	authPass         string
	privPass         string
	engineID         []byte
	boots, time      int32
	flags            byte
	msgID, requestID int32
	// maxSize is msgMaxSize; 0 means 65507, as net-snmp sends.
	maxSize int32
	// contextEngine is the scoped PDU's contextEngineID; nil: engineID.
	// An inform's sender names its own engine there (net-snmp does).
	contextEngine []byte
	// Keys already localized for engineID; computed on first use when nil.
	authKey, privKey []byte
}

func (s sender) build(t *testing.T, pdu snmp.PDUType, trapOID []byte) []byte {
	t.Helper()
	contextEngine := s.contextEngine
	if contextEngine == nil {
		contextEngine = s.engineID
	}
	scoped := snmp.AppendScopedPDU(nil, contextEngine, nil, pdu, s.requestID, 0, 0, v2Varbinds(trapOID))
	maxSize := s.maxSize
	if maxSize == 0 {
		maxSize = 65507
	}
	h := &snmp.V3Header{MsgID: s.msgID, MaxSize: maxSize, Flags: s.flags, EngineID: s.engineID, Boots: s.boots, Time: s.time,
		UserName: []byte(s.user)}
	data := scoped
	if s.flags&snmp.FlagAuth != 0 {
		h.MACLen = s.auth.MACLen()
	}
	if s.flags&snmp.FlagPriv != 0 {
		key := s.privKey
		if key == nil {
			key = usm.LocalizePrivKey(s.auth, s.priv, usm.PasswordToKey(s.auth, []byte(s.privPass)), s.engineID)
		}
		ct, pp, err := usm.Encrypt(s.priv, key, uint32(s.boots), uint32(s.time), [8]byte{0, 0, 0, 0, 0, 0, 0, byte(s.msgID)}, scoped, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, h.PrivParams = ct, pp[:]
	}
	msg, macAt := snmp.AppendV3(nil, h, data)
	if s.flags&snmp.FlagAuth != 0 {
		key := s.authKey
		if key == nil {
			key = usm.LocalizeKey(s.auth, usm.PasswordToKey(s.auth, []byte(s.authPass)), s.engineID)
		}
		copy(msg[macAt:], s.auth.AppendMAC(nil, key, msg))
	}
	return msg
}

var senderEngine = []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa, 0xbb, 0xcc, 0xdd}

func opsSender() sender {
	return sender{user: "ops", auth: usm.AuthSHA, priv: usm.PrivAES, authPass: "auth-pass-ops", privPass: "priv-pass-ops",
		engineID: senderEngine, boots: 5, time: 1000, flags: snmp.FlagAuth | snmp.FlagPriv, msgID: 1, requestID: 1}
}

const testConfig = `
auth:
  communities: [public]
  sources: [192.0.2.0/24]
  users:
    - username: ops
      security_level: authPriv
      auth_protocol: SHA
      password: auth-pass-ops
      priv_protocol: AES
      priv_password: priv-pass-ops
    - username: watcher
      security_level: authNoPriv
      auth_protocol: SHA256
      password: watcher-pass
      engine_ids: ["0x80001f8880aabbccdd"]
    - username: lab
      security_level: noAuthNoPriv
`

type v3fixture struct {
	*fixture
	engine *engine.Engine
}

func newV3Fixture(t *testing.T) *v3fixture {
	t.Helper()
	c, err := config.Parse([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := NewSecurity(c)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: metrics.NewStore(100, 0, nil), packets: metrics.NewPackets(), clock: time.Unix(1_700_000_000, 0)}
	now := func() time.Time { return f.clock }
	eng, _, err := engine.Load(t.TempDir(), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	f.proc = New(f.store, f.packets, Options{Now: now, Security: sec, Engine: eng, Names: genericNames})
	return &v3fixture{fixture: f, engine: eng}
}

func (f *v3fixture) send(data []byte) (reply []byte, report bool) {
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}
	reply, kind := f.proc.Handle(p, nil)
	return reply, kind == receiver.ReplyReport
}

func (f *v3fixture) v3(r metrics.Result) uint64 { return f.count(metrics.VersionV3, r) }

func TestV3Traps(t *testing.T) {
	f := newV3Fixture(t)
	ok := opsSender()
	trap := ok.build(t, snmp.PDUTrapV2, oidLinkDown)
	if reply, _ := f.send(trap); reply != nil {
		t.Errorf("a trap got a reply: %x", reply)
	}
	if got := f.traps()[metrics.Key{Device: "192.0.2.7", Trap: "IF-MIB::linkDown"}]; got != 1 || f.v3(metrics.ResultAccepted) != 1 {
		t.Fatalf("authPriv trap: count %d, accepted %d", got, f.v3(metrics.ResultAccepted))
	}

	// The same bytes again inside the window: a replay.
	f.send(trap)
	if f.v3(metrics.ResultReplayed) != 1 {
		t.Errorf("replayed = %d, want 1", f.v3(metrics.ResultReplayed))
	}

	cases := []struct {
		name   string
		mutate func(*sender)
		want   metrics.Result
	}{
		{"wrong auth password", func(s *sender) { s.authPass = "wrong-password"; s.msgID = 10 }, metrics.ResultAuthFailed},
		{"wrong priv password", func(s *sender) { s.privPass = "wrong-password"; s.msgID = 11 }, metrics.ResultDecryptFailed},
		{"unknown user", func(s *sender) { s.user = "mallory"; s.msgID = 12 }, metrics.ResultUnknownUser},
		{"authNoPriv for an authPriv user", func(s *sender) { s.flags = snmp.FlagAuth; s.msgID = 13 }, metrics.ResultLevelTooLow},
		{"noAuthNoPriv for an authPriv user", func(s *sender) { s.flags = 0; s.msgID = 14 }, metrics.ResultLevelTooLow},
		{"older engineBoots", func(s *sender) { s.boots = 4; s.msgID = 15 }, metrics.ResultNotInTimeWindow},
		{"time 151 below the latest", func(s *sender) { s.time = 1000 - 151; s.msgID = 16 }, metrics.ResultNotInTimeWindow},
		{"watcher from an engine not in engine_ids", func(s *sender) {
			*s = sender{user: "watcher", auth: usm.AuthSHA256, authPass: "watcher-pass", engineID: []byte{0x80, 0, 0, 0, 9}, boots: 1, time: 1,
				flags: snmp.FlagAuth, msgID: 17, requestID: 17}
		}, metrics.ResultUnknownEngineID},
	}
	for _, tc := range cases {
		s := opsSender()
		tc.mutate(&s)
		before := f.v3(tc.want)
		f.send(s.build(t, snmp.PDUTrapV2, oidLinkDown))
		if f.v3(tc.want) != before+1 {
			t.Errorf("%s: %s not counted", tc.name, tc.want)
		}
	}

	// Still accepted: later time, time within 150 below the latest, a
	// new engineBoots, the watcher from its own engine, a noAuthNoPriv user.
	for i, s := range []sender{
		func() sender { s := opsSender(); s.time, s.msgID = 1200, 20; return s }(),
		func() sender { s := opsSender(); s.time, s.msgID = 1100, 21; return s }(),
		func() sender { s := opsSender(); s.boots, s.time, s.msgID = 6, 3, 22; return s }(),
		// The watcher shares ops' engine, whose latest is now (6, 3).
		{user: "watcher", auth: usm.AuthSHA256, authPass: "watcher-pass", engineID: []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa, 0xbb, 0xcc, 0xdd},
			boots: 6, time: 10, flags: snmp.FlagAuth, msgID: 23},
		{user: "lab", engineID: []byte{0x80, 0, 0, 0, 7}, msgID: 24},
	} {
		before := f.v3(metrics.ResultAccepted)
		f.send(s.build(t, snmp.PDUTrapV2, oidLinkUp))
		if f.v3(metrics.ResultAccepted) != before+1 {
			t.Errorf("case %d (%s): not accepted", i, s.user)
		}
	}

	// A sender that rebooted without raising engineBoots is accepted again
	// once its engine state has expired.
	f.clock = f.clock.Add(engineStateTTL + time.Second)
	s := opsSender()
	s.time, s.msgID = 10, 30
	before := f.v3(metrics.ResultAccepted)
	f.send(s.build(t, snmp.PDUTrapV2, oidLinkDown))
	if f.v3(metrics.ResultAccepted) != before+1 {
		t.Error("sender not accepted after its engine state expired")
	}
}

var oidLinkUp = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.4")

// TestV3Informs walks net-snmp's inform flow: discovery, then informs to
// this exporter's engine, acknowledged with an authenticated, encrypted
// Response that the sender can check.
func TestV3Informs(t *testing.T) {
	f := newV3Fixture(t)

	// 1. Discovery: empty engine ID, noAuthNoPriv, reportable GetRequest.
	probe := sender{flags: snmp.FlagReportable, msgID: 100, requestID: 100}
	reply, isReport := f.send(probe.build(t, snmp.PDUGetRequest, oidLinkDown))
	var m snmp.Message
	if err := m.Decode(reply); err != nil || !isReport {
		t.Fatalf("discovery reply %x (%v), report %v", reply, err, isReport)
	}
	if m.PDUType != snmp.PDUReport || !bytes.Equal(m.V3.EngineID, f.engine.ID) || m.V3.EngineBoots != f.engine.Boots ||
		m.V3.MsgID != 100 || m.RequestID != 100 || len(m.Varbinds) != 1 || !bytes.Equal(m.Varbinds[0].OID, statOIDs[statUnknownEngineIDs]) {
		t.Fatalf("discovery Report: %+v", m)
	}

	// 2. An authPriv inform to our engine.
	s := opsSender()
	s.engineID, s.boots, s.time = f.engine.ID, f.engine.Boots, f.engine.Time()
	s.flags |= snmp.FlagReportable
	s.msgID, s.requestID = 101, 4242
	reply, isReport = f.send(s.build(t, snmp.PDUInformRequest, oidLinkDown))
	if reply == nil || isReport {
		t.Fatalf("inform: reply %x report %v", reply, isReport)
	}
	if err := m.Decode(reply); err != nil {
		t.Fatal(err)
	}
	v := &m.V3
	if v.MsgID != 101 || !v.Auth() || !v.Priv() || v.Reportable() || string(v.UserName) != "ops" || !bytes.Equal(v.EngineID, f.engine.ID) {
		t.Fatalf("ack header: %+v", v)
	}
	// The sender checks the MAC and decrypts with its keys for our engine.
	authKey := usm.LocalizeKey(usm.AuthSHA, usm.PasswordToKey(usm.AuthSHA, []byte("auth-pass-ops")), f.engine.ID)
	whole := append([]byte{}, reply...)
	clear(whole[v.AuthOffset : v.AuthOffset+len(v.AuthParams)])
	if !usm.AuthSHA.Verify(authKey, whole, v.AuthParams) {
		t.Fatal("ack MAC does not verify")
	}
	privKey := usm.LocalizePrivKey(usm.AuthSHA, usm.PrivAES, usm.PasswordToKey(usm.AuthSHA, []byte("priv-pass-ops")), f.engine.ID)
	plain, err := usm.Decrypt(usm.PrivAES, privKey, uint32(v.EngineBoots), uint32(v.EngineTime), v.PrivParams, v.Encrypted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DecodeScopedPDU(plain); err != nil || m.PDUType != snmp.PDUResponse || m.RequestID != 4242 || len(m.Varbinds) != 3 {
		t.Fatalf("ack PDU: %v %+v", err, m)
	}
	if got := f.traps()[metrics.Key{Device: "192.0.2.7", Trap: "IF-MIB::linkDown"}]; got != 1 {
		t.Errorf("inform counted %d times", got)
	}

	// 3. An inform 200 s off our clock: an authenticated Report.
	f.clock = f.clock.Add(400 * time.Second)
	s.msgID, s.requestID, s.time = 102, 4243, f.engine.Time()-200
	reply, isReport = f.send(s.build(t, snmp.PDUInformRequest, oidLinkDown))
	if err := m.Decode(reply); err != nil || !isReport || m.PDUType != snmp.PDUReport || !m.V3.Auth() ||
		!bytes.Equal(m.Varbinds[0].OID, statOIDs[statNotInTimeWindows]) || m.V3.EngineTime != f.engine.Time() {
		t.Fatalf("time-window Report: %v %+v", err, m)
	}
	if f.v3(metrics.ResultNotInTimeWindow) != 1 {
		t.Errorf("not_in_time_window = %d", f.v3(metrics.ResultNotInTimeWindow))
	}

	// 4. An inform with a stale engine ID: a Report so the sender rediscovers.
	s = opsSender()
	s.flags |= snmp.FlagReportable
	s.msgID, s.requestID = 103, 4244
	reply, isReport = f.send(s.build(t, snmp.PDUInformRequest, oidLinkDown))
	if err := m.Decode(reply); err != nil || !isReport || !bytes.Equal(m.Varbinds[0].OID, statOIDs[statUnknownEngineIDs]) {
		t.Fatalf("stale engine Report: %v %+v", err, m)
	}

	// 5. Unknown user at our engine, reportable: unknownUserNames.
	s = sender{user: "mallory", engineID: f.engine.ID, flags: snmp.FlagReportable, msgID: 104, requestID: 104}
	if reply, isReport = f.send(s.build(t, snmp.PDUInformRequest, oidLinkDown)); !isReport || m.Decode(reply) != nil ||
		!bytes.Equal(m.Varbinds[0].OID, statOIDs[statUnknownUserNames]) {
		t.Fatalf("unknown user Report: %x", reply)
	}
}

// TestV3DiscoveryProbeSmallMsgMaxSize: a discovery probe whose msgMaxSize
// is below the 484 that RFC 3412 §6 allows is malformed. It gets no Report,
// which could not be sent within the size the sender claims to accept anyway.
func TestV3DiscoveryProbeSmallMsgMaxSize(t *testing.T) {
	f := newV3Fixture(t)
	probe := sender{flags: snmp.FlagReportable, msgID: 100, requestID: 100, maxSize: 100}
	if reply, isReport := f.send(probe.build(t, snmp.PDUGetRequest, oidLinkDown)); reply != nil || isReport {
		t.Fatalf("reply %x (report %v) to a probe with msgMaxSize 100", reply, isReport)
	}
	if got := f.v3(metrics.ResultMalformed); got != 1 {
		t.Errorf("malformed v3 = %d, want 1", got)
	}
	if got := f.v3(metrics.ResultUnknownEngineID); got != 0 {
		t.Errorf("unknown_engine_id v3 = %d, want 0", got)
	}
	// The same probe with msgMaxSize 484 is answered.
	probe.maxSize = 484
	if reply, isReport := f.send(probe.build(t, snmp.PDUGetRequest, oidLinkDown)); reply == nil || !isReport {
		t.Fatalf("no Report to a probe with msgMaxSize 484: %x", reply)
	}
}

func TestCommunityAndSourceAllowLists(t *testing.T) {
	f := newV3Fixture(t)
	f.handle(v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown))
	wrong := snmp.AppendTrapV2(nil, snmp.V2c, []byte("private"), snmp.PDUTrapV2, 2, v2Varbinds(oidLinkDown))
	f.handle(wrong)
	outside, _ := f.proc.Handle(&receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: netip.MustParseAddrPort("198.51.100.1:9"),
		Data: v2cTrap(snmp.PDUTrapV2, 3, oidLinkDown)}, nil)
	if outside != nil {
		t.Error("reply to a refused source")
	}
	if a, c, s := f.count(metrics.VersionV2c, metrics.ResultAccepted), f.count(metrics.VersionV2c, metrics.ResultCommunityRejected),
		f.count(metrics.VersionV2c, metrics.ResultSourceRejected); a != 1 || c != 1 || s != 1 {
		t.Errorf("accepted %d, community_rejected %d, source_rejected %d; want 1 each", a, c, s)
	}

	// A reload that drops the community list accepts "private" too.
	c, _ := config.Parse([]byte("auth:\n  sources: [192.0.2.0/24]\n"))
	sec, _ := NewSecurity(c)
	reconfigure(f.proc, func(s *Settings) { s.Security = sec })
	f.handle(wrong)
	if a := f.count(metrics.VersionV2c, metrics.ResultAccepted); a != 2 {
		t.Errorf("after reload: accepted %d, want 2", a)
	}
}

func TestCommunityCompare(t *testing.T) {
	s := &Security{communities: [][]byte{[]byte("public"), []byte("s3cret")}}
	for c, want := range map[string]bool{"public": true, "s3cret": true, "publi": false, "publicx": false, "": false, "PUBLIC": false} {
		if got := s.communityAllowed([]byte(c)); got != want {
			t.Errorf("communityAllowed(%q) = %v", c, got)
		}
	}
}

// Replies go to unauthenticated addresses, so each source has a budget.
func TestRepliesRateLimited(t *testing.T) {
	f := newFixture(10)
	sent := 0
	for i := range 300 {
		if f.handle(v2cTrap(snmp.PDUInformRequest, int32(i), oidLinkDown)) != nil {
			sent++
		}
	}
	if sent != replyBurst {
		t.Errorf("%d acks sent at once, want the burst of %d", sent, replyBurst)
	}
	// Every inform was still counted.
	if got := f.count(metrics.VersionV2c, metrics.ResultAccepted); got != 300 {
		t.Errorf("accepted %d, want 300", got)
	}
	f.clock = f.clock.Add(time.Second)
	if f.handle(v2cTrap(snmp.PDUInformRequest, 1000, oidLinkDown)) == nil {
		t.Error("no ack after the budget refilled")
	}
}

// A sender quiet for longer than the engine TTL may come back with a lower
// engineTime, but a message it sent before is still a replay.
func TestReplayAfterQuietSender(t *testing.T) {
	f := newV3Fixture(t)
	s := opsSender()
	first := s.build(t, snmp.PDUTrapV2, oidLinkDown)
	f.send(first)
	f.clock = f.clock.Add(engineStateTTL + time.Minute)
	f.send(first)
	if r := f.v3(metrics.ResultReplayed); r != 1 {
		t.Errorf("replay after a quiet spell: replayed %d, want 1", r)
	}
	s.time, s.msgID = 3, 2 // rebooted, engineBoots unchanged
	f.send(s.build(t, snmp.PDUTrapV2, oidLinkDown))
	if a := f.v3(metrics.ResultAccepted); a != 2 {
		t.Errorf("rebooted sender: accepted %d, want 2", a)
	}
}

// When the per-engine memory is full, a message still inside the window
// that has to be forgotten raises a floor: it cannot be replayed.
func TestReplayFloor(t *testing.T) {
	tl := newTimeliness(10, 3, 100, time.Hour)
	now := time.Unix(0, 0)
	engine := []byte("engine")
	for i, mac := range []string{"a", "b", "c", "d"} {
		if v := tl.checkSender(engine, 1, 100+int32(i), []byte(mac), now); v != timeOK {
			t.Fatalf("message %s: %v", mac, v)
		}
	}
	if v := tl.checkSender(engine, 1, 100, []byte("a"), now); v == timeOK {
		t.Error("forgotten message accepted again")
	}
	if v := tl.checkSender(engine, 1, 104, []byte("e"), now); v != timeOK {
		t.Errorf("a new message above the floor: %v", v)
	}
}

// Keys computed for a message that fails its digest are not cached, so
// unauthenticated traffic naming random engines cannot evict good entries.
func TestKeyCacheOnlyVerified(t *testing.T) {
	f := newV3Fixture(t)
	good := opsSender()
	f.send(good.build(t, snmp.PDUTrapV2, oidLinkDown))
	for i := range 2 * maxKeyCache / 1000 {
		bad := opsSender()
		bad.authPass, bad.engineID, bad.msgID = "wrong-password", []byte{0x80, 0, 0, 0, byte(i), byte(i >> 8)}, int32(100+i)
		f.send(bad.build(t, snmp.PDUTrapV2, oidLinkDown))
	}
	f.proc.keys.mu.Lock()
	n := len(f.proc.keys.m)
	f.proc.keys.mu.Unlock()
	if n != 1 {
		t.Errorf("key cache holds %d entries, want only the verified one", n)
	}
}
