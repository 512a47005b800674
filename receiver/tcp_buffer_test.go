package receiver

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// announce returns the header of a BER SEQUENCE whose whole encoding is
// total bytes (total >= 5 + 0x10000), in the 3-octet long form.
func announce(total int) []byte {
	n := total - 5
	return []byte{0x30, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
}

// bufferWatch records, per connection, the buffer each read appends to.
type bufferWatch struct {
	mu      sync.Mutex
	bufs    map[net.Conn][]byte // the latest, by connection
	reached map[net.Conn]bool
	want    int           // len(buf) a connection must reach to count
	done    chan net.Conn // one send per connection that reached want
	check   func(buf []byte)
}

func newBufferWatch(want, conns int) *bufferWatch {
	return &bufferWatch{bufs: make(map[net.Conn][]byte), reached: make(map[net.Conn]bool), want: want, done: make(chan net.Conn, conns)}
}

func (w *bufferWatch) hook(c net.Conn, buf []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bufs[c] = buf
	if w.check != nil {
		w.check(buf)
	}
	if len(buf) >= w.want && !w.reached[c] {
		w.reached[c] = true
		w.done <- c
	}
}

// listenWatched binds a TCP listener with w as its read hook, and serves it.
func listenWatched(t *testing.T, w *bufferWatch, h Handler, opts Options) Listener {
	t.Helper()
	l, err := Listen("tcp://127.0.0.1:0", h, opts)
	if err != nil {
		t.Fatal(err)
	}
	l.(*tcpListener).readHook = w.hook
	serveListener(t, l)
	return l
}

// TestTCPAnnouncedSizeCostsLittle: a peer that announces a message of the
// largest size and sends a few bytes of it holds little memory; the buffer
// grows with what arrives, not with what is announced.
func TestTCPAnnouncedSizeCostsLittle(t *testing.T) {
	const conns = 64
	const sent = 10
	head := announce(MaxMessageSizeLimit)
	w := newBufferWatch(len(head)+sent, conns)
	l := listenWatched(t, w, &recorder{}, Options{MaxMessageSize: MaxMessageSizeLimit, TCPMaxConnectionsPerSource: conns})
	for range conns {
		c := dialTCP(t, l)
		if _, err := c.Write(append(head, make([]byte, sent)...)); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until every connection has read what was sent and waits for
	// more: its buffer is then what it holds while the peer idles.
	timeout := time.After(10 * time.Second)
	for range conns {
		select {
		case <-w.done:
		case <-timeout:
			t.Fatal("timed out waiting for the connections to read their bytes")
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	total := 0
	for _, b := range w.bufs {
		if cap(b) > initialBuffer {
			t.Errorf("a connection that received %d bytes holds a %d-byte buffer, want at most %d", len(b), cap(b), initialBuffer)
		}
		total += cap(b)
	}
	t.Logf("%d connections announcing %d bytes and sending %d hold %d bytes of buffers (%d if allocated as announced)",
		conns, MaxMessageSizeLimit, len(head)+sent, total, conns*MaxMessageSizeLimit)
}

// TestTCPLargestMessageInPieces: a message of exactly the limit, sent in
// small pieces, arrives whole, with the buffer growing in step with the
// bytes received; one byte more closes the connection as too_large.
func TestTCPLargestMessageInPieces(t *testing.T) {
	msg := append(announce(MaxMessageSizeLimit), strings.Repeat("x", MaxMessageSizeLimit-5)...)
	w := newBufferWatch(len(msg), 1)
	var failed bool
	w.check = func(buf []byte) {
		// Doubling when full: never more than twice what is held, nor
		// more than the message.
		if !failed && (cap(buf) > max(initialBuffer, 2*len(buf)) || cap(buf) > max(initialBuffer, len(msg))) {
			t.Errorf("a buffer of %d bytes holds %d", cap(buf), len(buf))
			failed = true
		}
	}
	rec := &recorder{}
	l := listenWatched(t, w, rec, Options{MaxMessageSize: MaxMessageSizeLimit})
	c := dialTCP(t, l)
	for i := 0; i < len(msg); i += 1000 {
		if _, err := c.Write(msg[i:min(i+1000, len(msg))]); err != nil {
			t.Fatal(err)
		}
	}
	testfixtures.WaitFor(t, "the message", func() bool { return len(rec.packets()) == 1 })
	if got := rec.packets()[0].Data; !bytes.Equal(got, msg) {
		t.Errorf("received %d bytes, want the %d-byte message", len(got), len(msg))
	}
	c.Close()
	testfixtures.WaitFor(t, "eof close", func() bool { return closedCount(l, closeEOF) == 1 })

	over := dialTCP(t, l)
	over.Write(append(announce(MaxMessageSizeLimit+1), "xxxxxxxxxx"...))
	expectClosed(t, over)
	testfixtures.WaitFor(t, "too_large close", func() bool { return closedCount(l, closeTooLarge) == 1 })
	if pk := rec.packets(); len(pk) != 2 || pk[1].Framing != FramingTooLarge {
		t.Errorf("handler got %d packets, want the message and the too-large bytes", len(pk))
	}
}
