package receiver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Reasons a TCP connection was closed: the `reason` label of
// snmptrap_tcp_connections_closed_total.
const (
	closeEOF       = "eof"
	closeIdle      = "idle_timeout"
	closeFraming   = "framing_error"
	closeTooLarge  = "too_large"
	closeReadError = "read_error"
	closeWriteErr  = "write_error"
	closeMsgTime   = "message_timeout"
	closeLimit     = "connection_limit"
	closeSrcLimit  = "source_connection_limit"
	closeShutdown  = "shutdown"
)

var closeReasons = []string{closeEOF, closeIdle, closeFraming, closeTooLarge, closeReadError, closeWriteErr,
	closeMsgTime, closeLimit, closeSrcLimit, closeShutdown}

// initialBuffer is a connection's read buffer; it grows for a larger message
// as its bytes arrive, and shrinks back once that message is handled.
const initialBuffer = 4096

// writeTimeout bounds how long a reply may wait for a slow reader.
const writeTimeout = 5 * time.Second

type tcpListener struct {
	name    string
	ln      net.Listener
	handler Handler
	opts    Options
	logger  log.Logger

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	perSrc   map[netip.Addr]int
	shutdown bool // set once Serve's context is done: no new connections
	wg       sync.WaitGroup

	accepted atomic.Uint64
	closed   sync.Map // reason -> *atomic.Uint64
	replies  replies

	// readHook, when set (by tests, before Serve), is called before each
	// read of a connection with the buffer the read appends to.
	readHook func(c net.Conn, buf []byte)
}

func listenTCP(name, network, hostport string, h Handler, opts Options) (*tcpListener, error) {
	ln, err := net.Listen(network, hostport)
	if err != nil {
		return nil, err
	}
	l := &tcpListener{
		name:    name,
		ln:      ln,
		handler: h,
		opts:    opts,
		logger:  log.With(opts.Logger, "listener", name),
		conns:   make(map[net.Conn]struct{}),
		perSrc:  make(map[netip.Addr]int),
	}
	for _, r := range closeReasons {
		l.closed.Store(r, new(atomic.Uint64))
	}
	return l, nil
}

func (l *tcpListener) Name() string   { return l.name }
func (l *tcpListener) Close() error   { return l.ln.Close() }
func (l *tcpListener) Addr() net.Addr { return l.ln.Addr() }

func (l *tcpListener) Stats() Stats {
	l.mu.Lock()
	open := len(l.conns)
	l.mu.Unlock()
	closed := make(map[string]uint64, len(closeReasons))
	for _, r := range closeReasons {
		v, _ := l.closed.Load(r)
		closed[r] = v.(*atomic.Uint64).Load()
	}
	s := Stats{
		Listener:            l.name,
		Transport:           "tcp",
		KernelDrops:         -1,
		ConnectionsOpen:     open,
		ConnectionsAccepted: l.accepted.Load(),
		ConnectionsClosed:   closed,
	}
	l.replies.stats(&s)
	return s
}

func (l *tcpListener) countClose(reason string) {
	v, _ := l.closed.Load(reason)
	v.(*atomic.Uint64).Add(1)
}

// Serve accepts connections until ctx is done, then closes the listener and
// every open connection and waits for their goroutines.
func (l *tcpListener) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.ln.Close()
		l.mu.Lock()
		// A connection accepted from now on is refused by track; without
		// the flag it could slip in after this loop and keep Serve waiting
		// for its idle timeout.
		l.shutdown = true
		for c := range l.conns {
			c.Close()
		}
		l.mu.Unlock()
	})
	defer stop()
	defer l.wg.Wait()
	defer l.ln.Close()

	var backoff time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does, rather than give up the listener.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			level.Warn(l.logger).Log("msg", "accept failed; retrying", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-ctx.Done():
				return nil
			}
		}
		backoff = 0
		l.accepted.Add(1)
		src := remoteAddr(c)
		if reason := l.track(c, src.Addr()); reason != "" {
			l.countClose(reason)
			if reason != closeShutdown {
				level.Debug(l.logger).Log("msg", "connection refused", "source", src, "reason", reason,
					"limit", l.opts.TCPMaxConnections, "per_source_limit", l.opts.TCPMaxConnectionsPerSource)
			}
			c.Close()
			continue
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			reason := l.serveConn(ctx, c)
			l.untrack(c, src.Addr())
			c.Close()
			if ctx.Err() != nil {
				reason = closeShutdown
			}
			l.countClose(reason)
		}()
	}
}

func remoteAddr(c net.Conn) netip.AddrPort {
	if ra, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return unmap(ra.AddrPort())
	}
	return netip.AddrPort{}
}

// track registers a connection, or returns why it may not stay open: the
// listener is shutting down, or it is at its limit, overall or for the
// source. A new connection is refused rather than an old one evicted, and
// the per-source limit keeps one host from taking every slot.
func (l *tcpListener) track(c net.Conn, src netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.shutdown:
		return closeShutdown
	case len(l.conns) >= l.opts.TCPMaxConnections:
		return closeLimit
	case l.perSrc[src] >= l.opts.TCPMaxConnectionsPerSource:
		return closeSrcLimit
	}
	l.conns[c] = struct{}{}
	l.perSrc[src]++
	return ""
}

func (l *tcpListener) untrack(c net.Conn, src netip.Addr) {
	l.mu.Lock()
	delete(l.conns, c)
	if l.perSrc[src]--; l.perSrc[src] <= 0 {
		delete(l.perSrc, src)
	}
	l.mu.Unlock()
}

// serveConn reads SNMP messages from one connection (RFC 3430: each is one
// BER SEQUENCE, back to back, with no other framing) and returns why it
// stopped. Messages may be split across reads and several may arrive in one.
//
// Every byte received ends up in exactly one call to the handler: complete
// messages one by one, and whatever cannot be cut into a message (a framing
// error, or a message cut short when the connection ends) as one packet
// with Framing set, which the handler counts without decoding.
func (l *tcpListener) serveConn(ctx context.Context, c net.Conn) string {
	pkt := Packet{Listener: l.name, Transport: "tcp", Source: remoteAddr(c)}
	logger := log.With(l.logger, "source", pkt.Source)
	buf := make([]byte, 0, initialBuffer)
	var reply []byte
	var partialSince time.Time // when the incomplete message in buf began
	writeOK := true

	reject := func(data []byte, f FramingError) {
		pkt.Data, pkt.Framing = data, f
		l.handler.Handle(&pkt, nil) // counted, never answered
		pkt.Framing = FramingOK
	}
	for {
		// Hand over every complete message in the buffer. start moves
		// forward; the rest is moved to the front once per read, so a
		// stream of small messages costs linear, not quadratic, time.
		start, consumed := 0, false
		for start < len(buf) {
			size, err := frameSize(buf[start:], l.opts.MaxMessageSize)
			if err != nil {
				// The framing is lost: there is no way to find the next
				// message, so count what is here and drop the connection.
				reject(buf[start:], framingOf(err))
				level.Debug(logger).Log("msg", "closing TCP connection", "err", err)
				if errors.Is(err, errTooLarge) {
					return closeTooLarge
				}
				return closeFraming
			}
			if size == 0 || size > len(buf)-start {
				break
			}
			pkt.Data = buf[start : start+size]
			pkt.Received = time.Now()
			var kind ReplyKind
			reply, kind = l.handler.Handle(&pkt, reply[:0])
			start += size
			consumed = true
			switch {
			case len(reply) == 0:
				l.replies.notSent(kind)
			case writeOK:
				// After a failed write the peer is gone or stuck, but the
				// messages it already sent are still handled.
				writeOK = l.write(c, reply, kind, logger)
			}
		}
		buf = buf[:copy(buf, buf[start:])]
		if !writeOK {
			if len(buf) > 0 {
				reject(buf, FramingTruncated)
			}
			return closeWriteErr
		}
		switch {
		case len(buf) == 0:
			partialSince = time.Time{}
			if cap(buf) > initialBuffer {
				buf = make([]byte, 0, initialBuffer)
			}
		case consumed || partialSince.IsZero():
			partialSince = time.Now()
		}
		// Grow the buffer when a pending message has filled it, or shrink
		// it back after a large message. Growth doubles, up to the size
		// the header announces: memory follows the bytes received, so a
		// peer that announces a large message and sends little of it
		// holds little, while a large message costs linear copying.
		size, _ := frameSize(buf, l.opts.MaxMessageSize)
		newCap := 0
		switch {
		case len(buf) == cap(buf) && size > cap(buf):
			newCap = min(2*cap(buf), size)
		case size <= initialBuffer && cap(buf) > initialBuffer:
			newCap = initialBuffer
		}
		if newCap > 0 {
			nb := make([]byte, len(buf), newCap)
			copy(nb, buf)
			buf = nb
		}

		// An idle connection may wait TCPIdleTimeout for its next message;
		// a message, once begun, must be complete within TCPMessageTimeout,
		// so that dripping one byte at a time cannot hold a slot for ever.
		deadline := time.Now().Add(l.opts.TCPIdleTimeout)
		if d := partialSince.Add(l.opts.TCPMessageTimeout); !partialSince.IsZero() && d.Before(deadline) {
			deadline = d
		}
		if err := c.SetReadDeadline(deadline); err != nil {
			return closeReadError
		}
		if l.readHook != nil {
			l.readHook(c, buf)
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == nil {
			continue
		}
		if n > 0 {
			// Data and an error together (allowed of an io.Reader): frame
			// what came before giving up on the connection.
			continue
		}
		if len(buf) > 0 {
			reject(buf, FramingTruncated)
		}
		switch {
		case ctx.Err() != nil:
			return closeShutdown
		case errors.Is(err, io.EOF):
			return closeEOF
		case errors.Is(err, os.ErrDeadlineExceeded):
			if len(buf) > 0 {
				return closeMsgTime
			}
			return closeIdle
		default:
			level.Debug(logger).Log("msg", "TCP read failed", "err", err)
			return closeReadError
		}
	}
}

func (l *tcpListener) write(c net.Conn, b []byte, kind ReplyKind, logger log.Logger) bool {
	err := c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err == nil {
		_, err = c.Write(b)
	}
	l.replies.sent(kind, err)
	if err != nil {
		level.Debug(logger).Log("msg", "cannot send reply", "err", err)
		return false
	}
	return true
}

func framingOf(err error) FramingError {
	switch {
	case errors.Is(err, errNotSequence):
		return FramingNotSequence
	case errors.Is(err, errIndefinite):
		return FramingIndefinite
	}
	return FramingTooLarge
}

var (
	errNotSequence = errors.New("message does not start with a BER SEQUENCE")
	errIndefinite  = errors.New("indefinite-length message")
	errTooLarge    = errors.New("message larger than the maximum message size")
)

// frameSize returns the total size (header included) of the BER SEQUENCE at
// the start of b, or 0 if b does not yet hold its whole header. Long-form
// lengths need not be minimal (BER, unlike DER, allows `30 82 00 2c`).
func frameSize(b []byte, limit int) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if b[0] != 0x30 {
		return 0, errNotSequence
	}
	if len(b) < 2 {
		return 0, nil
	}
	if b[1] < 0x80 {
		// The limit holds for short-form lengths too: with a limit below
		// 129 bytes, `30 7f` already announces a message over it.
		if total := 2 + int(b[1]); total <= limit {
			return total, nil
		}
		return 0, errTooLarge
	}
	n := int(b[1] & 0x7f)
	if n == 0 {
		return 0, errIndefinite
	}
	if n > 4 {
		return 0, errTooLarge
	}
	if len(b) < 2+n {
		return 0, nil
	}
	var length uint64
	for _, c := range b[2 : 2+n] {
		length = length<<8 | uint64(c)
	}
	total := uint64(2+n) + length
	if total > uint64(limit) {
		return 0, errTooLarge
	}
	return int(total), nil
}
