// Package pipeline turns received messages into counted traps: it decodes,
// classifies, admits, names and stores each one, and builds the
// acknowledgement of an inform. It is the receiver's Handler.
package pipeline

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/ratelimit"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Defaults for retransmitted-inform detection. net-snmp retries an inform
// every second, five times by default, so ten seconds covers a whole
// retransmission series with room to spare.
const (
	DefaultInformWindow  = 10 * time.Second
	DefaultInformEntries = 65536
)

// Bounds of the SNMPv3 state, each a defence against unauthenticated input
// (engine IDs are chosen by senders) as much as a memory bound.
const (
	maxKeyCache = 10000
	// The replay memory (see timeliness): sender engines, and fingerprints
	// of accepted messages per engine and in all. A fingerprint costs about
	// 40 bytes (16 in the queue, 16 to 32 in the half-full table), so the
	// memory stays under 20 MiB; every engine costs about 200 bytes more.
	maxEngines        = 20000
	maxSeenPerEngine  = 50000
	maxSeenTotal      = 500000
	engineStateTTL    = 10 * time.Minute
	replyRate         = 100 // replies per second per source
	replyBurst        = 200
	maxReplySources   = 10000
	scratchBufferSize = 2048
	maxInterned       = 100000 // distinct devices / numeric trap OIDs kept as shared strings
	// maxInternedBytes bounds the trap labels kept for reuse by their
	// bytes: a numeric OID of 128 arcs makes a label of up to 1.4 KB.
	maxInternedBytes = 4 << 20
)

// Settings are what a reload changes. A Processor holds them as one
// value, published with one atomic swap (Apply) and read once per message,
// so that no message is admitted under one configuration's security and
// named, attributed or ruled under another's.
type Settings struct {
	// Security says who may send; nil accepts v1/v2c from anyone and no
	// SNMPv3 users.
	Security *Security
	// Inventory names devices and says which sources are relays; nil: no
	// names, no relays.
	Inventory *Inventory
	// Rules derive gauges and state from admitted traps; nil: none. The
	// store's families must have been set to theirs first.
	Rules *rules.Set
	// Names translates trap OIDs; nil leaves them numeric.
	Names Names
	// Forward passes admitted traps on; nil: nowhere.
	Forward *forward.Set
}

// Options configure a Processor.
type Options struct {
	// Security, Inventory, Rules and Names are the initial Settings;
	// Apply replaces them.
	Security  *Security
	Inventory *Inventory
	Rules     *rules.Set
	Names     Names
	Forward   *forward.Set
	// Engine is this exporter's own SNMP engine, needed to acknowledge
	// SNMPv3 informs and answer engine discovery; nil disables both.
	Engine *engine.Engine
	Logger log.Logger
	// Debug turns on the per-message debug log lines. They are checked
	// with this flag, not left to the logger's level filter, because
	// building a go-kit log line allocates even when it is filtered out.
	Debug bool
	// History, if not nil, keeps what admitted traps said and why
	// messages were refused.
	History Recorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// InformWindow and InformEntries bound retransmission detection.
	InformWindow  time.Duration
	InformEntries int
}

// Recorder keeps admitted traps and refused messages (*traps.History).
// Both calls copy what they keep: the slices are the scratch's.
type Recorder interface {
	Admitted(a *traps.Admitted)
	Refused(r *traps.Refusal)
}

// recordingSink applies the rules' updates to the store and notes the
// series they changed, for the trap's record.
type recordingSink struct {
	store   *metrics.Store
	changes []traps.StateChange
}

func (rs *recordingSink) Update(u metrics.Update) bool {
	c := rs.store.UpdateChange(u)
	if c.OK && (!c.Existed || c.Old != c.New) {
		rs.changes = append(rs.changes, traps.StateChange{Family: u.Family, Device: u.Device, Values: u.Values,
			Existed: c.Existed, Old: c.Old, New: c.New})
	}
	return c.OK
}

// Processor is the receiver.Handler that counts traps into a store.
type Processor struct {
	store   *metrics.Store
	packets *metrics.Packets
	logger  log.Logger
	debug   bool
	now     func() time.Time
	informs *informCache

	settings atomic.Pointer[settings]
	engine   *engine.Engine
	history  Recorder
	keys     *keyCache
	times    *timeliness
	// limiter bounds replies (Reports and acks) per source address: they
	// are sent to an address nobody authenticated, so they could be aimed
	// at a victim.
	limiter     *ratelimit.PerSource
	stats       usmCounters
	saltCounter atomic.Uint64

	scratch sync.Pool
}

// scratch is the per-call working memory, pooled so that steady-state
// handling does not allocate for decoding.
type scratch struct {
	msg  snmp.Message
	oid  []byte
	text []byte

	// SNMPv3 working memory.
	data   []byte // the message as received
	v3     v3ctx
	plain  []byte // the decrypted scoped PDU
	scoped []byte // an outgoing scoped PDU
	cipher []byte // its encryption
	mac    []byte

	// What the history is handed.
	sink     recordingSink
	admitted traps.Admitted
	refusal  traps.Refusal
	// What forwarding is offered.
	forward forward.Trap
}

// New returns a Processor counting into store and packets.
func New(store *metrics.Store, packets *metrics.Packets, opts Options) *Processor {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.InformWindow <= 0 {
		opts.InformWindow = DefaultInformWindow
	}
	if opts.InformEntries <= 0 {
		opts.InformEntries = DefaultInformEntries
	}
	pr := &Processor{
		store:   store,
		packets: packets,
		logger:  opts.Logger,
		debug:   opts.Debug,
		now:     opts.Now,
		informs: newInformCache(opts.InformWindow, opts.InformEntries),
		engine:  opts.Engine,
		history: opts.History,
		keys:    newKeyCache(maxKeyCache),
		times:   newTimeliness(maxEngines, maxSeenPerEngine, maxSeenTotal, engineStateTTL),
		limiter: ratelimit.NewPerSource(replyRate, replyBurst, maxReplySources),
		scratch: sync.Pool{New: func() any {
			return &scratch{
				msg:    snmp.Message{Varbinds: make([]snmp.Varbind, 0, 32)},
				oid:    make([]byte, 0, 64),
				text:   make([]byte, 0, 128),
				plain:  make([]byte, 0, scratchBufferSize),
				scoped: make([]byte, 0, scratchBufferSize),
				cipher: make([]byte, 0, scratchBufferSize),
				mac:    make([]byte, 0, 64),
			}
		}},
	}
	pr.Apply(Settings{Security: opts.Security, Inventory: opts.Inventory, Rules: opts.Rules, Names: opts.Names, Forward: opts.Forward})
	// A random start keeps salts from repeating across restarts
	// (RFC 3826 §3.1.2.1).
	var seed [8]byte
	rand.Read(seed[:])
	pr.saltCounter.Store(binary.BigEndian.Uint64(seed[:]))
	return pr
}

// settings are the published Settings with the caches made from them:
// the trap labels of their name table, the device labels of their
// inventory. The Settings themselves are immutable.
type settings struct {
	Settings
	tr      *translation
	devices *interner[netip.Addr, string]
}

// deviceLabel returns the device label of an address, made once per
// address and inventory.
func (st *settings) deviceLabel(a netip.Addr) string {
	if s, ok := st.devices.lookup(a); ok {
		return s
	}
	return st.devices.store(a, st.Inventory.label(a))
}

// Apply publishes new settings (at start and on reload) in one swap.
// Messages being handled finish with the settings they started with. A
// name table that is the same as before keeps its cache of trap labels.
func (pr *Processor) Apply(s Settings) {
	if s.Security == nil {
		s.Security = &Security{}
	}
	if s.Inventory == nil {
		s.Inventory = NewInventory(&config.Config{})
	}
	next := &settings{Settings: s}
	old := pr.settings.Load()
	if old != nil && sameNames(old.Names, s.Names) {
		next.tr = old.tr
	} else {
		next.tr = newTranslation(s.Names)
	}
	if old != nil && old.Inventory == s.Inventory {
		next.devices = old.devices
	} else {
		next.devices = newInterner[netip.Addr, string](maxInterned)
	}
	pr.settings.Store(next)
}

// sameNames reports whether two name tables are the same one (a pointer
// to the same table); tables of a type that cannot be compared never are.
func sameNames(a, b Names) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Type() == vb.Type() && va.Comparable() && va.Equal(vb)
}

// Settings returns the settings in use.
func (pr *Processor) Settings() Settings { return pr.settings.Load().Settings }

func labelVersion(v snmp.Version) metrics.Version {
	switch v {
	case snmp.V1:
		return metrics.VersionV1
	case snmp.V2c:
		return metrics.VersionV2c
	case snmp.V3:
		return metrics.VersionV3
	}
	return metrics.VersionUnknown
}

func resultOf(k snmp.ErrorKind) metrics.Result {
	switch k {
	case snmp.NotSNMP:
		return metrics.ResultNotSNMP
	case snmp.Unsupported:
		return metrics.ResultUnsupported
	}
	return metrics.ResultMalformed
}

// Handle implements receiver.Handler: it returns the reply, if any, with its
// kind, which the listener counts. Every message ends in exactly one
// increment of snmptrap_packets_total, and an admitted trap in one increment
// of snmptrap_traps_received_total. An admitted inform is acknowledged after
// it is counted; a retransmitted one is acknowledged again but not counted
// again.
func (pr *Processor) Handle(p *receiver.Packet, reply []byte) ([]byte, receiver.ReplyKind) {
	s := pr.scratch.Get().(*scratch)
	defer pr.scratch.Put(s)
	c := pr.packets.Listener(p.Listener)
	m := &s.msg
	s.v3 = v3ctx{}

	if p.Framing != receiver.FramingOK {
		// Bytes a TCP stream sent that are no whole message: counted, never
		// decoded (a message over the size limit may well decode).
		m.Version = snmp.VersionUnknown
		r := metrics.ResultMalformed
		if p.Framing == receiver.FramingNotSequence {
			r = metrics.ResultNotSNMP
		}
		pr.reject(c, p, s, r, p.Framing.String(), "size", len(p.Data))
		return nil, receiver.ReplyNone
	}
	if err := m.Decode(p.Data); err != nil {
		var de *snmp.DecodeError
		if !errors.As(err, &de) {
			de = &snmp.DecodeError{Kind: snmp.Malformed, Reason: err.Error()}
		}
		pr.reject(c, p, s, resultOf(de.Kind), de.Reason, "offset", de.Offset, "size", len(p.Data))
		return nil, receiver.ReplyNone
	}
	v := labelVersion(m.Version)
	s.data = p.Data

	// One load: every decision below uses the same configuration.
	st := pr.settings.Load()
	sec := st.Security
	if !sec.sourceAllowed(p.Source.Addr()) {
		pr.reject(c, p, s, metrics.ResultSourceRejected, "source not in auth.sources")
		return nil, receiver.ReplyNone
	}
	switch m.Version {
	case snmp.V1, snmp.V2c:
		if !sec.communityAllowed(m.Community) {
			pr.reject(c, p, s, metrics.ResultCommunityRejected, "community not in auth.communities")
			return nil, receiver.ReplyNone
		}
	case snmp.V3:
		verdict := pr.admitV3(s, sec)
		if verdict.result != metrics.ResultAccepted {
			pr.reject(c, p, s, verdict.result, verdict.reason, "user", printable(m.V3.UserName))
			return pr.report(reply, s, p, verdict)
		}
	}

	switch {
	case m.Version == snmp.V1 && m.PDUType == snmp.PDUTrapV1:
	case m.Version == snmp.V2c && (m.PDUType == snmp.PDUTrapV2 || m.PDUType == snmp.PDUInformRequest):
	case m.Version == snmp.V3 && m.PDUType == snmp.PDUTrapV2:
	case m.Version == snmp.V3 && m.PDUType == snmp.PDUInformRequest:
		if !s.v3.authoritative {
			// An inform names its receiver as the authoritative engine: one
			// that names another engine has a stale engine ID for us.
			verdict := v3Verdict{result: metrics.ResultUnknownEngineID, reason: "inform for another engine ID", report: statUnknownEngineIDs}
			pr.reject(c, p, s, verdict.result, verdict.reason)
			s.v3.authoritative = true // answer as the engine it should have named
			return pr.report(reply, s, p, verdict)
		}
	default:
		pr.reject(c, p, s, metrics.ResultUnsupported, "not a trap or inform", "pdu", m.PDUType)
		return nil, receiver.ReplyNone
	}

	var err error
	if s.oid, err = m.TrapOID(s.oid[:0]); err != nil {
		pr.reject(c, p, s, metrics.ResultMalformed, err.Error())
		return nil, receiver.ReplyNone
	}
	var tl trapLabel
	if tl, s.text, err = st.tr.labelBER(s.oid, s.text); err != nil {
		pr.reject(c, p, s, metrics.ResultMalformed, err.Error())
		return nil, receiver.ReplyNone
	}

	inform := m.PDUType == snmp.PDUInformRequest
	if s.v3.replayed {
		// The bytes of a message to our engine that was accepted before:
		// an inform whose acknowledgement got lost is sent again as it
		// was (npm's net-snmp does), so it is acknowledged again while it
		// is in the inform cache. Anything else is a replay.
		if !inform || !pr.informs.recorded(informKeyOf(p, m.RequestID), pr.now()) {
			pr.reject(c, p, s, metrics.ResultReplayed, "replayed message")
			return nil, receiver.ReplyNone
		}
		return pr.duplicate(reply, s, p, c, v)
	}
	if inform && !pr.informs.firstSeen(informKeyOf(p, m.RequestID), pr.now()) {
		return pr.duplicate(reply, s, p, c, v)
	}

	// addr is the source, or for a trusted relay the agent it forwards
	// for: the per-source limit on new series applies to it, so a relay
	// does not spend one budget for all the devices behind it.
	inv := st.Inventory
	addr := pr.agentAddress(inv, p, m)
	device := st.deviceLabel(addr)
	trap := tl.label
	if !tl.named {
		pr.packets.Untranslated()
	}
	pr.store.Observe(addr, device, trap, p.Received)
	s.sink.store, s.sink.changes = pr.store, s.sink.changes[:0]
	if rs := st.Rules; rs != nil {
		t := rules.Trap{Src: addr, Device: device, OID: s.oid, Varbinds: m.Varbinds, At: p.Received}
		if pr.history != nil {
			rs.Apply(&t, &s.sink)
		} else {
			rs.Apply(&t, pr.store)
		}
	}
	c.Inc(v, metrics.ResultAccepted)
	if pr.history != nil {
		pr.record(s, p, addr, device, trap, v, inform)
	}
	if st.Forward != nil {
		// Queued, never sent from here: an inform is acknowledged below
		// whatever becomes of its forwarding.
		s.forward = forward.Trap{Data: p.Data, Msg: m, TrapOID: s.oid, Addr: addr, Device: device}
		st.Forward.Offer(&s.forward)
		s.forward = forward.Trap{}
	}
	if pr.debug {
		level.Debug(pr.logger).Log("msg", "trap received", "listener", p.Listener, "source", p.Source,
			"version", m.Version, "pdu", m.PDUType, "trap", trap, "varbinds", renderVarbinds(st.Names, m))
	}
	if inform {
		return pr.ack(reply, s, p)
	}
	return nil, receiver.ReplyNone
}

// informKeyOf is the inform cache's key for an inform. Over UDP a sender
// retransmits from the socket it sent from, so the source port is part of
// the key; over TCP it may retry on a new connection, from a new port, so
// the key is the address and the request-id alone.
func informKeyOf(p *receiver.Packet, requestID int32) informKey {
	src := p.Source
	if p.Transport == "tcp" {
		src = netip.AddrPortFrom(src.Addr(), 0)
	}
	return informKey{src: src, requestID: requestID}
}

// duplicate acknowledges a retransmitted inform again without counting
// it again.
func (pr *Processor) duplicate(reply []byte, s *scratch, p *receiver.Packet, c *metrics.ListenerCounters, v metrics.Version) ([]byte, receiver.ReplyKind) {
	c.Inc(v, metrics.ResultDuplicate)
	if pr.debug {
		level.Debug(pr.logger).Log("msg", "retransmitted inform acknowledged again, not counted", "listener", p.Listener,
			"source", p.Source, "request_id", s.msg.RequestID)
	}
	return pr.ack(reply, s, p)
}

// replyAllowed applies the source's reply budget. UDP replies go to an
// address nobody authenticated, which could be a victim's; a TCP peer
// completed a handshake from its address, and the connection limits
// already bound what it can ask for, so TCP replies are not limited.
func (pr *Processor) replyAllowed(p *receiver.Packet) bool {
	return p.Transport == "tcp" || pr.limiter.Allow(p.Source.Addr(), pr.now())
}

// ack builds the Response that acknowledges the inform in s.msg, within
// the source's reply budget.
func (pr *Processor) ack(reply []byte, s *scratch, p *receiver.Packet) ([]byte, receiver.ReplyKind) {
	if !pr.replyAllowed(p) {
		return nil, receiver.ReplyRateLimited
	}
	m := &s.msg
	if m.Version != snmp.V3 {
		return snmp.AppendResponse(reply, m), receiver.ReplyAck
	}
	return pr.v3Reply(reply, s, snmp.PDUResponse, m.RequestID, m.Varbinds, m.V3.Auth(), m.V3.Priv()), receiver.ReplyAck
}

// printable returns a user name fit for a log line: as is when it is
// printable ASCII, else in hex.
func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%x", b)
		}
	}
	return string(b)
}

// record hands an admitted trap to the history, which copies it.
func (pr *Processor) record(s *scratch, p *receiver.Packet, addr netip.Addr, device, trap string, v metrics.Version, inform bool) {
	a := &s.admitted
	*a = traps.Admitted{At: p.Received, Listener: p.Listener, Source: p.Source, Device: device, Version: v,
		Trap: trap, TrapOID: s.oid, Message: p.Data, Varbinds: s.msg.Varbinds, Inform: inform, Changes: s.sink.changes}
	if addr != p.Source.Addr() {
		a.Relay = p.Source.Addr() // a relay named the device
	}
	if s.msg.Version == snmp.V3 && s.msg.V3.Priv() {
		a.Plain = s.plain
	}
	pr.history.Admitted(a)
}

// reject counts a message that is not admitted and says why at debug level;
// the history keeps where it came from and why (a discovery probe is not
// a refusal).
func (pr *Processor) reject(c *metrics.ListenerCounters, p *receiver.Packet, s *scratch, r metrics.Result, reason string, kv ...any) {
	m := &s.msg
	c.Inc(labelVersion(m.Version), r)
	if pr.history != nil && r != metrics.ResultDiscovery {
		s.refusal = traps.Refusal{At: p.Received, Listener: p.Listener, Source: p.Source, Version: labelVersion(m.Version), Result: r, Data: p.Data}
		pr.history.Refused(&s.refusal)
	}
	if !pr.debug {
		return
	}
	level.Debug(pr.logger).Log(append([]any{"msg", "message rejected", "listener", p.Listener, "source", p.Source,
		"version", m.Version, "result", r, "reason", reason}, kv...)...)
}

// Names translates trap OIDs into names.
type Names interface {
	// NotificationName returns "MODULE::name" for a dotted OID.
	NotificationName(dotted []byte) (string, bool)
	// AppendVarbind renders a varbind for a log line
	// ("IF-MIB::ifOperStatus.3 = down(2)").
	AppendVarbind(dst, oid []byte, typ byte, value []byte) []byte
}

// renderVarbinds renders a message's varbinds for the debug log.
func renderVarbinds(n Names, m *snmp.Message) string {
	var b []byte
	for i, vb := range m.Varbinds {
		if i > 0 {
			b = append(b, "; "...)
		}
		if n != nil {
			b = n.AppendVarbind(b, vb.OID, vb.Type, vb.Value)
			continue
		}
		b, _ = snmp.AppendOID(b, vb.OID)
		b = fmt.Appendf(b, " = [0x%02x] %x", vb.Type, vb.Value)
	}
	return string(b)
}
