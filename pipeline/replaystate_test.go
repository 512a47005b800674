package pipeline

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/sealed"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// The replay memory survives a restart: what was accepted before is
// refused after, a message forgotten before stays below the floor after,
// new messages and the quiet-spell relaxation work as before.
func TestReplayStateRoundTrip(t *testing.T) {
	a := newV3Fixture(t)
	s := opsSender()
	var sent [][]byte
	for i := range 3 {
		s.time, s.msgID = 1000+int32(i), int32(i+1)
		sent = append(sent, s.build(t, snmp.PDUTrapV2, oidLinkDown))
		a.send(sent[i])
	}
	// An inform to the exporter's own engine: left out of the file.
	in := opsSender()
	in.engineID, in.boots, in.time, in.msgID, in.requestID = a.engine.ID, a.engine.Boots, a.engine.Time(), 9, 9
	a.send(in.build(t, snmp.PDUInformRequest, oidLinkDown))
	if n := a.v3(metrics.ResultAccepted); n != 4 {
		t.Fatalf("accepted %d, want 4", n)
	}
	state, changes := a.proc.AppendReplayState(nil)
	if changes == 0 || changes != a.proc.ReplayChanges() {
		t.Errorf("changes %d, ReplayChanges %d", changes, a.proc.ReplayChanges())
	}
	if bytes.Contains(state, []byte(hexOf(a.engine.ID))) {
		t.Error("the exporter's own engine is in the file")
	}

	b := newV3Fixture(t)
	b.clock = a.clock.Add(time.Minute) // a restart a minute later
	engines, messages, err := b.proc.RestoreReplayState(state)
	if err != nil || engines != 1 || messages != 3 {
		t.Fatalf("restore: %d engines, %d messages, %v; want 1 engine, 3 messages", engines, messages, err)
	}
	for _, m := range sent {
		b.send(m)
	}
	if r, n := b.v3(metrics.ResultReplayed), b.v3(metrics.ResultAccepted); r != 3 || n != 0 {
		t.Errorf("after the restart the old traps were: replayed %d, accepted %d; want 3 and 0", r, n)
	}
	// And after a quiet spell too.
	b.clock = b.clock.Add(engineStateTTL + time.Minute)
	b.send(sent[0])
	s.time, s.msgID = 1003, 10
	b.send(s.build(t, snmp.PDUTrapV2, oidLinkDown))
	if r, n := b.v3(metrics.ResultReplayed), b.v3(metrics.ResultAccepted); r != 4 || n != 1 {
		t.Errorf("after the restart and a quiet spell: replayed %d, accepted %d; want 4 and 1", r, n)
	}
	// Saving it again gives the same engines and messages.
	again, _ := b.proc.AppendReplayState(nil)
	c := newV3Fixture(t)
	if engines, messages, err := c.proc.RestoreReplayState(again); err != nil || engines != 1 || messages != 4 {
		t.Errorf("second round: %d engines, %d messages, %v", engines, messages, err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

// A floor survives the restart, and the bounds hold on restore.
func TestReplayStateFloorAndBounds(t *testing.T) {
	pr := newFixture(10).proc
	tl := pr.times
	now := time.Unix(1_700_000_000, 0)
	for i, mac := range []string{"a", "b", "c"} {
		tl.checkSender([]byte("engine-1"), 1, 100+int32(i), []byte(mac), now)
		tl.checkSender([]byte("engine-2"), 1, 100+int32(i), []byte(mac), now)
	}
	tl.mu.Lock()
	tl.forgetOldest(tl.engines["engine-1"]) // floor (1, 100)
	tl.mu.Unlock()
	state, _ := pr.AppendReplayState(nil)

	small := newFixture(10).proc
	small.times = newTimeliness(1, 2, 100, time.Hour)
	engines, messages, err := small.RestoreReplayState(state)
	if err != nil || engines != 1 || messages != 2 {
		t.Fatalf("restore into bounds of 1 engine, 2 per engine: %d engines, %d messages, %v", engines, messages, err)
	}
	full := newFixture(10).proc
	if _, _, err := full.RestoreReplayState(state); err != nil {
		t.Fatal(err)
	}
	if v := full.times.checkSender([]byte("engine-1"), 1, 100, []byte("a"), now); v != timeOutside {
		t.Errorf("message below the restored floor: %v, want outside", v)
	}
	if v := full.times.checkSender([]byte("engine-2"), 1, 101, []byte("b"), now); v != timeReplayed {
		t.Errorf("restored message: %v, want replayed", v)
	}
}

// A damaged file is refused whole and changes nothing.
func TestReplayStateCorrupt(t *testing.T) {
	a := newV3Fixture(t)
	s := opsSender()
	first := s.build(t, snmp.PDUTrapV2, oidLinkDown)
	a.send(first)
	good, _ := a.proc.AppendReplayState(nil)
	header, _, _ := bytes.Cut(good, []byte("\n"))
	for name, in := range map[string][]byte{
		"empty":       nil,
		"truncated":   good[:len(good)-5],
		"flipped":     bytes.Replace(good, []byte(`"boots":5`), []byte(`"boots":4`), 1),
		"header only": append(header, '\n'),
		"not ours":    []byte("{\"snapshot\":\"snmptrap_exporter series\"}\n"),
	} {
		b := newV3Fixture(t)
		if _, _, err := b.proc.RestoreReplayState(in); !errors.Is(err, ErrCorruptReplayState) {
			t.Errorf("%s: %v, want ErrCorruptReplayState", name, err)
		}
		b.send(first)
		if n := b.v3(metrics.ResultAccepted); n != 1 {
			t.Errorf("%s: the memory changed (accepted %d)", name, n)
		}
	}
}

// FuzzRestoreReplayState: a replay memory's file, whatever its bytes,
// restores within the bounds or is refused whole, and never panics. The
// seeds are valid files; a checksum guards them, so the fuzzer also gets
// the content re-sealed to reach the record decoder.
func FuzzRestoreReplayState(f *testing.F) {
	pr := newFixture(10).proc
	now := time.Unix(1_700_000_000, 0)
	for i, mac := range []string{"a", "b", "c", "d"} {
		pr.times.checkSender([]byte("engine-1"), 1, 100+int32(i), []byte(mac), now)
	}
	pr.times.mu.Lock()
	pr.times.forgetOldest(pr.times.engines["engine-1"])
	pr.times.mu.Unlock()
	good, _ := pr.AppendReplayState(nil)
	f.Add(good, false)
	content, _ := sealedContent(good)
	f.Add(content, true)
	f.Fuzz(func(t *testing.T, b []byte, seal bool) {
		if seal {
			b = resealed(b)
		}
		p := newFixture(10).proc
		p.times = newTimeliness(3, 5, 8, time.Hour)
		engines, messages, err := p.RestoreReplayState(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptReplayState) {
				t.Fatalf("error %v does not wrap ErrCorruptReplayState", err)
			}
			if len(p.times.engines) != 0 {
				t.Fatal("a refused file changed the memory")
			}
			return
		}
		if engines > 3 || messages > 8 || p.times.total != messages {
			t.Fatalf("restored %d engines, %d messages: past the bounds (total %d)", engines, messages, p.times.total)
		}
		for _, st := range p.times.engines {
			if st.remembered() > 5 || st.seen.n > st.remembered() {
				t.Fatalf("engine with %d remembered, %d in its set", st.remembered(), st.seen.n)
			}
		}
		again, _ := p.AppendReplayState(nil)
		q := newFixture(10).proc
		if e2, m2, err := q.RestoreReplayState(again); err != nil || e2 != engines || m2 != messages {
			t.Fatalf("re-saved state restores as %d engines, %d messages, %v; want %d and %d", e2, m2, err, engines, messages)
		}
	})
}

// sealedContent and resealed let the fuzzer change a file's content
// behind a valid checksum.
func sealedContent(b []byte) ([]byte, error) { return sealed.Open(b) }

func resealed(content []byte) []byte {
	out, _ := sealed.Seal(append([]byte(nil), content...), 0)
	return out
}
