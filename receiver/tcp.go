package receiver

import (
	"context"
	"errors"
	"io"
	"net"
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
	closeLimit     = "connection_limit"
	closeShutdown  = "shutdown"
)

var closeReasons = []string{closeEOF, closeIdle, closeFraming, closeTooLarge, closeReadError, closeWriteErr, closeLimit, closeShutdown}

// writeTimeout bounds how long a reply may wait for a slow reader.
const writeTimeout = 5 * time.Second

type tcpListener struct {
	name    string
	ln      net.Listener
	handler Handler
	opts    Options
	logger  log.Logger

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup

	accepted  atomic.Uint64
	closed    sync.Map // reason -> *atomic.Uint64
	acked     atomic.Uint64
	ackErrors atomic.Uint64
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
	}
	for _, r := range closeReasons {
		l.closed.Store(r, new(atomic.Uint64))
	}
	return l, nil
}

func (l *tcpListener) Name() string   { return l.name }
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
	return Stats{
		Listener:            l.name,
		Transport:           "tcp",
		InformsAcknowledged: l.acked.Load(),
		AckErrors:           l.ackErrors.Load(),
		KernelDrops:         -1,
		ConnectionsOpen:     open,
		ConnectionsAccepted: l.accepted.Load(),
		ConnectionsClosed:   closed,
	}
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
		if !l.track(c) {
			l.countClose(closeLimit)
			level.Debug(l.logger).Log("msg", "connection refused: too many open connections", "source", c.RemoteAddr(), "limit", l.opts.TCPMaxConnections)
			c.Close()
			continue
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			reason := l.serveConn(ctx, c)
			l.untrack(c)
			c.Close()
			if ctx.Err() != nil {
				reason = closeShutdown
			}
			l.countClose(reason)
		}()
	}
}

func (l *tcpListener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) >= l.opts.TCPMaxConnections {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *tcpListener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// serveConn reads SNMP messages from one connection (RFC 3430: each is one
// BER SEQUENCE, back to back, with no other framing) and returns why it
// stopped. Messages may be split across reads and several may arrive in one.
func (l *tcpListener) serveConn(ctx context.Context, c net.Conn) string {
	ra, _ := c.RemoteAddr().(*net.TCPAddr)
	pkt := Packet{Listener: l.name, Transport: "tcp"}
	if ra != nil {
		pkt.Source = unmap(ra.AddrPort())
	}
	logger := log.With(l.logger, "source", pkt.Source)
	buf := make([]byte, 0, 4096)
	var reply []byte
	for {
		// Hand over every complete message in the buffer.
		for {
			size, err := frameSize(buf, l.opts.MaxMessageSize)
			if err != nil {
				// Let the handler count what was received (as not_snmp or
				// malformed), then drop the connection: with the framing
				// lost there is no way to find the next message.
				pkt.Data = buf
				l.handler.Handle(&pkt, nil)
				level.Debug(logger).Log("msg", "closing TCP connection", "err", err)
				if errors.Is(err, errTooLarge) {
					return closeTooLarge
				}
				return closeFraming
			}
			if size == 0 || size > len(buf) {
				if size > cap(buf) {
					nb := make([]byte, len(buf), size)
					copy(nb, buf)
					buf = nb
				}
				break
			}
			pkt.Data = buf[:size]
			reply = l.handler.Handle(&pkt, reply[:0])
			if len(reply) > 0 && !l.write(c, reply, logger) {
				return closeWriteErr
			}
			buf = buf[:copy(buf, buf[size:])]
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		if err := c.SetReadDeadline(time.Now().Add(l.opts.TCPIdleTimeout)); err != nil {
			return closeReadError
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return closeShutdown
			case errors.Is(err, io.EOF):
				if len(buf) > 0 {
					// A message cut short by the sender closing.
					pkt.Data = buf
					l.handler.Handle(&pkt, nil)
				}
				return closeEOF
			case errors.Is(err, os.ErrDeadlineExceeded):
				return closeIdle
			default:
				level.Debug(logger).Log("msg", "TCP read failed", "err", err)
				return closeReadError
			}
		}
	}
}

func (l *tcpListener) write(c net.Conn, b []byte, logger log.Logger) bool {
	if err := c.SetWriteDeadline(time.Now().Add(writeTimeout)); err == nil {
		if _, err = c.Write(b); err == nil {
			l.acked.Add(1)
			return true
		}
		level.Debug(logger).Log("msg", "cannot send reply", "err", err)
	}
	l.ackErrors.Add(1)
	return false
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
