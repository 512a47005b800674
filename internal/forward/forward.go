// Package forward passes admitted traps on to other receivers: the bytes
// as received (raw), re-encoded as an SNMPv2-Trap naming the device in
// snmpTrapAddress.0 (v2c), or as an SNMPv2c InformRequest retried until it
// is acknowledged (inform).
//
// The receive path only offers: a trap a destination's filters match is
// copied into that destination's bounded queue, or counted as dropped when
// the queue is full. Each destination has its own goroutine that sends, so
// a dead, slow or unreachable destination never slows receiving or the
// other destinations. Forwarding never changes what is counted: it sees
// traps after they are.
package forward

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/trapmatch"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Defaults.
const (
	// DefaultQueueSize is each destination's queue, in traps, and
	// DefaultQueueBytes its bound in bytes held (a TCP message may be
	// large): whichever is reached first.
	DefaultQueueSize  = 10000
	DefaultQueueBytes = 16 << 20
	// DefaultInformTimeout is the wait for an inform's acknowledgement
	// before the first retry; each retry doubles it.
	DefaultInformTimeout = time.Second
	// DefaultInformRetries is how often an unacknowledged inform is sent
	// again: with the timeout above, a destination has 1+2+4+8 = 15 s.
	DefaultInformRetries = 3
	// DefaultDrainTimeout bounds how long a destination that a reload
	// removed (or the exporter's stop) may take to send what its queue
	// holds; the rest is dropped and counted.
	DefaultDrainTimeout = 5 * time.Second
	// dialTimeout bounds a TCP connect; writeTimeout a write.
	dialTimeout  = 5 * time.Second
	writeTimeout = 5 * time.Second
	// maxBackoff bounds the wait between TCP connects that fail.
	maxBackoff = 30 * time.Second
)

// Trap is what the pipeline offers: an admitted trap, valid only during
// Offer (its slices are the pipeline's scratch).
type Trap struct {
	// Data is the message as received.
	Data []byte
	// Msg is the decoded message; for SNMPv3 its varbinds are the
	// decrypted ones.
	Msg *snmp.Message
	// TrapOID is the trap's OID (BER content), an SNMPv1 trap's mapped as
	// RFC 3584 §3.1 says.
	TrapOID []byte
	// Addr is the device's address (the source, or the agent a trusted
	// relay named) and Device its label.
	Addr   netip.Addr
	Device string
}

// Plan is a compiled `forward:` section: checked, its filters resolved
// against the MIB table. It is immutable.
type Plan struct {
	dests []destPlan
}

type destPlan struct {
	addr      config.ForwardAddress
	mode      string
	community string
	filter    filter
}

// key identifies a destination's sender: a reload that keeps it keeps the
// sender and its queue.
func (d *destPlan) key() string { return d.addr.String() + "\x00" + d.mode + "\x00" + d.community }

// Len returns the number of destinations.
func (p *Plan) Len() int {
	if p == nil {
		return 0
	}
	return len(p.dests)
}

// filter is a destination's trap and device filters; the zero filter
// passes everything.
type filter struct {
	traps    *trapmatch.Matcher // nil: every trap
	prefixes []netip.Prefix
	names    map[string]bool
}

func (f *filter) match(t *Trap) bool {
	if f.traps != nil && !f.traps.Match(t.TrapOID) {
		return false
	}
	if f.prefixes == nil && f.names == nil {
		return true
	}
	if f.names[t.Device] {
		return true
	}
	a := t.Addr.Unmap()
	for _, p := range f.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Compile checks and compiles a `forward:` section (already checked for
// form by the config package) against the MIB table (nil: built-in names).
func Compile(fs []config.Forward, table *mib.Table) (*Plan, error) {
	p := &Plan{}
	for i := range fs {
		f := &fs[i]
		a, err := config.ParseForwardAddress(f.Address)
		if err != nil {
			return nil, fmt.Errorf("forward[%d]: %w", i, err)
		}
		d := destPlan{addr: a, mode: f.ForwardMode(), community: string(f.Community)}
		if len(f.Traps) > 0 {
			if d.filter.traps, err = trapmatch.New(f.Traps, table); err != nil {
				return nil, fmt.Errorf("forward[%d] (%s): %w", i, a, err)
			}
		}
		for j, s := range f.Devices {
			dev, err := config.ParseForwardDevice(s)
			if err != nil {
				return nil, fmt.Errorf("forward[%d] (%s): devices[%d]: %w", i, a, j, err)
			}
			if dev.Name != "" {
				if d.filter.names == nil {
					d.filter.names = map[string]bool{}
				}
				d.filter.names[dev.Name] = true
				continue
			}
			d.filter.prefixes = append(d.filter.prefixes, dev.Prefix)
		}
		p.dests = append(p.dests, d)
	}
	return p, nil
}

// Set is the destinations in use, published with the pipeline's settings.
// A nil Set forwards nothing.
type Set struct {
	routes []route
}

type route struct {
	filter filter
	s      *sender
}

// Offer hands t to every destination whose filters match it: a copy goes
// into each one's queue, or is counted as dropped when the queue is full.
// It never blocks.
func (s *Set) Offer(t *Trap) {
	if s == nil {
		return
	}
	var vbs []snmp.Varbind // built once, shared read-only by the queues
	vbsSize := 0
	for i := range s.routes {
		r := &s.routes[i]
		if !r.filter.match(t) {
			continue
		}
		it := item{}
		if r.s.mode == config.ForwardRaw {
			it.raw = slices.Clone(t.Data)
			it.size = len(it.raw)
		} else {
			if vbs == nil {
				vbs = v2Varbinds(t)
				for _, vb := range vbs {
					vbsSize += len(vb.OID) + len(vb.Value) + 40 // and the Varbind itself
				}
			}
			it.vbs, it.size = vbs, vbsSize
		}
		r.s.enqueue(it)
	}
}

// Options configure a Manager.
type Options struct {
	Logger        log.Logger
	QueueSize     int           // per destination; 0: DefaultQueueSize
	QueueBytes    int           // per destination; 0: DefaultQueueBytes
	InformTimeout time.Duration // 0: DefaultInformTimeout
	InformRetries int           // <0: none; 0: DefaultInformRetries
	DrainTimeout  time.Duration // 0: DefaultDrainTimeout
}

// Manager owns the destinations' senders across reloads.
type Manager struct {
	opts    Options
	mu      sync.Mutex
	senders map[string]*sender // by destPlan.key
	order   []string           // the keys in the configuration's order
	wg      sync.WaitGroup
}

// NewManager returns a Manager with no destinations.
func NewManager(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.InformTimeout <= 0 {
		o.InformTimeout = DefaultInformTimeout
	}
	if o.InformRetries == 0 {
		o.InformRetries = DefaultInformRetries
	} else if o.InformRetries < 0 {
		o.InformRetries = 0
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	return &Manager{opts: o, senders: map[string]*sender{}}
}

// Apply makes p's destinations the ones in use and returns the Set to
// publish. A destination with the same address, mode and community as
// before keeps its sender and queue (its filters may change); a new one
// starts; one that is gone drains its queue for up to the drain timeout in
// the background and drops the rest, and says which it did.
func (m *Manager) Apply(p *Plan) *Set {
	m.mu.Lock()
	defer m.mu.Unlock()
	set := &Set{}
	keep := map[string]*sender{}
	var order []string
	for i := range p.dests {
		d := &p.dests[i]
		k := d.key()
		s, ok := m.senders[k]
		if !ok {
			s = newSender(d, m.opts)
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				s.run()
			}()
			level.Info(m.opts.Logger).Log("msg", "forwarding traps", "destination", s.dest, "mode", s.mode)
		}
		keep[k] = s
		order = append(order, k)
		set.routes = append(set.routes, route{filter: d.filter, s: s})
	}
	for _, k := range m.order {
		if s, ok := m.senders[k]; ok && keep[k] == nil {
			go m.retire(s, "removed from forward: by a reload")
		}
	}
	m.senders, m.order = keep, order
	if len(set.routes) == 0 {
		return nil
	}
	return set
}

// retire stops a sender after draining its queue for up to the drain
// timeout, and logs what became of the queue.
func (m *Manager) retire(s *sender, why string) {
	queued := s.queueLen()
	drained, dropped := s.close(m.opts.DrainTimeout)
	lvl := level.Info
	if dropped > 0 {
		lvl = level.Warn
	}
	lvl(m.opts.Logger).Log("msg", "forward destination stopped", "destination", s.dest, "mode", s.mode, "why", why,
		"queued", queued, "drained", drained, "dropped", dropped)
}

// Stop drains every destination's queue for up to the drain timeout (all
// at once) and drops the rest; the exporter calls it after its listeners
// have stopped.
func (m *Manager) Stop() {
	m.mu.Lock()
	senders := m.senders
	m.senders, m.order = map[string]*sender{}, nil
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.retire(s, "the exporter is stopping")
		}()
	}
	wg.Wait()
	m.wg.Wait()
}

// Stats are one destination's counts.
type Stats struct {
	Destination string // the address as configured: udp://host:port
	Mode        string
	Sent        uint64 // written (UDP: handed to the kernel; inform: acknowledged)
	Failed      uint64 // could not be sent, or an inform never acknowledged
	Dropped     uint64 // the queue was full, or held it when the destination was removed
	Retried     uint64 // informs sent again, and messages sent again on a new TCP connection
	Queue       int    // traps waiting
}

// Stats returns the destinations' counts, in the configuration's order.
func (m *Manager) Stats() []Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Stats, 0, len(m.order))
	for _, k := range m.order {
		out = append(out, m.senders[k].stats())
	}
	return out
}
