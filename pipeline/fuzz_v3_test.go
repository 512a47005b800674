package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// fuzzV3Config has the users of the captured SNMPv3 traps in
// usm/testdata (see the READMEs there for their sources).
const fuzzV3Config = `
auth:
  users:
    - username: myuser
      security_level: authNoPriv
      auth_protocol: MD5
      password: mypassword
    - username: myuser2
      security_level: authPriv
      auth_protocol: MD5
      password: mypassword2
      priv_protocol: AES
      priv_password: myprivacy2
    - username: usmuser
      security_level: authPriv
      auth_protocol: SHA
      password: authpass123
      priv_protocol: AES256
      priv_password: privpass123
`

var capturedV3 = []string{
	"../usm/testdata/gosnmp/gosnmp-genericV3Trap.bin",
	"../usm/testdata/gosnmp/gosnmp-snmpV3AuthPrivTrap.bin",
	"../usm/testdata/netsnmp/sha-aes256.bin",
}

// The captured traps of gosnmp and net-snmp are accepted with their users'
// credentials, and a second copy of each is a replay.
func TestCapturedV3Traps(t *testing.T) {
	c, err := config.Parse([]byte(fuzzV3Config))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := NewSecurity(c)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(100)
	reconfigure(f.proc, func(s *Settings) { s.Security = sec })
	for _, name := range capturedV3 {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f.handle(b)
		f.handle(b)
	}
	if a, r := f.count(metrics.VersionV3, metrics.ResultAccepted), f.count(metrics.VersionV3, metrics.ResultReplayed); a != 3 || r != 3 {
		t.Errorf("accepted %d, replayed %d; want 3, 3", a, r)
	}
	// With a wrong password configured the same capture fails its digest.
	wrong, err := config.Parse([]byte(strings.Replace(fuzzV3Config, "password: mypassword\n", "password: notmypassword\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	wsec, _ := NewSecurity(wrong)
	g := newFixture(100)
	reconfigure(g.proc, func(s *Settings) { s.Security = wsec })
	b, _ := os.ReadFile(capturedV3[0])
	g.handle(b)
	if n := g.count(metrics.VersionV3, metrics.ResultAuthFailed); n != 1 {
		t.Errorf("wrong password: auth_failed %d, want 1", n)
	}

	traps := f.traps()
	for _, k := range []metrics.Key{
		{Device: "192.0.2.7", Trap: "1.3.6.1.2.1.1"},
		{Device: "192.0.2.7", Trap: "1.3.6.1.4.1.8072.2.3.0.1"},
		{Device: "192.0.2.7", Trap: "SNMPv2-MIB::coldStart"},
	} {
		if traps[k] != 1 {
			t.Errorf("%v = %d, want 1 (all: %v)", k, traps[k], traps)
		}
	}
}

// FuzzHandleV3 feeds arbitrary bytes to a processor with SNMPv3 users and an
// engine: nothing may panic, every message is counted exactly once, and a
// reply is a well-formed SNMPv3 message (an acknowledgement or a Report) or,
// for v1/v2c informs, a Response.
func FuzzHandleV3(f *testing.F) {
	for _, seed := range append(capturedV3, "../usm/testdata/netsnmp/sha-des.bin", "../usm/testdata/netsnmp/md5-none.bin") {
		b, err := os.ReadFile(seed)
		if err != nil {
			f.Fatalf("seed %s: %v", seed, err)
		}
		f.Add(b)
	}
	c, err := config.Parse([]byte(fuzzV3Config))
	if err != nil {
		f.Fatal(err)
	}
	sec, err := NewSecurity(c)
	if err != nil {
		f.Fatal(err)
	}
	eng, _, err := engine.Load(filepath.Join(f.TempDir(), "engine"), nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	// Our own discovery probe and an inform to our engine, as seeds too.
	probe := sender{flags: snmp.FlagReportable, msgID: 1, requestID: 1}
	t := &testing.T{}
	f.Add(probe.build(t, snmp.PDUGetRequest, oidLinkDown))
	inform := sender{user: "usmuser", auth: usm.AuthSHA, priv: usm.PrivAES256, authPass: "authpass123", privPass: "privpass123", engineID: eng.ID,
		boots: eng.Boots, time: eng.Time(), flags: snmp.FlagAuth | snmp.FlagPriv | snmp.FlagReportable, msgID: 2, requestID: 2}
	f.Add(inform.build(t, snmp.PDUInformRequest, oidLinkDown))

	f.Fuzz(func(t *testing.T, data []byte) {
		packets := metrics.NewPackets()
		store := metrics.NewStore(100, 0, nil)
		pr := New(store, packets, Options{Security: sec, Engine: eng, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
		in := append([]byte(nil), data...)
		p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: in}
		reply, _ := pr.Handle(p, nil)

		var total uint64
		for v := metrics.VersionUnknown; v <= metrics.VersionV3; v++ {
			for r := metrics.ResultAccepted; r <= metrics.ResultDiscovery; r++ {
				total += packets.Listener("udp://:162").Get(v, r)
			}
		}
		if total != 1 {
			t.Fatalf("%d packets_total increments, want 1", total)
		}
		if string(in) != string(data) {
			t.Fatal("Handle modified its input")
		}
		if reply == nil {
			return
		}
		var m snmp.Message
		if err := m.Decode(reply); err != nil {
			t.Fatalf("reply does not decode: %v", err)
		}
		switch {
		case m.Version == snmp.V3 && m.V3.Priv():
		case m.Version == snmp.V3 && (m.PDUType == snmp.PDUReport || m.PDUType == snmp.PDUResponse):
		case m.Version != snmp.V3 && m.PDUType == snmp.PDUResponse:
		default:
			t.Fatalf("reply is %v %v", m.Version, m.PDUType)
		}
	})
}
