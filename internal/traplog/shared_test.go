package traplog

import (
	"reflect"
	"sync/atomic"
	"testing"

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

	got := file.next(64)
	want := ref.next(64)
	if renders.Load() != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("first batch: %d renders, records equal %v", renders.Load(), reflect.DeepEqual(got, want))
	}
	// The other output reads the same records in two smaller batches and
	// renders nothing.
	a, b := otlp.next(32), otlp.next(32)
	if renders.Load() != 1 || !reflect.DeepEqual(append(a, b...), want) {
		t.Errorf("second output: %d renders, records equal %v", renders.Load(), reflect.DeepEqual(append(a, b...), want))
	}
	if file.counts.dropped.Load() != 30 || otlp.counts.dropped.Load() != 30 || ref.counts.dropped.Load() != 30 {
		t.Errorf("dropped: file %d, otlp %d, alone %d; want 30 each", file.counts.dropped.Load(), otlp.counts.dropped.Load(), ref.counts.dropped.Load())
	}
	// A batch the cache cannot fill while the ring holds more is read from
	// the ring: 36 records are left, the cache ends 36 short.
	file.next(64) // renders the last 36
	if renders.Load() != 2 {
		t.Fatalf("renders %d, want 2", renders.Load())
	}
	if rest := otlp.next(64); len(rest) != 36 || renders.Load() != 2 {
		t.Errorf("the rest from the cache: %d records, %d renders", len(rest), renders.Load())
	}
	// Fallen behind past the cache: read from the ring, drops counted.
	for range 150 {
		addLinkDown(t, h, "sw2")
	}
	recs := otlp.next(10)
	if len(recs) != 10 || recs[0].Seq != 181 || otlp.counts.dropped.Load() != 80 {
		t.Errorf("behind: %d records from seq %d, dropped %d; want 10 from 181, dropped 80", len(recs), recs[0].Seq, otlp.counts.dropped.Load())
	}
	if recs := file.next(100); len(recs) != 100 || file.counts.dropped.Load() != 80 {
		t.Errorf("file behind: %d records, dropped %d", len(recs), file.counts.dropped.Load())
	}
}
