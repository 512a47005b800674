package pipeline

import (
	"net/netip"
	"sync"
	"time"
)

// informKey identifies one inform for retransmission detection: a sender
// retransmits an unacknowledged inform from the same socket with the same
// request-id (RFC 3416 §4.2.7).
type informKey struct {
	src       netip.AddrPort
	requestID int32
}

type informEntry struct {
	key informKey
	at  time.Time
}

// informCache remembers recently counted informs so that a retransmission is
// acknowledged again but not counted twice. It holds at most max entries and
// forgets an entry after window; both bounds hold whatever senders do.
type informCache struct {
	window time.Duration
	max    int

	mu    sync.Mutex
	seen  map[informKey]time.Time
	order []informEntry // oldest first; a FIFO because window is fixed
	head  int
}

func newInformCache(window time.Duration, max int) *informCache {
	return &informCache{window: window, max: max, seen: make(map[informKey]time.Time)}
}

// firstSeen records k at now and reports whether it was not already seen
// within the window.
func (c *informCache) firstSeen(k informKey, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if at, ok := c.seen[k]; ok && now.Sub(at) < c.window {
		return false
	}
	for len(c.seen) >= c.max && c.head < len(c.order) {
		c.evictOldest()
	}
	c.seen[k] = now
	c.order = append(c.order, informEntry{key: k, at: now})
	return true
}

// recorded reports whether k was recorded within the window, without
// recording it.
func (c *informCache) recorded(k informKey, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.seen[k]
	return ok && now.Sub(at) < c.window
}

func (c *informCache) expire(now time.Time) {
	for c.head < len(c.order) && now.Sub(c.order[c.head].at) >= c.window {
		c.evictOldest()
	}
	// Reclaim the consumed front of the queue once it is half the slice.
	if c.head > 0 && c.head*2 >= len(c.order) {
		c.order = c.order[:copy(c.order, c.order[c.head:])]
		c.head = 0
	}
}

func (c *informCache) evictOldest() {
	e := c.order[c.head]
	c.head++
	// The map may hold a newer time for the key if it was re-added after
	// expiring; only delete the entry this queue slot stands for.
	if at, ok := c.seen[e.key]; ok && at.Equal(e.at) {
		delete(c.seen, e.key)
	}
}

func (c *informCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
