package metrics

import (
	"slices"
	"strings"
)

// Index is the store's trap series in the order /metrics writes
// them, with the overflow series in its place: the label strings and a
// pointer to each series, whose count and time are read when written. It
// is rebuilt only when series have been added or removed since (gen), by
// one scrape at a time, and shared by every scrape until then: at 100,000
// series a scrape used to copy 5 MB of samples under the store's lock,
// and every slow client held its own copy.
type Index struct {
	gen     uint64
	entries []indexEntry
}

type indexEntry struct {
	device, trap string
	sr           *series
}

// Any reports whether there is a series to write: one in the store, or
// traps in the overflow series.
func (idx *Index) Any() bool {
	for i := range idx.entries {
		if e := &idx.entries[i]; !e.overflow() || e.sr.count.Load() > 0 {
			return true
		}
	}
	return false
}

func (e *indexEntry) overflow() bool { return e.device == OverflowLabel && e.trap == OverflowLabel }

// Len returns the number of entries, the overflow series' among them.
func (idx *Index) Len() int { return len(idx.entries) }

// Entry returns entry i: its labels, its count and the time of its last
// trap (Unix nanoseconds), read now, and whether it is the overflow series
// (to be left out while its count is 0).
func (idx *Index) Entry(i int) (device, trap string, count uint64, last int64, overflow bool) {
	e := &idx.entries[i]
	return e.device, e.trap, e.sr.count.Load(), e.sr.last.Load(), e.overflow()
}

// Index returns the index of the store's series as they are now.
func (s *Store) Index() *Index {
	if idx := s.index.Load(); idx != nil && idx.gen == s.gen.Load() {
		return idx
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if idx := s.index.Load(); idx != nil && idx.gen == s.gen.Load() {
		return idx
	}
	s.mu.RLock()
	idx := &Index{gen: s.gen.Load(), entries: make([]indexEntry, 0, len(s.series)+1)}
	for k, sr := range s.series {
		idx.entries = append(idx.entries, indexEntry{device: k.Device, trap: k.Trap, sr: sr})
	}
	s.mu.RUnlock()
	idx.entries = append(idx.entries, indexEntry{device: OverflowLabel, trap: OverflowLabel, sr: &s.overflow})
	slices.SortFunc(idx.entries, func(a, b indexEntry) int {
		if c := strings.Compare(a.device, b.device); c != 0 {
			return c
		}
		return strings.Compare(a.trap, b.trap)
	})
	s.index.Store(idx)
	return idx
}

// storeSample is one series as copied out of the store for a snapshot.
type storeSample struct {
	device, trap string
	count        uint64
	last         int64 // Unix nanoseconds
}

// appendSamples appends every series to dst, and the overflow series once any
// trap has overflowed, sorted by device then trap as the registry sorts
// label values. The store's
// lock is held only while copying, never while sorting or writing.
func (s *Store) appendSamples(dst []storeSample) []storeSample {
	s.mu.RLock()
	dst = slices.Grow(dst, len(s.series)+1)
	for k, sr := range s.series {
		dst = append(dst, storeSample{device: k.Device, trap: k.Trap, count: sr.count.Load(), last: sr.last.Load()})
	}
	s.mu.RUnlock()
	if c := s.overflow.count.Load(); c > 0 {
		dst = append(dst, storeSample{device: OverflowLabel, trap: OverflowLabel, count: c, last: s.overflow.last.Load()})
	}
	slices.SortFunc(dst, func(a, b storeSample) int {
		if c := strings.Compare(a.device, b.device); c != 0 {
			return c
		}
		return strings.Compare(a.trap, b.trap)
	})
	return dst
}
