package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

func TestPerSource(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	l := NewPerSource(0.5, 2, 10) // one token every 2 s, burst 2
	// Three calls, each made (|| would stop at the first failure).
	if got := [3]bool{l.Allow(a, now), l.Allow(a, now), l.Allow(a, now)}; got != [3]bool{true, true, false} {
		t.Errorf("three at once: %v, want exactly the burst of 2", got)
	}
	if !l.Allow(b, now) {
		t.Error("another source shares the bucket")
	}
	if l.Allow(a, now.Add(time.Second)) || !l.Allow(a, now.Add(2*time.Second)) {
		t.Error("want one token back after 2 s, not before")
	}
	// A clock that steps back adds nothing.
	if l.Allow(a, now) {
		t.Error("a token from a clock stepping back")
	}
}

// The table never holds more than max addresses; an address forgotten
// for room starts with a full bucket.
func TestPerSourceBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewPerSource(1, 1, 3)
	for i := range 10 {
		if !l.Allow(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), now) {
			t.Errorf("new source %d refused", i)
		}
	}
	if n := len(l.buckets); n > 3 {
		t.Errorf("%d buckets, bound 3", n)
	}
}
