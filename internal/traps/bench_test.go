package traps

import (
	"encoding/json"
	"io"
	"testing"
	"time"
)

// followBatch is how many records a trap log output reads at a time.
const followBatch = 256

func fullHistory(b *testing.B) *History {
	h := New(Options{Size: 4 * followBatch, Names: func() Names { return names }})
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range 4 * followBatch {
		h.Admitted(admitted(b, at.Add(time.Duration(i)*time.Millisecond), uint64(i), "GigabitEthernet0/2"))
	}
	return h
}

// BenchmarkFollow is the read side of the trap log: linkDown records (six
// varbinds, one state change) copied out of the ring and rendered, a batch
// at a time as the outputs read them. ns/record is the figure to watch.
func BenchmarkFollow(b *testing.B) {
	h := fullHistory(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		recs, _ := h.Follow(uint64(n%3*followBatch), followBatch)
		if len(recs) != followBatch {
			b.Fatal(len(recs))
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*followBatch), "ns/record")
}

// BenchmarkFollowJSON adds the file output's encoding of each record.
func BenchmarkFollowJSON(b *testing.B) {
	h := fullHistory(b)
	enc := json.NewEncoder(io.Discard)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		recs, _ := h.Follow(uint64(n%3*followBatch), followBatch)
		for i := range recs {
			if err := enc.Encode(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*followBatch), "ns/record")
}
