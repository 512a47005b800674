// Package ratelimit keeps a token bucket per source address in a bounded
// table: the replies to unauthenticated addresses and the new series one
// address may make are both limited with it.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// PerSource is a token bucket per source address. It is safe for
// concurrent use.
type PerSource struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	max     int
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewPerSource returns buckets that refill at rate tokens a second up to
// burst, for at most max addresses at a time. Past max, full buckets are
// forgotten first (they behave as new ones would), then others, which only
// gives those addresses a full bucket again.
func NewPerSource(rate, burst float64, max int) *PerSource {
	return &PerSource{rate: rate, burst: burst, max: max, buckets: make(map[netip.Addr]*bucket)}
}

// Allow takes a token from src's bucket at time now, and reports whether
// there was one.
func (l *PerSource) Allow(src netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[src]
	if b == nil {
		if len(l.buckets) >= l.max {
			for a, old := range l.buckets {
				if old.tokens+now.Sub(old.at).Seconds()*l.rate >= l.burst {
					delete(l.buckets, a)
				}
			}
			for a := range l.buckets {
				if len(l.buckets) < l.max {
					break
				}
				delete(l.buckets, a)
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[src] = b
	}
	if dt := now.Sub(b.at); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt.Seconds()*l.rate)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
