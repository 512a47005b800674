package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// config is one run of the generator.
type config struct {
	target      string
	kind        string
	rate        float64 // messages per second; 0 = flat out
	count       int
	duration    time.Duration
	sources     int
	sourceStart string
	batch       int
	community   string
	trapTypes   int // v2c: cycle through this many trap OIDs instead of linkDown/linkUp
	longOIDs    int // v2c: a new trap OID of this many arcs in every message
	v3          v3Params
	ackWait     time.Duration // inform: how long to keep reading acks after the last send
}

// result is what a run reports.
type result struct {
	sent, errors, acks int64
	inform             bool // acks are reported
	elapsed            time.Duration
}

func (r result) String() string {
	s := fmt.Sprintf("sent=%d errors=%d elapsed_s=%.3f rate_per_s=%.0f", r.sent, r.errors, r.elapsed.Seconds(), r.rate())
	if r.inform {
		s += fmt.Sprintf(" acks=%d", r.acks)
	}
	return s
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.sent) / r.elapsed.Seconds()
}

var errNotLoopback = errors.New("load may only be sent to and from loopback (127.0.0.0/8 or ::1)")

// loopback parses a literal address (no name is looked up) and refuses any
// outside 127.0.0.0/8 and ::1.
func loopback(what, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s %q: not a literal IP address (names are not looked up): %w", what, s, err)
	}
	a = a.Unmap()
	if a.Zone() != "" || !a.IsLoopback() {
		return netip.Addr{}, fmt.Errorf("%s %s refused: %w", what, s, errNotLoopback)
	}
	return a, nil
}

// sourceAddrs returns n source addresses from start upwards, skipping
// x.y.z.0 and x.y.z.255; for ::1 every socket binds ::1.
func sourceAddrs(target netip.Addr, start string, n int) ([]netip.Addr, error) {
	if target.Is6() {
		out := make([]netip.Addr, n)
		for i := range out {
			out[i] = target
		}
		return out, nil
	}
	a, err := loopback("source", start)
	if err != nil {
		return nil, err
	}
	if !a.Is4() {
		return nil, fmt.Errorf("source %s: an IPv4 target needs IPv4 sources", start)
	}
	out := make([]netip.Addr, 0, n)
	for len(out) < n {
		if !a.IsValid() || !a.IsLoopback() {
			return nil, fmt.Errorf("%d sources from %s leave 127.0.0.0/8: %w", n, start, errNotLoopback)
		}
		if b := a.As4(); b[3] != 0 && b[3] != 255 {
			out = append(out, a)
		}
		a = a.Next()
	}
	return out, nil
}

// batchWriter is ipv4.PacketConn or ipv6.PacketConn (sendmmsg).
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

type source struct {
	conn *net.UDPConn
	bw   batchWriter
	msgs []ipv4.Message
}

func (c *config) validate() error {
	if c.count <= 0 {
		return fmt.Errorf("--count must be positive (it bounds the run)")
	}
	if c.duration <= 0 {
		return fmt.Errorf("--duration must be positive (it bounds the run)")
	}
	if c.rate < 0 {
		return fmt.Errorf("--rate must be >= 0 (0 = flat out)")
	}
	if c.sources <= 0 || c.sources > 65536 {
		return fmt.Errorf("--sources must be in 1..65536")
	}
	if c.batch <= 0 || c.batch > 1024 {
		return fmt.Errorf("--batch must be in 1..1024")
	}
	if c.trapTypes < 0 || c.trapTypes > maxTrapTypes {
		return fmt.Errorf("--trap-types must be in 0..%d", maxTrapTypes)
	}
	if c.trapTypes > 0 && c.kind != kindV2c {
		return fmt.Errorf("--trap-types needs --kind v2c")
	}
	if c.longOIDs != 0 {
		switch {
		case c.longOIDs < minLongOIDArcs || c.longOIDs > maxLongOIDArcs:
			return fmt.Errorf("--long-oids must be 0 or in %d..%d", minLongOIDArcs, maxLongOIDArcs)
		case c.kind != kindV2c:
			return fmt.Errorf("--long-oids needs --kind v2c")
		case c.trapTypes > 0:
			return fmt.Errorf("--long-oids and --trap-types exclude each other")
		}
	}
	if c.kind == kindV3 && (c.v3.user == "" || c.v3.authPass == "" || c.v3.privPass == "") {
		return fmt.Errorf("--kind v3 needs --user, --auth-pass and --priv-pass")
	}
	return nil
}

// open checks the addresses and opens one connected UDP socket per source.
func (c *config) open() ([]*source, error) {
	ap, err := netip.ParseAddrPort(c.target)
	if err != nil {
		return nil, fmt.Errorf("target %q: want a literal ip:port (names are not looked up): %w", c.target, err)
	}
	ta, err := loopback("target", ap.Addr().String())
	if err != nil {
		return nil, err
	}
	raddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(ta, ap.Port()))
	addrs, err := sourceAddrs(ta, c.sourceStart, c.sources)
	if err != nil {
		return nil, err
	}
	network := "udp4"
	if ta.Is6() {
		network = "udp6"
	}
	var out []*source
	for _, a := range addrs {
		conn, err := net.DialUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0)), raddr)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("source %s: %w", a, err)
		}
		if c.kind == kindInform {
			conn.SetReadBuffer(4 << 20) // room for the acks between reads
		}
		s := &source{conn: conn, msgs: make([]ipv4.Message, c.batch)}
		if ta.Is6() {
			s.bw = ipv6.NewPacketConn(conn)
		} else {
			s.bw = ipv4.NewPacketConn(conn)
		}
		for i := range s.msgs {
			s.msgs[i].Buffers = make([][]byte, 1)
		}
		out = append(out, s)
	}
	return out, nil
}

func closeAll(ss []*source) {
	for _, s := range ss {
		s.conn.Close()
	}
}

// run sends until count messages are sent, the duration has passed or ctx
// is done, whichever comes first.
func run(ctx context.Context, c config) (result, error) {
	if err := c.validate(); err != nil {
		return result{}, err
	}
	srcs, err := c.open()
	if err != nil {
		return result{}, err
	}
	defer closeAll(srcs)
	pl, err := buildPool(c.kind, []byte(c.community), c.v3, c.count, c.batch)
	if err != nil {
		return result{}, err
	}
	if c.trapTypes > 0 {
		pl = trapTypesPool([]byte(c.community), c.trapTypes)
	}
	if c.longOIDs > 0 {
		if pl, err = longOIDsPool([]byte(c.community), c.longOIDs, c.batch); err != nil {
			return result{}, err
		}
	}

	// Informs: count whatever comes back; nothing is awaited.
	var acks atomic.Int64
	var readers sync.WaitGroup
	if c.kind == kindInform {
		for _, s := range srcs {
			readers.Go(func() {
				buf := make([]byte, 2048)
				for {
					if _, err := s.conn.Read(buf); err != nil {
						if errors.Is(err, net.ErrClosed) {
							return
						}
						continue // e.g. ECONNREFUSED from an ICMP error
					}
					acks.Add(1)
				}
			})
		}
	}

	var res result
	start := time.Now()
	deadline := start.Add(c.duration)
	// Token bucket: refilled at rate, holding at most a few batches so that
	// oversleeping does not lower the rate and a stall is not made up by a
	// long burst.
	// It starts with one batch, so a run of d seconds sends rate*d.
	tokens, capacity := float64(c.batch), float64(4*c.batch)
	last := start
	next, seq := 0, uint64(0)
	// si advances once per batch sent (not per wait for tokens), so that
	// the sources take turns in order.
	for si := 0; res.sent+res.errors < int64(c.count); {
		now := time.Now()
		if !now.Before(deadline) || ctx.Err() != nil {
			break
		}
		n := min(c.batch, c.count-int(res.sent+res.errors))
		if c.rate > 0 {
			tokens = min(capacity, tokens+now.Sub(last).Seconds()*c.rate)
			last = now
			if tokens < float64(n) {
				wait := time.Duration((float64(n) - tokens) / c.rate * float64(time.Second))
				if now.Add(wait).After(deadline) {
					wait = deadline.Sub(now)
				}
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
				continue
			}
			tokens -= float64(n)
		}
		s := srcs[si%len(srcs)]
		si++
		ms := s.msgs[:n]
		for i := range ms {
			m := pl.msgs[next]
			if pl.idAt >= 0 {
				pl.setRequestID(m, seq)
			}
			if pl.arcAt >= 0 {
				pl.setArc(m, seq)
			}
			seq++
			ms[i].Buffers[0] = m
			if next++; next == len(pl.msgs) {
				next = 0
			}
		}
		for len(ms) > 0 {
			k, err := s.bw.WriteBatch(ms, 0)
			k = max(k, 0) // -1 with an error
			res.sent += int64(k)
			ms = ms[k:]
			if (err != nil || k == 0) && len(ms) > 0 {
				// The first unsent message failed: count it and go on.
				res.errors++
				ms = ms[1:]
			}
		}
	}
	res.elapsed = time.Since(start)
	if c.kind == kindInform {
		select {
		case <-time.After(c.ackWait):
		case <-ctx.Done():
		}
		closeAll(srcs)
		readers.Wait()
		res.acks, res.inform = acks.Load(), true
	}
	return res, nil
}
