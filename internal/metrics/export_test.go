package metrics

import "time"

// What only the tests read of the store.

// Sample is one series as read by Snapshot.
type Sample struct {
	Key
	Count uint64
	Last  time.Time
}

// Snapshot returns all series sorted by device then trap, followed by the
// overflow series once any trap has overflowed.
func (s *Store) Snapshot() []Sample {
	samples := s.appendSamples(nil) // the copy /metrics writes from
	out := make([]Sample, 0, len(samples))
	var overflow []Sample
	for _, x := range samples {
		smp := Sample{Key: Key{Device: x.device, Trap: x.trap}, Count: x.count, Last: time.Unix(0, x.last)}
		if x.device == OverflowLabel && x.trap == OverflowLabel {
			overflow = append(overflow, smp)
			continue
		}
		out = append(out, smp)
	}
	return append(out, overflow...)
}

// Family returns the store's family of that name, or nil.
func (s *Store) Family(name string) *Family {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.families[name]
}
