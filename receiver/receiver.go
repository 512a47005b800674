// Package receiver owns the trap sockets: UDP listeners that read in batches
// and answer from the address a request arrived on, and TCP listeners that
// split a byte stream into SNMP messages (RFC 3430). Every message is handed,
// in the reading goroutine, to a Handler; what the handler returns is sent
// back to the sender.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
)

// Packet is one datagram or one framed TCP message.
type Packet struct {
	// Listener is the listen address as given in the configuration, e.g.
	// "udp://:162". It is the value of the `listener` label.
	Listener string
	// Transport is "udp" or "tcp".
	Transport string
	// Source is the sender's address; IPv4-mapped IPv6 addresses are
	// unmapped to plain IPv4.
	Source netip.AddrPort
	// Data is the message. It is only valid during the call to Handle.
	Data []byte
	// Received is when the message was read. The UDP listener reads the
	// clock once per batch of datagrams, not once per datagram. Zero means
	// the handler's own clock.
	Received time.Time
	// Framing is set when Data is not a message but the bytes a TCP
	// connection sent that could not be cut into one; the handler counts
	// them without decoding.
	Framing FramingError
}

// FramingError says why bytes from a TCP stream are not a message.
type FramingError int

// The framing errors.
const (
	FramingOK          FramingError = iota
	FramingNotSequence              // the stream does not go on with a BER SEQUENCE
	FramingIndefinite               // an indefinite length, which SNMP forbids
	FramingTooLarge                 // a length over the maximum message size
	FramingTruncated                // the connection ended inside a message
)

func (f FramingError) String() string {
	switch f {
	case FramingOK:
		return "ok"
	case FramingNotSequence:
		return "not a BER SEQUENCE"
	case FramingIndefinite:
		return "indefinite length"
	case FramingTooLarge:
		return "message over the size limit"
	case FramingTruncated:
		return "connection ended inside a message"
	}
	return "unknown"
}

// ReplyKind says what a handler's reply is, for the listener's counters.
type ReplyKind int

// The kinds of reply.
const (
	ReplyNone        ReplyKind = iota // nothing to send
	ReplyAck                          // an inform acknowledgement
	ReplyReport                       // an SNMPv3 Report
	ReplyRateLimited                  // a reply not sent: its destination used up its reply budget
)

// Handler processes messages. Handle is called concurrently from every
// listener's goroutines. It may append a reply to reply (a scratch buffer
// with spare capacity) and return it with its kind; a nil or empty result
// sends nothing. The listener counts every reply by its kind, once.
type Handler interface {
	Handle(p *Packet, reply []byte) ([]byte, ReplyKind)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(p *Packet, reply []byte) ([]byte, ReplyKind)

// Handle calls f.
func (f HandlerFunc) Handle(p *Packet, reply []byte) ([]byte, ReplyKind) { return f(p, reply) }

// replies counts a listener's replies: the one place they are counted.
type replies struct {
	acked, ackErrors, reports, rateLimited atomic.Uint64
}

// notSent counts a reply the handler did not let go out.
func (r *replies) notSent(kind ReplyKind) {
	if kind == ReplyRateLimited {
		r.rateLimited.Add(1)
	}
}

// sent counts a reply that was sent (err nil) or could not be.
func (r *replies) sent(kind ReplyKind, err error) {
	switch {
	case err != nil:
		r.ackErrors.Add(1)
	case kind == ReplyReport:
		r.reports.Add(1)
	default:
		r.acked.Add(1)
	}
}

// stats fills in the reply counters of s.
func (r *replies) stats(s *Stats) {
	s.InformsAcknowledged = r.acked.Load()
	s.AckErrors = r.ackErrors.Load()
	s.ReportsSent = r.reports.Load()
	s.RepliesRateLimited = r.rateLimited.Load()
}

// Options tune every listener.
type Options struct {
	// MaxMessageSize bounds a TCP message (larger ones close the
	// connection); at most MaxMessageSizeLimit. UDP always reads whole
	// datagrams.
	MaxMessageSize int
	// ReceiveBuffer is the SO_RCVBUF to ask for on UDP sockets (0: the
	// system default).
	ReceiveBuffer int
	// BatchSize is how many datagrams one read may return.
	BatchSize int
	// UDPSockets is how many sockets serve each UDP listener (SO_REUSEPORT
	// when more than one), each read by its own goroutine.
	UDPSockets int
	// TCPMaxConnections bounds concurrently open TCP connections per
	// listener, TCPMaxConnectionsPerSource those from one address.
	TCPMaxConnections          int
	TCPMaxConnectionsPerSource int
	// TCPIdleTimeout closes a connection that sends nothing;
	// TCPMessageTimeout one that takes longer to send one message.
	TCPIdleTimeout    time.Duration
	TCPMessageTimeout time.Duration
	// Backlog, when set, learns of every UDP read that came back full.
	Backlog *Backlog
	Logger  log.Logger
}

// MaxMessageSizeLimit is the largest MaxMessageSize Listen accepts: 1 MiB,
// 16 times the default of 65535. A TCP connection's buffer grows with the
// bytes it receives up to the message's size, so this bounds the memory one
// connection can hold (a listener's worst case is TCPMaxConnections times
// it). SNMP messages are far smaller: a UDP datagram cannot exceed 65535
// bytes, and agents size their traps to fit one; without a bound, a limit
// of 1 GB let 64 connections reserve 69 GB.
const MaxMessageSizeLimit = 1 << 20

// DefaultOptions are the defaults of the command-line flags.
var DefaultOptions = Options{
	MaxMessageSize:             65535,
	ReceiveBuffer:              4 << 20,
	BatchSize:                  32,
	TCPMaxConnections:          1024,
	TCPMaxConnectionsPerSource: 32,
	TCPIdleTimeout:             5 * time.Minute,
	TCPMessageTimeout:          30 * time.Second,
}

func (o *Options) fill() {
	d := DefaultOptions
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = d.MaxMessageSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = d.BatchSize
	}
	if o.TCPMaxConnections <= 0 {
		o.TCPMaxConnections = d.TCPMaxConnections
	}
	if o.TCPMaxConnectionsPerSource <= 0 {
		o.TCPMaxConnectionsPerSource = d.TCPMaxConnectionsPerSource
	}
	if o.TCPIdleTimeout <= 0 {
		o.TCPIdleTimeout = d.TCPIdleTimeout
	}
	if o.TCPMessageTimeout <= 0 {
		o.TCPMessageTimeout = d.TCPMessageTimeout
	}
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
}

// Stats is what a listener reports about itself.
type Stats struct {
	Listener            string
	Transport           string
	InformsAcknowledged uint64
	AckErrors           uint64
	ReportsSent         uint64
	// RepliesRateLimited counts acknowledgements and Reports not sent
	// because their destination had used up its reply budget.
	RepliesRateLimited uint64
	// KernelDrops is the socket's drop counter from /proc/net/udp{,6}
	// (UDP only; -1 when it could not be read).
	KernelDrops        int64
	ReceiveBufferBytes int
	// TCP only.
	ConnectionsOpen     int
	ConnectionsAccepted uint64
	ConnectionsClosed   map[string]uint64
}

// Listener is a bound socket, ready to Serve.
type Listener interface {
	// Name is the listen address as given.
	Name() string
	// Addr is the bound local address (useful with port 0).
	Addr() net.Addr
	// Serve reads until ctx is done or the socket fails, then closes it.
	Serve(ctx context.Context) error
	// Stats reports counters; safe to call concurrently with Serve.
	Stats() Stats
	// Close closes a listener that will not be served.
	Close() error
}

// ParseAddress splits a listen address "udp://host:port" or "tcp://host:port"
// into its transport and host:port. IPv6 hosts go in brackets.
func ParseAddress(s string) (transport, hostport string, err error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", "", fmt.Errorf("listen address %q: want udp://host:port or tcp://host:port", s)
	}
	switch scheme {
	case "udp", "tcp":
	default:
		return "", "", fmt.Errorf("listen address %q: unknown scheme %q, want udp or tcp", s, scheme)
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", "", fmt.Errorf("listen address %q: %w", s, err)
	}
	if port == "" {
		return "", "", fmt.Errorf("listen address %q: missing port", s)
	}
	return scheme, net.JoinHostPort(host, port), nil
}

// network picks the Go network for a host: no host or "::" listens
// dual-stack (IPv4 arrives IPv4-mapped), an IPv4 literal (0.0.0.0 too) IPv4
// only, any other IPv6 literal IPv6 only, a name as Go resolves it.
func network(transport, hostport string) string {
	host, _, _ := net.SplitHostPort(hostport)
	if host == "" || host == "::" {
		return transport // dual-stack on Linux
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Is4() {
			return transport + "4"
		}
		return transport + "6"
	}
	return transport
}

// Listen binds the address s ("udp://:162", "tcp://[::1]:412", ...).
func Listen(s string, h Handler, opts Options) (Listener, error) {
	opts.fill()
	if opts.MaxMessageSize > MaxMessageSizeLimit {
		return nil, fmt.Errorf("listen address %s: maximum message size %d is over the limit of %d bytes", s, opts.MaxMessageSize, MaxMessageSizeLimit)
	}
	transport, hostport, err := ParseAddress(s)
	if err != nil {
		return nil, err
	}
	var l Listener
	switch transport {
	case "udp":
		l, err = listenUDP(s, network(transport, hostport), hostport, h, opts)
	case "tcp":
		l, err = listenTCP(s, network(transport, hostport), hostport, h, opts)
	}
	if err != nil {
		return nil, &BindError{Address: s, Err: err}
	}
	return l, nil
}

// BindError says which address could not be bound and why.
type BindError struct {
	Address string
	Err     error
}

func (e *BindError) Error() string {
	msg := fmt.Sprintf("cannot listen on %s: %v", e.Address, e.Err)
	if e.Permission() {
		msg += " (ports below 1024 need root or the CAP_NET_BIND_SERVICE capability: run `setcap cap_net_bind_service=+ep` on the binary, or listen on a port above 1023)"
	}
	return msg
}

func (e *BindError) Unwrap() error { return e.Err }

// Permission reports whether the bind failed for lack of privilege.
func (e *BindError) Permission() bool {
	return errors.Is(e.Err, os.ErrPermission)
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
