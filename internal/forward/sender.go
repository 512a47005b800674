package forward

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// item is one trap in a destination's queue: the bytes to send as they
// are (raw), or the varbinds to encode (v2c, inform), shared read-only
// with the other destinations' queues.
type item struct {
	raw  []byte
	vbs  []snmp.Varbind
	size int // bytes held, for the queue's byte bound
}

// maxResponse bounds a response read from a TCP destination.
const maxResponse = 64 << 10

// tcpDials is how often one trap tries to connect to a TCP destination
// before it counts as failed.
const tcpDials = 3

// sender sends one destination's queue, on its own goroutine.
type sender struct {
	dest      string
	mode      string
	network   string
	hostport  string
	community []byte
	opts      Options
	logger    log.Logger

	queue    chan item
	stopping chan struct{} // closed: send what is queued, then return
	abort    chan struct{} // closed: the drain time is up, drop the rest
	done     chan struct{} // closed when run returns
	stopped  atomic.Bool   // run has returned: enqueue drops
	once     sync.Once

	bytes                          atomic.Int64 // held by the queue
	sent, failed, dropped, retried atomic.Uint64
	drained, abandoned             atomic.Uint64 // after stopping

	// Used by run only, except conn, which close may interrupt.
	connMu    sync.Mutex
	conn      net.Conn
	reader    *bufio.Reader // for inform responses over TCP
	requestID int32
	buf       []byte
	rbuf      []byte // a UDP response
	backoff   time.Duration
	nextDial  time.Time
	failing   bool // an error was logged and nothing has worked since
}

func newSender(d *destPlan, o Options) *sender {
	return &sender{
		dest:      d.addr.String(),
		mode:      d.mode,
		network:   d.addr.Network,
		hostport:  net.JoinHostPort(d.addr.Host, strconv.Itoa(d.addr.Port)),
		community: []byte(d.community),
		opts:      o,
		logger:    log.With(o.Logger, "destination", d.addr.String()),
		queue:     make(chan item, o.QueueSize),
		stopping:  make(chan struct{}),
		abort:     make(chan struct{}),
		done:      make(chan struct{}),
		requestID: int32(time.Now().UnixNano() & 0x3fffffff),
	}
}

// enqueue adds it to the queue, or counts it dropped when the queue is
// full or the sender has stopped. It never blocks.
func (s *sender) enqueue(it item) {
	if s.stopped.Load() || s.bytes.Load()+int64(it.size) > int64(s.opts.QueueBytes) {
		s.dropped.Add(1)
		return
	}
	s.bytes.Add(int64(it.size))
	select {
	case s.queue <- it:
	default:
		s.bytes.Add(-int64(it.size))
		s.dropped.Add(1)
	}
}

// take accounts for an item taken from the queue.
func (s *sender) take(it item) item {
	s.bytes.Add(-int64(it.size))
	return it
}

func (s *sender) queueLen() int { return len(s.queue) }

func (s *sender) stats() Stats {
	return Stats{Destination: s.dest, Mode: s.mode, Sent: s.sent.Load(), Failed: s.failed.Load(),
		Dropped: s.dropped.Load(), Retried: s.retried.Load(), Queue: len(s.queue)}
}

// run sends the queue until close; then what is left, until the drain
// time is up.
func (s *sender) run() {
	defer close(s.done)
	defer s.disconnect()
	for {
		select {
		case it := <-s.queue:
			s.send(s.take(it))
		case <-s.stopping:
			for {
				select {
				case it := <-s.queue:
					s.take(it)
					if s.aborted() {
						s.dropped.Add(1)
						s.abandoned.Add(1)
						continue
					}
					s.send(it)
					s.drained.Add(1)
				default:
					return
				}
			}
		}
	}
}

// close stops the sender: it sends what its queue holds for up to
// timeout, then drops the rest. It returns how many traps it sent (or
// failed to) and how many it dropped in that time.
func (s *sender) close(timeout time.Duration) (drained, dropped uint64) {
	s.once.Do(func() {
		close(s.stopping)
		t := time.NewTimer(timeout)
		select {
		case <-s.done:
			t.Stop()
		case <-t.C:
			close(s.abort)
			// Closing the connection unblocks a write or a wait for an
			// acknowledgement at once (a deadline would be reset by the
			// sender's next call); connect refuses to open another.
			s.connMu.Lock()
			if s.conn != nil {
				s.conn.Close()
			}
			s.connMu.Unlock()
			<-s.done
		}
		s.stopped.Store(true)
		// Whatever an Offer still in flight put in after run returned.
		for len(s.queue) > 0 {
			s.take(<-s.queue)
			s.dropped.Add(1)
			s.abandoned.Add(1)
		}
	})
	return s.drained.Load(), s.abandoned.Load()
}

func (s *sender) aborted() bool {
	select {
	case <-s.abort:
		return true
	default:
		return false
	}
}

// sleep waits d, or less when the drain time runs out; it reports
// whether it waited the whole time.
func (s *sender) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.abort:
		return false
	}
}

// send sends one trap and counts the result.
func (s *sender) send(it item) {
	if s.mode == config.ForwardInform {
		s.inform(it)
		return
	}
	msg := it.raw
	if s.mode == config.ForwardV2c {
		s.requestID = (s.requestID + 1) & 0x7fffffff
		s.buf = snmp.AppendTrapV2(s.buf[:0], snmp.V2c, s.community, snmp.PDUTrapV2, s.requestID, it.vbs)
		msg = s.buf
	}
	if err := s.write(msg); err != nil {
		s.failed.Add(1)
		s.logError("cannot forward trap", err)
		return
	}
	s.sent.Add(1)
	s.failing = false
}

// write sends msg on the connection, connecting first when there is none.
// A TCP write that fails is tried once more on a new connection.
func (s *sender) write(msg []byte) error {
	for attempt := 0; ; attempt++ {
		c, err := s.connect()
		if err != nil {
			return err
		}
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err = c.Write(msg)
		if err == nil {
			return nil
		}
		s.disconnect()
		if s.network == "udp" || attempt > 0 || s.aborted() {
			return err
		}
		s.retried.Add(1)
	}
}

// connect returns the connection, making one when there is none (for UDP
// see dialUDP). TCP connects that fail back off, up to tcpDials
// attempts for one trap.
func (s *sender) connect() (net.Conn, error) {
	if s.aborted() {
		return nil, errors.New("stopped")
	}
	if s.conn != nil {
		return s.conn, nil
	}
	var err error
	for attempt := 0; attempt < tcpDials; attempt++ {
		if wait := time.Until(s.nextDial); wait > 0 && !s.sleep(wait) {
			return nil, errors.New("stopped while waiting to reconnect")
		}
		if attempt > 0 {
			s.retried.Add(1)
		}
		var c net.Conn
		if s.network == "udp" {
			c, err = dialUDP(s.hostport)
		} else {
			c, err = net.DialTimeout(s.network, s.hostport, dialTimeout)
		}
		if err == nil {
			s.backoff = 0
			s.connMu.Lock()
			if s.aborted() {
				s.connMu.Unlock()
				c.Close()
				return nil, errors.New("stopped")
			}
			s.conn = c
			s.connMu.Unlock()
			if s.network == "tcp" {
				if s.mode == config.ForwardInform {
					s.reader = bufio.NewReader(c)
				} else {
					// Nothing is expected back; whatever comes (the
					// responses to informs forwarded raw) is read and
					// dropped, so that the peer never blocks on us.
					go io.Copy(io.Discard, c)
				}
			}
			return c, nil
		}
		if s.network == "udp" {
			break
		}
		s.backoff = min(max(2*s.backoff, time.Second), maxBackoff)
		s.nextDial = time.Now().Add(s.backoff)
	}
	return nil, err
}

func (s *sender) disconnect() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.reader = nil, nil
	}
}

// inform sends an InformRequest and waits for its Response, sending it
// again with a doubled wait up to the retry count.
func (s *sender) inform(it item) {
	s.requestID = (s.requestID + 1) & 0x7fffffff
	id := s.requestID
	s.buf = snmp.AppendTrapV2(s.buf[:0], snmp.V2c, s.community, snmp.PDUInformRequest, id, it.vbs)
	wait := s.opts.InformTimeout
	var lastErr error
	for attempt := 0; attempt <= s.opts.InformRetries; attempt++ {
		if attempt > 0 {
			if s.aborted() {
				break
			}
			s.retried.Add(1)
		}
		err := s.write(s.buf)
		if err == nil {
			if err = s.awaitAck(id, wait); err == nil {
				s.sent.Add(1)
				s.failing = false
				return
			}
		} else if s.network == "tcp" {
			lastErr = err
			break // write has tried a new connection already
		} else if !s.sleep(wait) {
			lastErr = err
			break
		}
		lastErr = err
		wait *= 2
	}
	s.failed.Add(1)
	s.logError("inform not acknowledged", lastErr)
}

var errNoAck = errors.New("no acknowledgement in time")

// awaitAck reads responses until the one to request id, or until wait
// has passed.
func (s *sender) awaitAck(id int32, wait time.Duration) error {
	c := s.conn
	deadline := time.Now().Add(wait)
	c.SetReadDeadline(deadline)
	if s.rbuf == nil {
		s.rbuf = make([]byte, maxResponse)
	}
	var m snmp.Message
	for {
		var resp []byte
		if s.network == "tcp" {
			r, err := readMessage(s.reader)
			if err != nil {
				s.disconnect()
				if isTimeout(err) {
					return errNoAck
				}
				return err
			}
			resp = r
		} else {
			n, err := c.Read(s.rbuf)
			if err != nil {
				if isTimeout(err) {
					return errNoAck
				}
				// A refused port (ICMP) surfaces here: the rest of the
				// wait passes as for a lost message, so that retries
				// keep their spacing.
				s.sleep(time.Until(deadline))
				return err
			}
			resp = s.rbuf[:n]
		}
		if m.Decode(resp) == nil && m.PDUType == snmp.PDUResponse && m.RequestID == id {
			return nil
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readMessage reads one BER-framed message (a SEQUENCE) from a stream.
func readMessage(r *bufio.Reader) ([]byte, error) {
	head := make([]byte, 0, 6)
	tag, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if tag != snmp.TagSequence {
		return nil, fmt.Errorf("not an SNMP message (tag 0x%02x)", tag)
	}
	l, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	head = append(head, tag, l)
	n := int(l)
	if l&0x80 != 0 {
		k := int(l & 0x7f)
		if k == 0 || k > 3 {
			return nil, fmt.Errorf("bad length of a response")
		}
		n = 0
		for range k {
			c, err := r.ReadByte()
			if err != nil {
				return nil, err
			}
			head = append(head, c)
			n = n<<8 | int(c)
		}
	}
	if n > maxResponse {
		return nil, fmt.Errorf("response of %d bytes, more than %d", n, maxResponse)
	}
	msg := make([]byte, len(head)+n)
	copy(msg, head)
	if _, err := io.ReadFull(r, msg[len(head):]); err != nil {
		return nil, err
	}
	return msg, nil
}

// logError says at warn level why the destination failed, once until it
// works again (a dead destination would log for every trap), and at debug
// level every time after.
func (s *sender) logError(msg string, err error) {
	text := "unknown error"
	if err != nil {
		text = err.Error()
	}
	if s.failing {
		level.Debug(s.logger).Log("msg", msg, "err", text)
		return
	}
	s.failing = true
	level.Warn(s.logger).Log("msg", msg+" (logged once until the destination works again)", "err", text)
}

// udpConn sends to one peer from an unconnected socket and reads only
// what that peer sends. Unlike a connected UDP socket it is told of no
// ICMP errors: a datagram handed to the kernel counts as sent, every
// time, instead of a refusal of one surfacing as the failure of the next
// (and a dead destination's warning coming and going).
type udpConn struct {
	*net.UDPConn
	peer netip.AddrPort
}

// dialUDP resolves hostport (once: a name lookup per connection, never
// per trap) and opens the socket.
func dialUDP(hostport string) (net.Conn, error) {
	ra, err := net.ResolveUDPAddr("udp", hostport)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, err
	}
	return &udpConn{UDPConn: pc, peer: ra.AddrPort()}, nil
}

func (c *udpConn) Write(b []byte) (int, error) { return c.WriteToUDPAddrPort(b, c.peer) }

func (c *udpConn) Read(b []byte) (int, error) {
	for {
		n, from, err := c.ReadFromUDPAddrPort(b)
		if err != nil {
			return n, err
		}
		if from.Addr().Unmap() == c.peer.Addr().Unmap() && from.Port() == c.peer.Port() {
			return n, nil
		}
	}
}

func (c *udpConn) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(c.peer) }
