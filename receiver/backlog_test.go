package receiver

import (
	"net"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// blocking is a Handler that holds its first packet until released, so
// that datagrams queue up in the socket behind it.
type blocking struct {
	first   chan struct{}
	release chan struct{}
	n       int
}

func (b *blocking) Handle(*Packet, []byte) ([]byte, ReplyKind) {
	if b.n == 0 {
		close(b.first)
		<-b.release
	}
	b.n++
	return nil, ReplyNone
}

// A read that comes back full marks the backlog; reads that drain the
// socket do not.
func TestBacklogMarksFullReads(t *testing.T) {
	backlog := &Backlog{}
	h := &blocking{first: make(chan struct{}), release: make(chan struct{})}
	l := serve(t, "udp://127.0.0.1:0", h, Options{BatchSize: 8, Backlog: backlog})
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
	for range 20 { // queued behind the held packet: the next reads are full
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
