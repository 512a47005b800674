package pipeline

import (
	"net/netip"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// engine_ids pins a user to its senders' engines for informs too: an
// inform's security engine is the exporter's, so the sender's engine is
// the scoped PDU's contextEngineID.
func TestPinnedUserInforms(t *testing.T) {
	f := newV3Fixture(t)
	pinned := []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa, 0xbb, 0xcc, 0xdd} // the watcher's engine_ids
	w := sender{user: "watcher", auth: usm.AuthSHA256, authPass: "watcher-pass", engineID: f.engine.ID,
		boots: f.engine.Boots, time: f.engine.Time(), flags: snmp.FlagAuth | snmp.FlagReportable, msgID: 1, requestID: 1,
		contextEngine: []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0x01, 0x02, 0x03, 0x04}}
	if reply, _ := f.send(w.build(t, snmp.PDUInformRequest, oidLinkDown)); reply != nil {
		t.Error("an inform from another engine was answered")
	}
	if a, u := f.v3(metrics.ResultAccepted), f.v3(metrics.ResultUnknownEngineID); a != 0 || u != 1 {
		t.Errorf("inform from another engine: accepted %d, unknown_engine_id %d; want 0 and 1", a, u)
	}
	w.contextEngine, w.msgID, w.requestID = pinned, 2, 2
	if reply, isReport := f.send(w.build(t, snmp.PDUInformRequest, oidLinkDown)); reply == nil || isReport {
		t.Errorf("inform from the pinned engine: reply %x, report %v; want an acknowledgement", reply, isReport)
	}
	if a := f.v3(metrics.ResultAccepted); a != 1 {
		t.Errorf("inform from the pinned engine: accepted %d, want 1", a)
	}
	// The same for an inform without authentication (the lab user is not
	// pinned, the watcher may not send one): noAuthNoPriv is refused for
	// the watcher whatever its context.
	w.flags, w.msgID, w.requestID = snmp.FlagReportable, 3, 3
	f.send(w.build(t, snmp.PDUInformRequest, oidLinkDown))
	if a := f.v3(metrics.ResultAccepted); a != 1 {
		t.Errorf("noAuthNoPriv inform of a pinned user: accepted %d, want 1", a)
	}
}

// A v3 inform retransmitted byte for byte (npm net-snmp does) is
// acknowledged again, as a duplicate, and counted once; the same bytes
// from another source, after the inform window, or as a trap are refused
// as a replay without a reply.
func TestV3InformRetransmission(t *testing.T) {
	f := newV3Fixture(t)
	s := opsSender()
	s.engineID, s.boots, s.time = f.engine.ID, f.engine.Boots, f.engine.Time()
	s.flags |= snmp.FlagReportable
	s.msgID, s.requestID = 7, 4242
	inform := s.build(t, snmp.PDUInformRequest, oidLinkDown)

	for i := range 3 {
		if reply, isReport := f.send(inform); reply == nil || isReport {
			t.Fatalf("copy %d: reply %x, report %v; want an acknowledgement", i, reply, isReport)
		}
	}
	if a, d, r, n := f.v3(metrics.ResultAccepted), f.v3(metrics.ResultDuplicate), f.v3(metrics.ResultReplayed), f.trapCount("IF-MIB::linkDown"); a != 1 || d != 2 || r != 0 || n != 1 {
		t.Errorf("three copies: accepted %d, duplicate %d, replayed %d, counted %d; want 1, 2, 0, 1", a, d, r, n)
	}
	other := netip.MustParseAddrPort("192.0.2.7:40001")
	if reply, _ := f.sendFrom("udp", other, inform); reply != nil {
		t.Error("the same bytes from another UDP port were answered")
	}
	f.clock = f.clock.Add(DefaultInformWindow + time.Second)
	if reply, _ := f.send(inform); reply != nil {
		t.Error("the same bytes after the inform window were answered")
	}
	if r, n := f.v3(metrics.ResultReplayed), f.trapCount("IF-MIB::linkDown"); r != 2 || n != 1 {
		t.Errorf("replayed %d, counted %d; want 2 and 1", r, n)
	}
}

// TCP peers cannot spoof their address: their acknowledgements are not
// rate-limited, and an inform retried on a new connection (a new source
// port) is a duplicate, not a second trap.
func TestTCPInforms(t *testing.T) {
	f := newFixture(10)
	const n = 5000
	acked := 0
	for i := range n {
		if reply, _ := f.proc.Handle(&receiver.Packet{Listener: "tcp://:412", Transport: "tcp", Source: src,
			Data: v2cTrap(snmp.PDUInformRequest, int32(i), oidLinkDown)}, nil); reply != nil {
			acked++
		}
	}
	if acked != n {
		t.Errorf("%d of %d pipelined TCP informs acknowledged", acked, n)
	}
	retry := netip.AddrPortFrom(src.Addr(), src.Port()+1)
	if reply, _ := f.proc.Handle(&receiver.Packet{Listener: "tcp://:412", Transport: "tcp", Source: retry,
		Data: v2cTrap(snmp.PDUInformRequest, 1, oidLinkDown)}, nil); reply == nil {
		t.Error("an inform retried on a new connection was not acknowledged")
	}
	c := f.packets.Listener("tcp://:412")
	if a, d := c.Get(metrics.VersionV2c, metrics.ResultAccepted), c.Get(metrics.VersionV2c, metrics.ResultDuplicate); a != n || d != 1 {
		t.Errorf("accepted %d, duplicate %d; want %d and 1", a, d, n)
	}
	// Over UDP a retransmission comes from the sending socket: another
	// port is another sender.
	f.proc.Handle(&receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: v2cTrap(snmp.PDUInformRequest, n+9, oidLinkDown)}, nil)
	f.proc.Handle(&receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: retry, Data: v2cTrap(snmp.PDUInformRequest, n+9, oidLinkDown)}, nil)
	if a := f.count(metrics.VersionV2c, metrics.ResultAccepted); a != 2 {
		t.Errorf("UDP informs from two ports: accepted %d, want 2", a)
	}
}
