package receiver

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// blocking is a Handler that holds its first packet until released, so
// that datagrams queue up in the socket behind it.
type blocking struct {
	mu      sync.Mutex
	first   chan struct{} // closed when the held packet arrives
	release chan struct{}
	holding bool
	n       int
}

func newBlocking() *blocking {
	b := &blocking{}
	b.hold()
	return b
}

// hold makes the next packet wait for release.
func (b *blocking) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.first, b.release, b.holding = make(chan struct{}), make(chan struct{}), true
}

func (b *blocking) Handle(*Packet, []byte) ([]byte, ReplyKind) {
	b.mu.Lock()
	b.n++
	holding, first, release := b.holding, b.first, b.release
	b.holding = false
	b.mu.Unlock()
	if holding {
		close(first)
		<-release
	}
	return nil, ReplyNone
}

func (b *blocking) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// Full reads that add up to backlogDatagrams mark the backlog; a read
// that drains the socket, or a short run of full ones, does not.
func TestBacklogMarksFullReads(t *testing.T) {
	backlog := &Backlog{}
	h := newBlocking()
	l := serve(t, "udp://127.0.0.1:0", h, Options{BatchSize: 8, ReceiveBuffer: 4 << 20, Backlog: backlog})
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func() {
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	send()
	<-h.first
	if backlog.Within(time.Now(), time.Hour) {
		t.Fatal("a read of one datagram marked the backlog")
	}
	for range backlogDatagrams / 2 { // a short run: half the backlog
		send()
	}
	close(h.release)
	testfixtures.WaitFor(t, "the short run read", func() bool { return h.count() == 1+backlogDatagrams/2 })
	if backlog.Within(time.Now(), time.Hour) {
		t.Fatal("a short run of full reads marked the backlog")
	}
	h.hold()
	send()
	<-h.first
	for range 2 * backlogDatagrams { // queued behind the held packet
		send()
	}
	close(h.release)
	testfixtures.WaitFor(t, "the backlog marked", func() bool { return backlog.Within(time.Now(), time.Hour) })
	if backlog.Within(time.Now().Add(time.Hour), time.Minute) {
		t.Error("the mark does not age")
	}
	var none *Backlog
	none.mark(time.Now())
	if none.Within(time.Now(), time.Hour) {
		t.Error("a nil Backlog reports a backlog")
	}
}
