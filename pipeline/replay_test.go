package pipeline

import (
	"net/netip"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

func (f *v3fixture) sendFrom(transport string, from netip.AddrPort, data []byte) (reply []byte, report bool) {
	p := &receiver.Packet{Listener: transport + "://:162", Transport: transport, Source: from, Data: data}
	reply, kind := f.proc.Handle(p, nil)
	return reply, kind == receiver.ReplyReport
}

func (f *v3fixture) trapCount(trap string) uint64 {
	return f.traps()[metrics.Key{Device: "192.0.2.7", Trap: trap}]
}

// A message the window has passed is still remembered: after the sender's
// quiet spell relaxes its window, replaying it is refused. (It was accepted:
// the memory dropped it when the window passed it, without a floor.)
func TestReplayAfterWindowAndQuietSpell(t *testing.T) {
	f := newV3Fixture(t)
	s := opsSender() // engineBoots 5, engineTime 1000
	m1 := s.build(t, snmp.PDUTrapV2, oidLinkDown)
	s.time, s.msgID = 1200, 2
	m2 := s.build(t, snmp.PDUTrapV2, oidLinkUp)
	f.send(m1)
	f.send(m2)
	f.send(m1)
	f.send(m2)
	if a := f.v3(metrics.ResultAccepted); a != 2 {
		t.Fatalf("accepted %d, want 2", a)
	}
	f.clock = f.clock.Add(engineStateTTL + time.Minute)
	f.send(m1)
	f.send(m2)
	if a, down := f.v3(metrics.ResultAccepted), f.trapCount("IF-MIB::linkDown"); a != 2 || down != 1 {
		t.Errorf("after a quiet spell: accepted %d, linkDown counted %d; want 2 and 1", a, down)
	}
	// A sender that rebooted without raising engineBoots, with messages
	// of its own, is accepted after the quiet spell.
	s.time, s.msgID = 3, 3
	f.send(s.build(t, snmp.PDUTrapV2, oidLinkDown))
	if a := f.v3(metrics.ResultAccepted); a != 3 {
		t.Errorf("rebooted sender: accepted %d, want 3", a)
	}
}

// The trap labels kept for reuse are bounded by their bytes as well as
// their number: 110,000 numeric OIDs of 128 arcs would otherwise keep
// about 190 MB of label strings, also for traps that went to the overflow
// series.
func TestTrapLabelsBoundedByBytes(t *testing.T) {
	tr := newTranslation(nil)
	var text []byte
	oid := make([]byte, 0, 256)
	for i := range 10000 {
		a := i + 128                                               // two bytes, minimal
		oid = append(oid[:0], 0x2b, 0x80|byte(a>>7), byte(a&0x7f)) // 1.3.a
		for range 125 {
			oid = append(oid, 0x81, 0x01) // .129, 128 arcs in all
		}
		var err error
		if _, text, err = tr.labelBER(oid, text); err != nil {
			t.Fatal(err)
		}
	}
	if n := tr.labels.bytes(); n > maxInternedBytes {
		t.Errorf("trap labels hold %d bytes, want at most %d", n, maxInternedBytes)
	}
}
