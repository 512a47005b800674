package traplog

import (
	"bytes"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// With both outputs on, a batch is rendered once: the second output takes
// the first one's records, the same records with the same drop counts as
// if it had read the ring itself.
func TestOutputsRenderOnce(t *testing.T) {
	var renders atomic.Int64
	h := traps.New(traps.Options{Size: 100, Names: func() traps.Names { renders.Add(1); return names }})
	alone := traps.New(traps.Options{Size: 100, Names: func() traps.Names { return names }})
	for range 130 { // 30 dropped from each ring before anyone reads
		addLinkDown(t, h, "sw1")
		addLinkDown(t, alone, "sw1")
	}
	shared := &rendered{}
	file := follower{history: h, counts: &counts{}, shared: shared}
	otlp := follower{history: h, counts: &counts{}, shared: shared}
	ref := follower{history: alone, counts: &counts{}}

	got := file.next(64, 0)
	want := ref.next(64, 0)
	if renders.Load() != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("first batch: %d renders, records equal %v", renders.Load(), reflect.DeepEqual(got, want))
	}
	// The other output reads the same records in two smaller batches and
	// renders nothing.
	a, b := otlp.next(32, 0), otlp.next(32, 0)
	if renders.Load() != 1 || !reflect.DeepEqual(append(a, b...), want) {
		t.Errorf("second output: %d renders, records equal %v", renders.Load(), reflect.DeepEqual(append(a, b...), want))
	}
	if file.counts.dropped.Load() != 30 || otlp.counts.dropped.Load() != 30 || ref.counts.dropped.Load() != 30 {
		t.Errorf("dropped: file %d, otlp %d, alone %d; want 30 each", file.counts.dropped.Load(), otlp.counts.dropped.Load(), ref.counts.dropped.Load())
	}
	// A batch the cache cannot fill while the ring holds more is read from
	// the ring: 36 records are left, the cache ends 36 short.
	file.next(64, 0) // renders the last 36
	if renders.Load() != 2 {
		t.Fatalf("renders %d, want 2", renders.Load())
	}
	if rest := otlp.next(64, 0); len(rest) != 36 || renders.Load() != 2 {
		t.Errorf("the rest from the cache: %d records, %d renders", len(rest), renders.Load())
	}
	// Fallen behind past the cache: read from the ring, drops counted.
	for range 150 {
		addLinkDown(t, h, "sw2")
	}
	recs := otlp.next(10, 0)
	if len(recs) != 10 || recs[0].Seq != 181 || otlp.counts.dropped.Load() != 80 {
		t.Errorf("behind: %d records from seq %d, dropped %d; want 10 from 181, dropped 80", len(recs), recs[0].Seq, otlp.counts.dropped.Load())
	}
	if recs := file.next(100, 0); len(recs) != 100 || file.counts.dropped.Load() != 80 {
		t.Errorf("file behind: %d records, dropped %d", len(recs), file.counts.dropped.Load())
	}
}

// While the receive path is behind, an output waits before each chunk it
// renders, counts the wait, and renders once it has caught up; an output
// told to stop waits for nothing.
func TestOutputsYieldToBacklog(t *testing.T) {
	h := newHistory(1000)
	for range 300 {
		addLinkDown(t, h, "sw1")
	}
	var calls atomic.Int64
	f := follower{history: h, counts: &counts{}, done: make(chan struct{}),
		busy: func() bool { return calls.Add(1) <= 4 }} // behind for four looks
	recs := f.next(300, 0)
	if len(recs) != 300 {
		t.Fatalf("%d records, want 300", len(recs))
	}
	if p := f.counts.stats("x").Paused; p < 4*yieldStep {
		t.Errorf("paused %v, want at least %v", p, 4*yieldStep)
	}
	// Three chunks, each after a look: 4 busy answers, then 3 idle ones.
	if n := calls.Load(); n != 7 {
		t.Errorf("busy asked %d times, want 7", n)
	}

	done := make(chan struct{})
	close(done)
	stopping := follower{history: h, counts: &counts{}, done: done, busy: func() bool { return true }}
	start := time.Now()
	if recs := stopping.next(300, 0); len(recs) != 300 || time.Since(start) > maxYield/2 {
		t.Errorf("stopping: %d records after %v", len(recs), time.Since(start))
	}
}

// A flush writes what was kept when it started and returns, however fast
// new records come, so that the output gets back to its loop (a reopen, a
// stop).
func TestFlushEndsUnderFlood(t *testing.T) {
	h := newHistory(100000)
	for range 10 {
		addLinkDown(t, h, "sw1")
	}
	var out bytes.Buffer
	w := newFile(&out, h, nil)
	w.follow.after = 0
	// Every look at the receive path finds a chunk's worth of new records.
	w.follow.busy = func() bool {
		for range chunk {
			addLinkDown(t, h, "sw1")
		}
		return false
	}
	w.flush()
	if s := w.Stats(); s.Written != 10 {
		t.Errorf("one flush wrote %d records, want the 10 kept when it started", s.Written)
	}
}

// An output that read or dropped a chunk or more since it last looked
// looks again soon: the ring may hold only a fraction of a second.
func TestPollFasterWhenBusy(t *testing.T) {
	h := newHistory(chunk)
	f := follower{history: h, counts: &counts{}}
	if d := f.interval(); d != PollInterval {
		t.Errorf("idle: %v", d)
	}
	for range 3 * chunk { // two chunks dropped, one held
		addLinkDown(t, h, "sw1")
	}
	f.next(chunk/2, 0)
	if d := f.interval(); d != BusyPollInterval {
		t.Errorf("after %d dropped and %d read: %v, want %v", 2*chunk, chunk/2, d, BusyPollInterval)
	}
	f.next(10, 0)
	if d := f.interval(); d != PollInterval {
		t.Errorf("after 10 read: %v, want %v", d, PollInterval)
	}
}
