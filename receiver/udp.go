package receiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// maxDatagram bounds a UDP payload: 65,535 minus the UDP header is 65,527
// over IPv6 (65,507 over IPv4). Every read buffer has room for 65,535, so no
// datagram is truncated.
const maxDatagram = 65535

// udpListener is one listen address served by one or more sockets. With
// several, they share the port through SO_REUSEPORT and the kernel spreads
// datagrams over them by a hash of source and destination, so one sender's
// traps stay in order on one socket while the sockets' reading goroutines
// use several cores.
type udpListener struct {
	name    string
	sockets []*udpSocket
	handler Handler
	opts    Options
	logger  log.Logger

	replies replies
}

// udpSocket is one socket of a listener.
type udpSocket struct {
	l    *udpListener
	conn *net.UDPConn

	// Exactly one of p4 and p6 is set, by the socket's address family: both
	// read batches and control messages (the address a datagram arrived
	// at), so that a reply can leave from that same address.
	p4 *ipv4.PacketConn
	p6 *ipv6.PacketConn

	raw    syscall.RawConn
	inode  uint64
	family int
	rcvbuf int
}

func listenUDP(name, network, hostport string, h Handler, opts Options) (*udpListener, error) {
	l := &udpListener{name: name, handler: h, opts: opts, logger: log.With(opts.Logger, "listener", name)}
	n := max(opts.UDPSockets, 1)
	if n > 1 {
		// A plain bind first: it fails if anything holds the port,
		// another exporter's SO_REUSEPORT group included, which would
		// otherwise let a second exporter join the group and take half
		// the traps. It also fixes the port when 0 was asked for.
		probe, err := net.ListenPacket(network, hostport)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(hostport)
		hostport = net.JoinHostPort(host, fmt.Sprint(probe.LocalAddr().(*net.UDPAddr).Port))
		probe.Close()
	}
	for range n {
		sock, err := l.open(network, hostport, n > 1)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.sockets = append(l.sockets, sock)
	}
	if rb := l.sockets[0].rcvbuf; opts.ReceiveBuffer > 0 && rb < opts.ReceiveBuffer {
		level.Info(l.logger).Log("msg", "kernel granted a smaller UDP receive buffer than asked for; raise net.core.rmem_max to get more",
			"requested_bytes", opts.ReceiveBuffer, "granted_bytes", rb)
	}
	return l, nil
}

func (l *udpListener) open(network, hostport string, reusePort bool) (*udpSocket, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		if reusePort {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}); err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("set SO_REUSEPORT: %w", serr)
			}
		}
		return setReceiveBuffer(c, l.opts.ReceiveBuffer)
	}}
	pc, err := lc.ListenPacket(context.Background(), network, hostport)
	if err != nil {
		return nil, err
	}
	s := &udpSocket{l: l, conn: pc.(*net.UDPConn)}
	if err := s.inspect(); err != nil {
		s.conn.Close()
		return nil, err
	}
	if s.family == unix.AF_INET {
		s.p4 = ipv4.NewPacketConn(s.conn)
		err = s.p4.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
	} else {
		s.p6 = ipv6.NewPacketConn(s.conn)
		err = s.p6.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
	}
	if err != nil {
		s.conn.Close()
		return nil, fmt.Errorf("enable packet info: %w", err)
	}
	return s, nil
}

// setReceiveBuffer asks for size bytes of receive buffer: SO_RCVBUFFORCE
// first (it passes net.core.rmem_max with CAP_NET_ADMIN), then SO_RCVBUF,
// which the kernel silently caps. The effective size is read back later.
func setReceiveBuffer(c syscall.RawConn, size int) error {
	if size <= 0 {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) == nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("set SO_RCVBUF: %w", serr)
	}
	return nil
}

// inspect reads the socket's address family, inode (to find its drop
// counter in /proc/net/udp) and granted receive buffer.
func (l *udpSocket) inspect() error {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return err
	}
	l.raw = rc
	var serr error
	err = rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if serr = unix.Fstat(int(fd), &st); serr != nil {
			return
		}
		l.inode = st.Ino
		if l.family, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN); serr != nil {
			return
		}
		l.rcvbuf, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	if err != nil {
		return err
	}
	return serr
}

func (l *udpListener) Name() string   { return l.name }
func (l *udpListener) Addr() net.Addr { return l.sockets[0].conn.LocalAddr() }

func (l *udpListener) Close() error {
	var first error
	for _, s := range l.sockets {
		if err := s.conn.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Stats adds up the sockets' kernel drops; the receive buffer is the
// smallest any socket was granted.
func (l *udpListener) Stats() Stats {
	s := Stats{Listener: l.name, Transport: "udp", KernelDrops: -1}
	l.replies.stats(&s)
	var drops int64
	for i, sock := range l.sockets {
		if i == 0 || sock.rcvbuf < s.ReceiveBufferBytes {
			s.ReceiveBufferBytes = sock.rcvbuf
		}
		table := "/proc/net/udp"
		if sock.family == unix.AF_INET6 {
			table = "/proc/net/udp6"
		}
		d, err := socketDrops(table, sock.inode)
		if err != nil {
			return s
		}
		drops += int64(d)
	}
	s.KernelDrops = drops
	return s
}

// Serve runs every socket's read loop until ctx is done or one fails.
func (l *udpListener) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(l.sockets))
	for _, sock := range l.sockets {
		go func() {
			err := sock.serve(ctx)
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	var first error
	for range l.sockets {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// serve reads batches of datagrams until ctx is done. Each datagram is
// handled inline: there is no queue to overflow, so a slow handler shows as
// kernel drops, which are counted.
func (s *udpSocket) serve(ctx context.Context) error {
	l := s.l
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	defer s.conn.Close()

	msgs := make([]ipv4.Message, l.opts.BatchSize)
	oobSize := len(ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface))
	if s.p6 != nil {
		oobSize = len(ipv6.NewControlMessage(ipv6.FlagDst | ipv6.FlagInterface))
	}
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
		msgs[i].OOB = make([]byte, oobSize)
	}
	reply := make([]byte, 0, maxDatagram)
	pkt := Packet{Listener: l.name, Transport: "udp"}
	fullRun := 0 // datagrams read by consecutive full reads
	for {
		var n int
		var err error
		if s.p4 != nil {
			n, err = s.p4.ReadBatch(msgs, 0)
		} else {
			n, err = s.p6.ReadBatch(msgs, 0)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read %s: %w", l.name, err)
		}
		pkt.Received = time.Now()
		if n < len(msgs) || len(msgs) < minBacklogBatch {
			fullRun = 0
		} else if fullRun += n; fullRun >= backlogDatagrams {
			l.opts.Backlog.mark(pkt.Received)
		}
		for i := range msgs[:n] {
			m := &msgs[i]
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			pkt.Source = unmap(ua.AddrPort())
			pkt.Data = m.Buffers[0][:m.N]
			out, kind := l.handler.Handle(&pkt, reply[:0])
			if len(out) > 0 {
				s.send(out, ua, m.OOB[:m.NN], kind)
			} else {
				l.replies.notSent(kind)
			}
		}
	}
}

// send replies from the address the request arrived at: on a wildcard bind
// the kernel would otherwise pick the source by route, and a sender that
// checks the reply's source (net-snmp does for informs) would drop it.
//
// It builds the packet-info control message itself and calls sendmsg
// directly: golang.org/x/net/ipv6 drops an IPv4-mapped source address when
// it marshals IPV6_PKTINFO (it copies only addresses whose To4 is nil), so on
// a dual-stack socket every reply to an IPv4 sender would leave from the
// route's address. Linux accepts IPV6_PKTINFO with an IPv4-mapped address
// for such a socket's IPv4 traffic.
func (s *udpSocket) send(b []byte, to *net.UDPAddr, oob []byte, kind ReplyKind) {
	l := s.l
	var dst net.IP
	var ifindex int
	if s.p4 != nil {
		var cm ipv4.ControlMessage
		if cm.Parse(oob) == nil {
			dst, ifindex = cm.Dst, cm.IfIndex
		}
	} else {
		var cm ipv6.ControlMessage
		if cm.Parse(oob) == nil {
			dst, ifindex = cm.Dst, cm.IfIndex
		}
	}
	err := s.sendmsg(b, to.AddrPort(), dst, ifindex)
	l.replies.sent(kind, err)
	if err != nil {
		level.Debug(l.logger).Log("msg", "cannot send reply", "to", to.String(), "err", err)
	}
}

// sendmsg sends b to `to` from address `from` (when known). A link-local
// IPv6 peer is only reachable through the interface the request came in on,
// so its reply names that interface too.
func (l *udpSocket) sendmsg(b []byte, to netip.AddrPort, from net.IP, ifindex int) error {
	var sa unix.Sockaddr
	var cmsg []byte
	src, haveSrc := netip.AddrFromSlice(from)
	if l.family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Port: int(to.Port()), Addr: to.Addr().Unmap().As4()}
		if haveSrc && src.Unmap().Is4() {
			cmsg = unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: src.Unmap().As4()})
		}
	} else {
		// As16 gives the IPv4-mapped form for an IPv4 address.
		sa6 := &unix.SockaddrInet6{Port: int(to.Port()), Addr: to.Addr().As16()}
		info := &unix.Inet6Pktinfo{}
		if a := to.Addr(); a.Is6() && !a.Is4In6() && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()) && ifindex > 0 {
			sa6.ZoneId = uint32(ifindex)
			info.Ifindex = uint32(ifindex)
		}
		sa = sa6
		if haveSrc {
			info.Addr = src.As16()
			cmsg = unix.PktInfo6(info)
		}
	}
	var serr error
	err := l.raw.Write(func(fd uintptr) bool {
		serr = unix.Sendmsg(int(fd), b, cmsg, sa, 0)
		return serr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}
