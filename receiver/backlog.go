package receiver

import (
	"sync/atomic"
	"time"
)

// Backlog tells whether the receive path is behind: consecutive UDP reads
// came back full (Options.BatchSize datagrams each) until they had read
// backlogDatagrams, so at least that many were waiting in the socket. The
// trap log outputs step aside while it is (internal/traplog), so that
// under a flood their work does not take the CPU receiving needs. A short
// delay (a scrape, a GC pause) fills a read or two and is not a backlog.
// With a BatchSize under minBacklogBatch, reads are full whenever traffic
// flows, so nothing is reported.
type Backlog struct {
	last atomic.Int64 // Unix nanoseconds of the last full read
}

const (
	backlogDatagrams = 256
	minBacklogBatch  = 8
)

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
