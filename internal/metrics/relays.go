package metrics

import (
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Bounds of the relay counters. Relays come from the configuration's
// `relays:`, but an entry may be a prefix, and a UDP source address in it
// can be forged, so the label values and the remembered sources are
// bounded like anything else a packet chooses.
const (
	// MaxRelayLabels is how many relay sources get a `relay` label of
	// their own: the first ones seen. Later ones are counted under
	// RelayOtherLabel.
	MaxRelayLabels = 64
	// maxRelaysRemembered is how many relay sources past MaxRelayLabels
	// are remembered (to report each as new once).
	maxRelaysRemembered = 1024
)

// RelayOtherLabel is the `relay` label value that counts relay sources past
// MaxRelayLabels.
const RelayOtherLabel = "other"

// RelayNews says what a count told about its relay that had not been seen.
type RelayNews int

// What RelayCounters.Inc reports.
const (
	// RelayKnown: the relay was counted before.
	RelayKnown RelayNews = iota
	// RelayNew: the first count from this relay.
	RelayNew
	// RelayForgotten: the first count from a relay that could not be
	// remembered (the bounds are reached); later ones from further relays
	// are reported as RelayKnown, since they cannot be told from known
	// ones.
	RelayForgotten
)

// RelayCount is one relay's count (Relay is its label value).
type RelayCount struct {
	Relay string
	Count uint64
}

type relayCounter struct {
	label string
	n     atomic.Uint64
}

// RelayCounters count events per relay source address: the traps that a
// relay forwarded without naming the agent they came from. Counting a
// relay already labelled is a map lookup and an atomic add, without a lock
// and without allocating; the first count from a relay takes a lock.
type RelayCounters struct {
	// labelled is read without a lock and copied whole when a relay is
	// added: at most MaxRelayLabels of them.
	labelled atomic.Pointer[map[netip.Addr]*relayCounter]
	other    atomic.Uint64

	mu        sync.Mutex // adding a relay, and folded
	order     []*relayCounter
	folded    map[netip.Addr]struct{} // relays counted under other, remembered
	forgotten bool                    // a relay was neither labelled nor remembered
}

func newRelayCounters() *RelayCounters {
	r := &RelayCounters{folded: map[netip.Addr]struct{}{}}
	r.labelled.Store(&map[netip.Addr]*relayCounter{})
	return r
}

// Inc counts one event from relay a and says whether a is new.
func (r *RelayCounters) Inc(a netip.Addr) RelayNews {
	if c, ok := (*r.labelled.Load())[a]; ok {
		c.n.Add(1)
		return RelayKnown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.labelled.Load()
	if c, ok := old[a]; ok {
		c.n.Add(1)
		return RelayKnown
	}
	if len(old) < MaxRelayLabels {
		c := &relayCounter{label: a.String()}
		c.n.Add(1)
		next := maps.Clone(old)
		next[a] = c
		r.order = append(r.order, c)
		r.labelled.Store(&next)
		return RelayNew
	}
	r.other.Add(1)
	if _, ok := r.folded[a]; ok {
		return RelayKnown
	}
	if len(r.folded) < maxRelaysRemembered {
		r.folded[a] = struct{}{}
		return RelayNew
	}
	if r.forgotten {
		return RelayKnown
	}
	r.forgotten = true
	return RelayForgotten
}

// All returns the counts: one per labelled relay in the order they were
// first counted, then RelayOtherLabel's if it counted any.
func (r *RelayCounters) All() []RelayCount {
	r.mu.Lock()
	order := append([]*relayCounter(nil), r.order...)
	r.mu.Unlock()
	out := make([]RelayCount, 0, len(order)+1)
	for _, c := range order {
		out = append(out, RelayCount{Relay: c.label, Count: c.n.Load()})
	}
	if n := r.other.Load(); n > 0 {
		out = append(out, RelayCount{Relay: RelayOtherLabel, Count: n})
	}
	return out
}
