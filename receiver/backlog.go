package receiver

import (
	"sync/atomic"
	"time"
)

// Backlog tells whether the receive path is behind: a UDP read returned
// as many datagrams as it could take (Options.BatchSize), so more were
// waiting in the socket. The trap log outputs step aside while it is
// (internal/traplog), so that under a flood their work does not take the
// CPU receiving needs. With a BatchSize of 1 every read is full, so
// nothing is reported.
type Backlog struct {
	last atomic.Int64 // Unix nanoseconds of the last full read
}

// mark records a full read at now. A nil Backlog does nothing.
func (b *Backlog) mark(now time.Time) {
	if b != nil {
		b.last.Store(now.UnixNano())
	}
}

// Within reports whether a read was full within d before now.
func (b *Backlog) Within(now time.Time, d time.Duration) bool {
	if b == nil {
		return false
	}
	last := b.last.Load()
	return last != 0 && now.UnixNano()-last < int64(d)
}
