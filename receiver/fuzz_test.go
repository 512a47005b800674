package receiver

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
)

// fuzzLimit is the MaxMessageSize of the listener under FuzzTCPFraming.
const fuzzLimit = 1024

// refFrame is a specification of RFC 3430 framing written independently of
// frameSize, with the same results: the total size of the SEQUENCE at the
// start of r once its header is complete (the frame itself may not be: the
// caller compares size with len(r)), 0 while the header is incomplete, or a
// framing error. For an error, seen is also returned: the length of the
// shortest prefix of r that already shows it, the point from which the
// listener must give up whatever follows.
func refFrame(r []byte, limit int) (size, seen int, err error) {
	if len(r) < 1 {
		return 0, 0, nil
	}
	if r[0] != 0x30 { // SEQUENCE, universal constructed 16
		return 0, 1, errNotSequence
	}
	if len(r) < 2 {
		return 0, 0, nil
	}
	var hdr int
	var length uint64
	switch l := r[1]; {
	case l == 0x80:
		return 0, 2, errIndefinite
	case l < 0x80:
		hdr, length = 2, uint64(l)
	default:
		n := int(l & 0x7f)
		if n > 4 {
			// More than 4 GiB can be described, far above any limit.
			return 0, 2, errTooLarge
		}
		hdr = 2 + n
		if len(r) < hdr {
			return 0, 0, nil
		}
		for _, c := range r[2:hdr] {
			length = length<<8 | uint64(c)
		}
	}
	if uint64(hdr)+length > uint64(limit) {
		return 0, hdr, errTooLarge
	}
	return hdr + int(length), 0, nil
}

// pipeConn gives one end of a net.Pipe the deadline behaviour of a TCP
// socket: net.Pipe refuses SetReadDeadline (io.ErrClosedPipe) as soon as the
// other end is closed, before the EOF has even been read, where a TCP socket
// accepts it until it is closed locally. Without this, every connection that
// the client closes would end in read_error instead of eof.
type pipeConn struct {
	net.Conn
	closed atomic.Bool
}

func (c *pipeConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

func (c *pipeConn) SetReadDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil && c.closed.Load() {
		return err
	}
	return nil
}

// FuzzTCPFraming writes arbitrary bytes, chunk bytes per write, into
// serveConn over a net.Pipe and checks what the handler is given and why the
// connection is closed against refFrame.
//
// Let frames be the complete frames refFrame finds back to back from the
// start of data, ending at offset off. The listener must
//
//   - return (bounded by a timer) with reason eof, framing_error or
//     too_large, never anything else: the client always closes, and ctx is
//     never cancelled;
//   - hand over exactly those frames first, in order, each one byte-exact and
//     a whole frame (frameSize(msg, limit) == len(msg));
//   - if off == len(data), hand over nothing more and return eof: the
//     messages then concatenate to exactly data;
//   - if data[off:] is a frame cut short by EOF, hand it over as one more
//     message, which frameSize finds incomplete (no error, and a size of 0 or
//     beyond its length), and return eof;
//   - if data[off:] starts with a framing error, hand over one more message
//     and return framing_error (not a SEQUENCE, indefinite length) or
//     too_large (length of length over 4, or a total over the limit). That
//     message is data[off:end], where end is how far the listener had read
//     when the error became visible: at least off+seen, so frameSize on it
//     gives the same error, and at most the end of the write that delivered
//     byte off+seen-1 (off+seen rounded up to a multiple of the chunk size,
//     capped at len(data)), since net.Pipe has no buffer and a Write returns
//     only once it has all been read. With the listener's 4 KiB read buffer
//     end is that upper bound; the test does not insist on it, so that a
//     smaller buffer would still pass.
//
// In every case the messages are consecutive pieces of data: their
// concatenation is a prefix of data. Every Packet carries the listener's
// name, "tcp", and a zero Source (a pipe has no TCP address).
//
// The first check compares frameSize itself with refFrame, at the fuzzer's
// data, for both the listener's limit and a limit derived from chunk, so
// that small limits (which short-form lengths can exceed) are covered too.
func FuzzTCPFraming(f *testing.F) {
	long := func(n int) []byte { // a frame with 82-form length and n content bytes
		return append([]byte{0x30, 0x82, byte(n >> 8), byte(n)}, bytes.Repeat([]byte{0x04}, n)...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	trap := []byte("0\x81\x80\x02\x01\x01\x04\x06public\xa7s\x02\x04r\\\xefB\x02\x01\x00\x02\x01\x000e0\x10\x06\x08+\x06\x01\x02\x01\x01\x03\x00C\x04\x01\x1a\xef\xa50\x14\x06\x0a+\x06\x01\x06\x03\x01\x01\x04\x01\x00\x06\x06+\x06\x01\x02\x01\x010\x16\x06\x08+\x06\x01\x02\x01\x01\x01\x00\x04\x0ared laptop0\x0d\x06\x08+\x06\x01\x02\x01\x01\x07\x00\x02\x01\x050\x14\x06\x07+\x06\x01\x02\x01\x01\x02\x06\x09+\x06\x01\x04\x01\x02\x03\x04\x05")
	seeds := [][]byte{
		nil,
		{0x30, 0x00},
		cat(seq("a"), seq("bc"), seq(""), trap, seq(strings.Repeat("x", 300))),
		{0x30, 0x82, 0x00, 0x03, 1, 2, 3},                      // non-minimal long form
		{0x30, 0x84, 0x00, 0x00, 0x00, 0x02, 9, 9, 0x30, 0x00}, // four length octets
		cat([]byte{0x30, 0x81, 0x01, 7}, []byte{0x30, 0x82, 0x00, 0x03, 1, 2, 3}),
		[]byte("GET / HTTP/1.0\r\n\r\n"),
		cat(seq("ok"), []byte("garbage after a frame")),
		{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00},                             // indefinite length
		cat(seq("ok"), []byte{0x30, 0x85, 0, 0, 0, 0, 1}),                      // length of length 5
		{0x30, 0x84, 0x00, 0x10, 0x00, 0x00, 0x02, 0x01, 0x01},                 // 1 MiB
		{0x30, 0x84, 0xff, 0xff, 0xff, 0xff},                                   // 4 GiB
		long(fuzzLimit - 4),                                                    // exactly the limit
		long(fuzzLimit - 3),                                                    // one over
		cat(long(fuzzLimit-4), long(fuzzLimit-4), long(fuzzLimit-4), seq("z")), // 3 KiB of frames
		{0x30, 0x10, 0x02, 0x01},                                               // cut short by EOF
		cat(seq("x"), []byte{0x30, 0x82, 0x00}),                                // EOF inside a header
		{0x30},
	}
	for _, s := range seeds {
		for _, chunk := range []uint8{1, 2, 3, 7, 255} {
			f.Add(s, chunk)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		step := max(1, int(chunk))

		for _, limit := range []int{fuzzLimit, step} {
			size, err := frameSize(data, limit)
			wsize, _, werr := refFrame(data, limit)
			if size != wsize || !errors.Is(err, werr) || (err == nil) != (werr == nil) {
				t.Fatalf("frameSize(% x, %d) = %d, %v; want %d, %v", data, limit, size, err, wsize, werr)
			}
		}

		// The expected outcome.
		var want [][]byte // the last one, after a framing error, may be longer than needed
		off := 0
		minLast := 0 // the fewest bytes the last message may hold
		wantReason := closeEOF
		for {
			size, seen, err := refFrame(data[off:], fuzzLimit)
			if err != nil {
				end := min(len(data), (off+seen+step-1)/step*step)
				want = append(want, data[off:end])
				minLast = seen
				wantReason = closeFraming
				if errors.Is(err, errTooLarge) {
					wantReason = closeTooLarge
				}
				break
			}
			if size == 0 || size > len(data)-off {
				if off < len(data) {
					want = append(want, data[off:])
				}
				break
			}
			want = append(want, data[off:off+size])
			off += size
		}
		if wantReason == closeEOF && len(want) > 0 {
			minLast = len(want[len(want)-1])
		}

		var got []Packet
		h := HandlerFunc(func(p *Packet, reply []byte) ([]byte, ReplyKind) {
			cp := *p
			cp.Data = bytes.Clone(p.Data)
			got = append(got, cp)
			return nil, ReplyNone
		})
		nop := log.NewNopLogger()
		l := &tcpListener{
			name:    "tcp://fuzz",
			handler: h,
			opts:    Options{MaxMessageSize: fuzzLimit, TCPIdleTimeout: 3 * time.Second, TCPMessageTimeout: 3 * time.Second, Logger: nop},
			logger:  nop,
			conns:   make(map[net.Conn]struct{}),
		}
		client, pipeServer := net.Pipe()
		server := &pipeConn{Conn: pipeServer}
		done := make(chan string, 1)
		go func() { done <- l.serveConn(context.Background(), server) }()
		written := make(chan error, 1)
		go func() {
			var err error
			for i := 0; i < len(data) && err == nil; i += step {
				_, err = client.Write(data[i:min(i+step, len(data))])
			}
			client.Close()
			written <- err
		}()

		var reason string
		select {
		case reason = <-done:
		case <-time.After(10 * time.Second):
			server.Close()
			client.Close()
			t.Fatalf("serveConn did not return within 10s (%d bytes, chunk %d)", len(data), step)
		}
		// Unblocks the writer if serveConn stopped reading early.
		server.Close()
		var werr error
		select {
		case werr = <-written:
		case <-time.After(10 * time.Second):
			t.Fatal("writer still blocked after the server side was closed")
		}

		// The invariants that do not need the model.
		switch reason {
		case closeEOF, closeFraming, closeTooLarge:
		default:
			t.Fatalf("reason %q, want eof, framing_error or too_large", reason)
		}
		if reason != closeEOF && len(got) == 0 {
			t.Fatalf("closed with %s without handing over the bytes that caused it", reason)
		}
		var all []byte
		for i, p := range got {
			if p.Listener != "tcp://fuzz" || p.Transport != "tcp" || p.Source != (netip.AddrPort{}) {
				t.Fatalf("message %d: packet %+v", i, p)
			}
			if len(p.Data) == 0 {
				t.Fatalf("message %d is empty", i)
			}
			size, err := frameSize(p.Data, fuzzLimit)
			complete := err == nil && size == len(p.Data)
			if i < len(got)-1 && !complete {
				t.Fatalf("message %d of %d is not a complete frame: % x (%d, %v)", i, len(got), p.Data, size, err)
			}
			if i == len(got)-1 && !complete {
				switch {
				case reason == closeFraming && !errors.Is(err, errNotSequence) && !errors.Is(err, errIndefinite):
					t.Fatalf("last message % x: frameSize error %v with reason %s", p.Data, err, reason)
				case reason == closeTooLarge && !errors.Is(err, errTooLarge):
					t.Fatalf("last message % x: frameSize error %v with reason %s", p.Data, err, reason)
				case reason == closeEOF && (err != nil || size != 0 && size <= len(p.Data)):
					t.Fatalf("last message % x at EOF: frameSize %d, %v; want an incomplete frame", p.Data, size, err)
				}
			}
			if (reason == closeFraming || reason == closeTooLarge) && i == len(got)-1 && complete {
				t.Fatalf("closed with %s but the last message % x is a complete frame", reason, p.Data)
			}
			all = append(all, p.Data...)
		}
		if !bytes.HasPrefix(data, all) {
			t.Fatalf("messages are not consecutive pieces of the input:\n got % x\nfrom % x", all, data)
		}
		if reason == closeEOF && !bytes.Equal(all, data) {
			t.Fatalf("EOF with %d of %d bytes handed over", len(all), len(data))
		}
		if reason == closeEOF && werr != nil {
			t.Fatalf("EOF, but the writer failed: %v", werr)
		}

		// The exact outcome.
		if reason != wantReason {
			t.Fatalf("reason %q, want %q (input % x, chunk %d)", reason, wantReason, data, step)
		}
		if len(got) != len(want) {
			t.Fatalf("%d messages, want %d (input % x, chunk %d)", len(got), len(want), data, step)
		}
		for i, w := range want {
			g := got[i].Data
			if i == len(want)-1 && len(g) >= minLast && len(g) <= len(w) {
				w = w[:len(g)]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("message %d = % x, want % x (chunk %d)", i, g, w, step)
			}
		}
	})
}
