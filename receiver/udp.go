package receiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"

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

type udpListener struct {
	name    string
	conn    *net.UDPConn
	handler Handler
	opts    Options
	logger  log.Logger

	// Exactly one of p4 and p6 is set, by the socket's address family: both
	// read batches and control messages (the address a datagram arrived
	// at), so that a reply can leave from that same address.
	p4 *ipv4.PacketConn
	p6 *ipv6.PacketConn

	raw    syscall.RawConn
	inode  uint64
	family int
	rcvbuf int

	acked     atomic.Uint64
	ackErrors atomic.Uint64
	reports   atomic.Uint64
}

func listenUDP(name, network, hostport string, h Handler, opts Options) (*udpListener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return setReceiveBuffer(c, opts.ReceiveBuffer)
	}}
	pc, err := lc.ListenPacket(context.Background(), network, hostport)
	if err != nil {
		return nil, err
	}
	l := &udpListener{
		name:    name,
		conn:    pc.(*net.UDPConn),
		handler: h,
		opts:    opts,
		logger:  log.With(opts.Logger, "listener", name),
	}
	if err := l.inspect(); err != nil {
		l.conn.Close()
		return nil, err
	}
	if l.family == unix.AF_INET {
		l.p4 = ipv4.NewPacketConn(l.conn)
		err = l.p4.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
	} else {
		l.p6 = ipv6.NewPacketConn(l.conn)
		err = l.p6.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
	}
	if err != nil {
		l.conn.Close()
		return nil, fmt.Errorf("enable packet info: %w", err)
	}
	if opts.ReceiveBuffer > 0 && l.rcvbuf < opts.ReceiveBuffer {
		level.Info(l.logger).Log("msg", "kernel granted a smaller UDP receive buffer than asked for; raise net.core.rmem_max to get more",
			"requested_bytes", opts.ReceiveBuffer, "granted_bytes", l.rcvbuf)
	}
	return l, nil
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
func (l *udpListener) inspect() error {
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
func (l *udpListener) Close() error   { return l.conn.Close() }
func (l *udpListener) Addr() net.Addr { return l.conn.LocalAddr() }

func (l *udpListener) Stats() Stats {
	s := Stats{
		Listener:            l.name,
		Transport:           "udp",
		InformsAcknowledged: l.acked.Load(),
		AckErrors:           l.ackErrors.Load(),
		ReportsSent:         l.reports.Load(),
		ReceiveBufferBytes:  l.rcvbuf,
		KernelDrops:         -1,
	}
	table := "/proc/net/udp"
	if l.family == unix.AF_INET6 {
		table = "/proc/net/udp6"
	}
	if d, err := socketDrops(table, l.inode); err == nil {
		s.KernelDrops = int64(d)
	}
	return s
}

// Serve reads batches of datagrams until ctx is done. Each datagram is
// handled inline: there is no queue to overflow, so a slow handler shows as
// kernel drops, which are counted.
func (l *udpListener) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { l.conn.Close() })
	defer stop()
	defer l.conn.Close()

	msgs := make([]ipv4.Message, l.opts.BatchSize)
	oobSize := len(ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface))
	if l.p6 != nil {
		oobSize = len(ipv6.NewControlMessage(ipv6.FlagDst | ipv6.FlagInterface))
	}
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, maxDatagram)}
		msgs[i].OOB = make([]byte, oobSize)
	}
	reply := make([]byte, 0, maxDatagram)
	pkt := Packet{Listener: l.name, Transport: "udp"}
	for {
		var n int
		var err error
		if l.p4 != nil {
			n, err = l.p4.ReadBatch(msgs, 0)
		} else {
			n, err = l.p6.ReadBatch(msgs, 0)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read %s: %w", l.name, err)
		}
		for i := range msgs[:n] {
			m := &msgs[i]
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			pkt.Source = unmap(ua.AddrPort())
			pkt.Data = m.Buffers[0][:m.N]
			pkt.ReplyIsReport = false
			out := l.handler.Handle(&pkt, reply[:0])
			if len(out) > 0 {
				l.send(out, ua, m.OOB[:m.NN], pkt.ReplyIsReport)
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
func (l *udpListener) send(b []byte, to *net.UDPAddr, oob []byte, report bool) {
	var dst net.IP
	var ifindex int
	if l.p4 != nil {
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
	err := l.sendmsg(b, to.AddrPort(), dst, ifindex)
	if err != nil {
		l.ackErrors.Add(1)
		level.Debug(l.logger).Log("msg", "cannot send reply", "to", to.String(), "err", err)
		return
	}
	if report {
		l.reports.Add(1)
		return
	}
	l.acked.Add(1)
}

// sendmsg sends b to `to` from address `from` (when known). A link-local
// IPv6 peer is only reachable through the interface the request came in on,
// so its reply names that interface too.
func (l *udpListener) sendmsg(b []byte, to netip.AddrPort, from net.IP, ifindex int) error {
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
