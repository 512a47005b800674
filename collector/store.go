// Package collector holds the trap-derived series and exposes them, with the
// exporter's own receive statistics, as a prometheus.Collector.
//
// The store is the single source of truth (the shape of mtail's store and
// exporter): the receive path updates it with a map lookup and atomic adds,
// and Collect walks it and emits const metrics, so the series cap and expiry
// live in one place.
package collector

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// OverflowLabel is the device and trap label value of the overflow series that
// counts traps which found no room in the store.
const OverflowLabel = "_other"

// Reasons for snmptrap_series_dropped_total.
const (
	DropReasonLimit   = "limit"
	DropReasonExpired = "expired"
)

// Key identifies one device × trap series.
type Key struct {
	Device string
	Trap   string
}

type series struct {
	count atomic.Uint64
	// last is the time of the last observation in Unix nanoseconds.
	last atomic.Int64
}

// Store keeps one counter and one last-seen timestamp per device × trap, up
// to a limit. Traps that find no room are counted in a single overflow series
// that lives outside the limit, so the sum over all series always equals the
// number of traps observed. It is safe for concurrent use.
type Store struct {
	now   func() time.Time
	limit int
	ttl   time.Duration

	mu     sync.RWMutex
	series map[Key]*series

	overflow       series
	droppedLimit   atomic.Uint64
	droppedExpired atomic.Uint64
}

// NewStore returns a store that holds at most limit series (limit <= 0 means
// no limit) and forgets a series not updated for ttl (ttl <= 0 means never).
// now is the clock; nil means time.Now.
func NewStore(limit int, ttl time.Duration, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:    now,
		limit:  limit,
		ttl:    ttl,
		series: make(map[Key]*series),
	}
}

// Limit returns the configured series cap (0 when unlimited).
func (s *Store) Limit() int {
	if s.limit < 0 {
		return 0
	}
	return s.limit
}

// Observe counts one trap from device of type trap, received at the given
// time (zero: the store's clock). It reports false when the store was full
// and the trap went to the overflow series instead.
//
// The time comes from the caller because the receiver reads the clock once
// per batch of datagrams: time.Now was 11 % of the per-trap profile.
func (s *Store) Observe(device, trap string, at time.Time) bool {
	if at.IsZero() {
		at = s.now()
	}
	ts := at.UnixNano()
	k := Key{Device: device, Trap: trap}

	// The update happens under the read lock: Expire takes the write lock,
	// so it can never delete a series between its lookup and its update
	// (which would count the trap nowhere).
	s.mu.RLock()
	if sr := s.series[k]; sr != nil {
		sr.count.Add(1)
		sr.last.Store(ts)
		s.mu.RUnlock()
		return true
	}
	s.mu.RUnlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if sr := s.series[k]; sr != nil {
		sr.count.Add(1)
		sr.last.Store(ts)
		return true
	}
	if s.limit > 0 && len(s.series) >= s.limit {
		s.droppedLimit.Add(1)
		s.overflow.count.Add(1)
		s.overflow.last.Store(ts)
		return false
	}
	// A new series is complete before it becomes visible.
	sr := &series{}
	sr.count.Store(1)
	sr.last.Store(ts)
	s.series[k] = sr
	return true
}

// Expire removes every series not updated for the store's ttl and returns how
// many it removed. The overflow series never expires: it holds counts of
// traps whose series were refused, and deleting it would hide them.
func (s *Store) Expire() int {
	if s.ttl <= 0 {
		return 0
	}
	cutoff := s.now().Add(-s.ttl).UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, sr := range s.series {
		if sr.last.Load() < cutoff {
			delete(s.series, k)
			n++
		}
	}
	s.droppedExpired.Add(uint64(n))
	return n
}

// Sample is one series as read by Snapshot.
type Sample struct {
	Key
	Count uint64
	Last  time.Time
}

// Snapshot returns all series sorted by device then trap, followed by the
// overflow series once any trap has overflowed.
func (s *Store) Snapshot() []Sample {
	s.mu.RLock()
	out := make([]Sample, 0, len(s.series)+1)
	for k, sr := range s.series {
		out = append(out, Sample{Key: k, Count: sr.count.Load(), Last: time.Unix(0, sr.last.Load())})
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Device != out[j].Device {
			return out[i].Device < out[j].Device
		}
		return out[i].Trap < out[j].Trap
	})
	if c := s.overflow.count.Load(); c > 0 {
		out = append(out, Sample{
			Key:   Key{Device: OverflowLabel, Trap: OverflowLabel},
			Count: c,
			Last:  time.Unix(0, s.overflow.last.Load()),
		})
	}
	return out
}

// Len returns the number of series in the store, not counting the overflow
// series.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.series)
}

// Dropped returns how many series were refused for the limit and how many
// were removed by expiry.
func (s *Store) Dropped() (limit, expired uint64) {
	return s.droppedLimit.Load(), s.droppedExpired.Load()
}
