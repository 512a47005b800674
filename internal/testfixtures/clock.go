package testfixtures

import (
	"sync"
	"time"
)

// Clock is a settable clock for tests of expiry and time windows, safe for
// concurrent use. NewClock starts it at 1,700,000,000 s (November 2023).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at Unix time 1,700,000,000.
func NewClock() *Clock { return &Clock{t: time.Unix(1_700_000_000, 0)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
