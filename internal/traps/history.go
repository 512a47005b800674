package traps

import (
	"context"
	"encoding/hex"
	"hash/maphash"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/loop"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Defaults of the flags.
const (
	DefaultSize        = 10000
	DefaultMaxBytes    = 32 << 20
	DefaultRefusedSize = 1000
	DefaultDedupWindow = 10 * time.Second
	// maxDedupKeys bounds the storms followed at once; a trap that finds
	// the table full is kept as it is, not collapsed.
	maxDedupKeys = 10000
	// headBytes is what the refused ring keeps of a message that is not
	// SNMP.
	headBytes = 64
)

// Options size a History.
type Options struct {
	// Size and MaxBytes bound the admitted ring by count and by the bytes
	// its messages hold, whichever is reached first. Size 0 keeps none.
	Size     int
	MaxBytes int
	// RefusedSize is the refused ring's count (0: none).
	RefusedSize int
	// DedupWindow collapses identical traps within it (0: never).
	DedupWindow time.Duration
	// Names renders varbinds (nil: numeric).
	Names func() Names
	// Now is the clock (nil: time.Now); the dedup windows close on it.
	Now func() time.Time
}

// Names renders a varbind's name, type and value (*mib.Table does).
type Names interface {
	AppendVarbindParts(dst []byte, oid []byte, typ byte, value []byte) (out []byte, valueStart int, typeName string)
}

// Admitted is an admitted trap as the pipeline hands it over. Its slices
// are valid only during the call to History.Admitted, which copies what it
// keeps.
type Admitted struct {
	At       time.Time
	Listener string
	Source   netip.AddrPort
	Device   string
	// Relay is the relay's address when a trusted relay named the device.
	Relay   netip.Addr
	Version metrics.Version
	Trap    string
	// TrapOID is the BER content of the trap's OID (v2 form).
	TrapOID []byte
	// Message is the message as received; Plain, for SNMPv3 with privacy,
	// its decrypted scoped PDU.
	Message []byte
	Plain   []byte
	// Varbinds are the decoded varbinds (for collapsing identical traps).
	Varbinds []snmp.Varbind
	Inform   bool
	// Changes are what the rules did.
	Changes []StateChange
}

// StateChange is what the rules did to one derived series.
type StateChange struct {
	Family  *metrics.Family
	Device  string
	Values  []string
	Existed bool
	Old     float64
	New     float64
}

// Refusal is a refused message as the pipeline hands it over; Data is
// valid only during the call.
type Refusal struct {
	At       time.Time
	Listener string
	Source   netip.AddrPort
	Version  metrics.Version
	Result   metrics.Result
	Data     []byte
}

// History holds the rings. It is safe for concurrent use; the receive path
// calls Admitted and Refused, which copy into reused slots and allocate
// nothing once the rings have filled.
type History struct {
	opts Options
	now  func() time.Time

	mu    sync.Mutex
	slots []slot // the admitted ring
	next  uint64 // sequence of the next record; slot = (seq-1) % len
	bytes int    // capacity of the slots' buffers
	// forgotten: the records before it were dropped for MaxBytes.
	forgotten uint64
	// The open dedup windows: dedup maps a trap's key to its entry in
	// entries (a slab, its free slots in free), windows lists them in the
	// order they opened from windowsHead, for Tick to close the oldest
	// without a pass over all. Entries live in the slab rather than in the
	// map because a map of 120-byte values copied one out and back in on
	// every repeat: a third of the receive path's cost of the ring.
	dedup       map[uint64]int32
	entries     []dedupEntry
	free        []int32
	windows     []dedupRef
	windowsHead int
	seed        maphash.Seed

	refused     []refusedSlot
	nextRefused uint64
}

type slot struct {
	seq      uint64
	at       time.Time
	listener string
	source   netip.AddrPort
	device   string
	relay    netip.Addr
	version  metrics.Version
	trap     string
	inform   bool
	buf      []byte // message, then plain
	msgLen   int
	trapOID  []byte
	changes  []StateChange
	// A summary's.
	repeats     int
	first, last time.Time
	summaryOf   uint64 // the seq of the record summed up
}

// dedupRef names an open window in the order they opened: its key, and
// when it opened, which tells it from a later window of the same key.
type dedupRef struct {
	key   uint64
	first int64
}

// dedupEntry is an open dedup window.
type dedupEntry struct {
	first, last int64 // Unix nanoseconds
	repeats     int
	seq         uint64 // the record kept for the first trap
	// What the summary says when the ring no longer holds that record.
	listener, device, trap string
	source                 netip.AddrPort
	version                metrics.Version
}

type refusedSlot struct {
	seq      uint64
	at       time.Time
	listener string
	source   netip.AddrPort
	version  metrics.Version
	result   metrics.Result
	size     int
	head     [headBytes]byte
	headLen  int
}

// New returns an empty History.
func New(opts Options) *History {
	h := &History{opts: opts, now: opts.Now, next: 1, nextRefused: 1, seed: maphash.MakeSeed(), dedup: map[uint64]int32{}}
	if h.now == nil {
		h.now = time.Now
	}
	if opts.Size > 0 {
		h.slots = make([]slot, opts.Size)
	}
	if opts.RefusedSize > 0 {
		h.refused = make([]refusedSlot, opts.RefusedSize)
	}
	return h
}

// Enabled reports whether the admitted ring keeps anything.
func (h *History) Enabled() bool { return len(h.slots) > 0 }

// Size returns how many admitted traps the ring holds at most (fewer when
// --trap.history.max-bytes is reached first); readers bound their limits
// by it.
func (h *History) Size() int { return len(h.slots) }

// RefusedSize returns how many refused messages the refused ring holds at
// most.
func (h *History) RefusedSize() int { return len(h.refused) }

// Admitted keeps an admitted trap, unless it repeats one kept within the
// dedup window: then it only counts towards that one's summary.
func (h *History) Admitted(a *Admitted) {
	if len(h.slots) == 0 {
		return
	}
	at := a.At
	if at.IsZero() {
		at = h.now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.opts.DedupWindow > 0 {
		key := h.key(a)
		if i, ok := h.dedup[key]; ok {
			e := &h.entries[i]
			if at.UnixNano()-e.first < int64(h.opts.DedupWindow) {
				e.repeats++
				e.last = max(e.last, at.UnixNano())
				return
			}
			h.closeWindow(key, i)
		}
		if len(h.windows)-h.windowsHead >= 2*maxDedupKeys {
			// Windows closed by a repeat after they ended stay listed
			// until their time; without Tick they would pile up.
			h.closeEnded(at.UnixNano())
		}
		if len(h.dedup) < maxDedupKeys {
			var i int32
			if n := len(h.free); n > 0 {
				i, h.free = h.free[n-1], h.free[:n-1]
			} else {
				i = int32(len(h.entries))
				h.entries = append(h.entries, dedupEntry{})
			}
			h.entries[i] = dedupEntry{first: at.UnixNano(), last: at.UnixNano(), seq: h.next, listener: a.Listener, device: a.Device, trap: a.Trap,
				source: a.Source, version: a.Version}
			h.dedup[key] = i
			h.windows = append(h.windows, dedupRef{key: key, first: at.UnixNano()})
		}
	}
	s := h.take(len(a.Message) + len(a.Plain))
	s.at, s.listener, s.source, s.device, s.relay = at, a.Listener, a.Source, a.Device, a.Relay
	s.version, s.trap, s.inform = a.Version, a.Trap, a.Inform
	h.fill(s, a.Message, a.Plain)
	s.msgLen = len(a.Message)
	s.trapOID = append(s.trapOID[:0], a.TrapOID...)
	s.changes = append(s.changes[:0], a.Changes...)
}

// take returns the slot of the next record, emptied, making room for size
// bytes by dropping the oldest records beyond MaxBytes. Called with h.mu.
// h.bytes counts the capacity of the slots' buffers, the memory they hold,
// not only what the records use: a slot that once held a large trap would
// otherwise keep that much for good. A buffer far larger than the new
// record needs is let go, and so are the buffers of records dropped for
// the bound (TestHistoryMemoryBound).
func (h *History) take(size int) *slot {
	seq := h.next
	h.next++
	s := &h.slots[(seq-1)%uint64(len(h.slots))]
	h.bytes -= cap(s.buf)
	buf := s.buf[:0]
	if cap(buf) > 2*size+minSlotBuffer {
		buf = nil
	}
	*s = slot{seq: seq, buf: buf, trapOID: s.trapOID[:0], changes: s.changes[:0]}
	h.bytes += cap(buf)
	if h.opts.MaxBytes > 0 {
		// Forget the oldest records until the new one fits, from the
		// first not forgotten yet: scanning from the ring's oldest each
		// time would cost a pass over the forgotten ones per trap.
		for old := max(h.oldest(), h.forgotten); h.bytes+max(size-cap(buf), 0) > h.opts.MaxBytes && old < seq; old++ {
			o := &h.slots[(old-1)%uint64(len(h.slots))]
			if o.seq == old {
				h.bytes -= cap(o.buf)
				o.seq = 0
				o.buf = nil
			}
			h.forgotten = old + 1
		}
	}
	return s
}

// minSlotBuffer is the capacity a slot keeps whatever the record: no
// SNMP message is smaller.
const minSlotBuffer = 256

// fill copies the record's bytes into s, keeping h.bytes the capacity of
// the slots' buffers. Called with h.mu.
func (h *History) fill(s *slot, parts ...[]byte) {
	h.bytes -= cap(s.buf)
	s.buf = s.buf[:0]
	for _, p := range parts {
		s.buf = append(s.buf, p...)
	}
	h.bytes += cap(s.buf)
}

// oldest returns the sequence of the oldest record the ring may hold.
func (h *History) oldest() uint64 {
	if n := uint64(len(h.slots)); h.next > n {
		return h.next - n
	}
	return 1
}

// key is the identity of a trap for collapsing storms: device, trap OID
// and varbinds, but not sysUpTime.0 (nor the request-id, which is not a
// varbind).
func (h *History) key(a *Admitted) uint64 {
	var m maphash.Hash
	m.SetSeed(h.seed)
	m.WriteString(a.Device)
	m.WriteByte(0)
	m.Write(a.TrapOID)
	for _, vb := range a.Varbinds {
		if string(vb.OID) == snmp.OIDSysUpTime {
			continue
		}
		m.WriteByte(0)
		m.Write(vb.OID)
		m.WriteByte(vb.Type)
		m.Write(vb.Value)
	}
	return m.Sum64()
}

// closeWindow ends a dedup window: a summary record when traps repeated
// within it. Called with h.mu.
func (h *History) closeWindow(key uint64, i int32) {
	e := h.entries[i]
	h.entries[i] = dedupEntry{} // drop its strings
	h.free = append(h.free, i)
	delete(h.dedup, key)
	if e.repeats == 0 {
		return
	}
	n := uint64(len(h.slots))
	if first := h.find(e.seq); first != nil && (h.next-1)%n == (e.seq-1)%n {
		// The summary takes the slot of the first record, the oldest: it
		// becomes the summary in place.
		first.seq = h.next
		h.next++
		first.repeats, first.first, first.last, first.summaryOf, first.at = e.repeats, time.Unix(0, e.first), time.Unix(0, e.last), e.seq, time.Unix(0, e.last)
		first.changes = first.changes[:0]
		return
	}
	size := 0
	if first := h.find(e.seq); first != nil {
		size = len(first.buf)
	}
	s := h.take(size)
	s.repeats, s.first, s.last, s.summaryOf, s.at = e.repeats, time.Unix(0, e.first), time.Unix(0, e.last), e.seq, time.Unix(0, e.last)
	s.listener, s.device, s.trap, s.source, s.version = e.listener, e.device, e.trap, e.source, e.version
	if first := h.find(e.seq); first != nil {
		// The ring still holds the first record: the summary repeats it.
		s.listener, s.source, s.device, s.relay = first.listener, first.source, first.device, first.relay
		s.version, s.trap, s.inform = first.version, first.trap, first.inform
		h.fill(s, first.buf)
		s.msgLen = first.msgLen
		s.trapOID = append(s.trapOID[:0], first.trapOID...)
	}
}

// find returns the slot holding seq, or nil. Called with h.mu.
func (h *History) find(seq uint64) *slot {
	if len(h.slots) == 0 || seq == 0 {
		return nil
	}
	s := &h.slots[(seq-1)%uint64(len(h.slots))]
	if s.seq != seq {
		return nil
	}
	return s
}

// Tick closes the dedup windows that have ended by now.
func (h *History) Tick(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closeEnded(now.UnixNano())
}

// closeEnded closes the windows that have ended by now, oldest first, and
// compacts the list. Called with h.mu.
func (h *History) closeEnded(now int64) {
	for h.windowsHead < len(h.windows) {
		r := h.windows[h.windowsHead]
		if now-r.first < int64(h.opts.DedupWindow) {
			break // the others opened later (give or take a clock step)
		}
		h.windowsHead++
		// A window closed when a repeat came after it ended, or reopened
		// since, is not this one.
		if i, ok := h.dedup[r.key]; ok && h.entries[i].first == r.first {
			h.closeWindow(r.key, i)
		}
	}
	if h.windowsHead > 1024 && h.windowsHead > len(h.windows)/2 {
		n := copy(h.windows, h.windows[h.windowsHead:])
		h.windows, h.windowsHead = h.windows[:n], 0
	}
}

// Run closes dedup windows every second until ctx ends.
func (h *History) Run(ctx context.Context) {
	if h.opts.DedupWindow <= 0 || len(h.slots) == 0 {
		return
	}
	loop.Every(ctx, time.Second, func() { h.Tick(h.now()) })
}

// Refused keeps a refused message's where and why.
func (h *History) Refused(r *Refusal) {
	if len(h.refused) == 0 {
		return
	}
	at := r.At
	if at.IsZero() {
		at = h.now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	seq := h.nextRefused
	h.nextRefused++
	s := &h.refused[(seq-1)%uint64(len(h.refused))]
	*s = refusedSlot{seq: seq, at: at, listener: r.Listener, source: r.Source, version: r.Version, result: r.Result, size: len(r.Data)}
	if r.Result == metrics.ResultNotSNMP {
		s.headLen = copy(s.head[:], r.Data)
	}
}

// Query selects records.
type Query struct {
	Device   string
	Listener string
	// Trap is a trap name or a numeric OID prefix.
	Trap string
	// Text matches any rendered value, name or field (case-insensitive).
	Text  string
	Since time.Time
	// After selects records with a higher Seq (0: all); Limit bounds how
	// many (0: all).
	After uint64
	Limit int
}

// Records returns the records that match q, newest first.
func (h *History) Records(q Query) []Record {
	var names Names
	if h.opts.Names != nil {
		names = h.opts.Names()
	}
	h.mu.Lock()
	var c copier
	for seq := h.next - 1; seq >= h.oldest() && seq > q.After && seq > 0; seq-- {
		s := h.find(seq)
		if s == nil {
			continue
		}
		if (q.Device != "" && s.device != q.Device) || (q.Listener != "" && s.listener != q.Listener) || (!q.Since.IsZero() && s.at.Before(q.Since)) {
			continue
		}
		c.add(s)
		if q.Text == "" && q.Trap == "" && q.Limit > 0 && len(c.kept) >= q.Limit {
			break
		}
	}
	h.mu.Unlock()
	kept := c.done()
	out := make([]Record, 0, len(kept))
	var t text
	for i := range kept {
		var r Record
		render(&r, &kept[i], names, &t)
		if !r.matches(q) {
			continue
		}
		out = append(out, r)
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
	}
	return out
}

// copier copies slots out of the ring under the lock, their bytes and
// state changes into one buffer each rather than a few allocations per
// record.
type copier struct {
	kept    []slot
	bytes   []byte
	changes []StateChange
}

// add copies s. The copy's slices are still the ring's until done points
// them into the buffers; only their lengths are used.
func (c *copier) add(s *slot) {
	c.kept = append(c.kept, *s)
	c.bytes = append(c.bytes, s.buf...)
	c.bytes = append(c.bytes, s.trapOID...)
	c.changes = append(c.changes, s.changes...)
}

// done points each copy's slices into the buffers.
func (c *copier) done() []slot {
	b, ch := 0, 0
	for i := range c.kept {
		k := &c.kept[i]
		n, o, m := len(k.buf), len(k.trapOID), len(k.changes)
		k.buf = c.bytes[b : b+n : b+n]
		k.trapOID = c.bytes[b+n : b+n+o : b+n+o]
		k.changes = c.changes[ch : ch+m : ch+m]
		b, ch = b+n+o, ch+m
	}
	return c.kept
}

// Follow returns the records after seq, oldest first, at most max, and
// how many records after seq the ring no longer holds (for a reader that
// fell behind).
func (h *History) Follow(after uint64, max int) (records []Record, missed uint64) {
	var names Names
	if h.opts.Names != nil {
		names = h.opts.Names()
	}
	h.mu.Lock()
	var c copier
	start := after + 1
	if o := h.oldest(); start < o {
		missed = o - start
		start = o
	}
	for seq := start; seq < h.next && len(c.kept) < max; seq++ {
		s := h.find(seq)
		if s == nil {
			missed++ // dropped for the byte bound
			continue
		}
		c.add(s)
	}
	h.mu.Unlock()
	kept := c.done()
	records = make([]Record, len(kept))
	var t text
	for i := range kept {
		render(&records[i], &kept[i], names, &t)
	}
	return records, missed
}

// LastSeq returns the sequence of the newest record (0: none yet).
func (h *History) LastSeq() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.next - 1
}

// RefusedRecords returns the refused messages that match q (listener,
// since, limit), newest first.
func (h *History) RefusedRecords(q Query) []Refused {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Refused
	n := uint64(len(h.refused))
	for seq := h.nextRefused - 1; seq > 0 && seq+n >= h.nextRefused; seq-- {
		s := &h.refused[(seq-1)%n]
		if s.seq != seq || (q.Listener != "" && s.listener != q.Listener) || (!q.Since.IsZero() && s.at.Before(q.Since)) {
			continue
		}
		if q.Device != "" && s.source.Addr().String() != q.Device {
			continue
		}
		r := Refused{Seq: s.seq, Time: s.at, Listener: s.listener, Source: s.source.String(), Result: s.result.String(), Size: s.size}
		if s.version != metrics.VersionUnknown {
			r.Version = s.version.String()
		}
		if s.headLen > 0 {
			r.Head = hex.EncodeToString(s.head[:s.headLen])
		}
		out = append(out, r)
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
	}
	return out
}

// matches applies the filters that need the rendered record.
func (r *Record) matches(q Query) bool {
	if q.Trap != "" && r.Trap != q.Trap && !strings.HasPrefix(r.TrapOID, strings.TrimPrefix(q.Trap, ".")) {
		return false
	}
	if q.Text == "" {
		return true
	}
	text := strings.ToLower(q.Text)
	fields := []string{r.Device, r.Trap, r.TrapOID, r.Source, r.Listener}
	for _, vb := range r.Varbinds {
		fields = append(fields, vb.Name, vb.Value)
	}
	for _, c := range r.Changes {
		fields = append(fields, c.Series)
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), text) {
			return true
		}
	}
	return false
}

// render makes the Record of a slot: the message is decoded again and its
// varbinds rendered with names.
func render(r *Record, s *slot, names Names, t *text) {
	t.reset()
	*r = Record{
		Seq:      s.seq,
		Time:     s.at.UTC(),
		Listener: s.listener,
		Device:   s.device,
		Version:  s.version.String(),
		Trap:     s.trap,
		Inform:   s.inform,
	}
	if s.source != (netip.AddrPort{}) {
		a := t.mark()
		t.buf = s.source.AppendTo(t.buf)
		t.set(&r.Source, a)
	}
	if s.relay.IsValid() {
		a := t.mark()
		t.buf = s.relay.AppendTo(t.buf)
		t.set(&r.Relay, a)
	}
	a := t.mark()
	if d, err := snmp.AppendOID(t.buf, s.trapOID); err == nil {
		t.buf = d
		t.set(&r.TrapOID, a)
	}
	if s.repeats > 0 {
		first, last := s.first.UTC(), s.last.UTC()
		r.Repeats, r.First, r.Last = s.repeats, &first, &last
	}
	var m snmp.Message
	if len(s.buf) > 0 && m.Decode(s.buf[:s.msgLen]) == nil {
		if s.msgLen < len(s.buf) {
			m.DecodeScopedPDU(s.buf[s.msgLen:])
		}
		if m.Version == snmp.V3 {
			r.User = string(m.V3.UserName)
			r.ContextEngineID = hex.EncodeToString(m.V3.ContextEngineID)
			r.ContextName = string(m.V3.ContextName)
		}
		if s.inform {
			id := m.RequestID
			r.RequestID = &id
		}
		if m.PDUType == snmp.PDUTrapV1 {
			r.Uptime = uptime(m.TimeStamp)
		}
		// Exactly as long as needed: t keeps pointers into it.
		r.Varbinds = make([]Varbind, len(m.Varbinds))
		for i, vb := range m.Varbinds {
			if string(vb.OID) == snmp.OIDSysUpTime && vb.Type == snmp.TagTimeTicks {
				if n, ok := vb.Uint64(); ok {
					r.Uptime = uptime(uint32(n))
				}
			}
			renderVarbind(&r.Varbinds[i], vb, names, t)
		}
	} else {
		r.Varbinds = []Varbind{}
	}
	if len(s.changes) > 0 {
		r.Changes = make([]Change, len(s.changes))
		for i, c := range s.changes {
			renderChange(&r.Changes[i], c, t)
		}
	}
	t.done()
}

// text gathers a record's strings in one buffer and hands them out as
// substrings of one string, so that rendering a record allocates once for
// all its text instead of a few times per varbind (BenchmarkFollow: the
// trap log renders every record it writes).
type text struct {
	buf     []byte
	pending []span
}

type span struct {
	dst  *string
	a, b int
}

func (t *text) reset()    { t.buf, t.pending = t.buf[:0], t.pending[:0] }
func (t *text) mark() int { return len(t.buf) }

// set makes *dst the text appended since a, once done is called.
func (t *text) set(dst *string, a int) { t.pending = append(t.pending, span{dst, a, len(t.buf)}) }

func (t *text) done() {
	all := string(t.buf)
	for _, p := range t.pending {
		*p.dst = all[p.a:p.b]
	}
	clear(t.pending) // drop the pointers into the record
}

func uptime(ticks uint32) *Uptime { return &Uptime{Ticks: ticks, Seconds: float64(ticks) / 100} }

func renderVarbind(out *Varbind, vb snmp.Varbind, names Names, t *text) {
	value := vb.Value
	if len(value) > MaxValueBytes && vb.Type == snmp.TagOctetString {
		value, out.Truncated = value[:MaxValueBytes], true
	}
	a := t.mark()
	d, err := snmp.AppendOID(t.buf, vb.OID)
	if err == nil {
		t.buf = d
		t.set(&out.OID, a)
	}
	if names != nil {
		a = t.mark()
		var at int
		t.buf, at, out.Type = names.AppendVarbindParts(t.buf, vb.OID, vb.Type, value)
		t.pending = append(t.pending, span{&out.Name, a, at})
		t.set(&out.Value, at)
	} else {
		t.set(&out.Name, a) // the OID again
		a = t.mark()
		t.buf, out.Type = appendNumeric(t.buf, vb.Type, value)
		t.set(&out.Value, a)
	}
	if vb.Type == snmp.TagOctetString && !printable(value) {
		a = t.mark()
		t.buf = hex.AppendEncode(t.buf, value)
		t.set(&out.Hex, a)
	}
}

// appendNumeric renders without MIBs: numbers, text or hex.
func appendNumeric(dst []byte, typ byte, value []byte) ([]byte, string) {
	vb := snmp.Varbind{Type: typ, Value: value}
	switch typ {
	case snmp.TagInteger:
		if n, ok := vb.Int64(); ok {
			return strconv.AppendInt(dst, n, 10), "INTEGER"
		}
	case snmp.TagOctetString:
		if printable(value) {
			return strconv.AppendQuote(dst, string(value)), "OCTET STRING"
		}
		return hex.AppendEncode(append(dst, "0x"...), value), "OCTET STRING"
	}
	if n, ok := vb.Uint64(); ok {
		return strconv.AppendUint(dst, n, 10), "value"
	}
	return hex.AppendEncode(append(dst, "0x"...), value), "value"
}

func renderChange(out *Change, c StateChange, t *text) {
	a := t.mark()
	t.buf = append(t.buf, c.Family.Name...)
	t.buf = append(t.buf, `{device=`...)
	t.buf = strconv.AppendQuote(t.buf, c.Device)
	for i, l := range c.Family.Labels {
		if i < len(c.Values) {
			t.buf = append(t.buf, ',')
			t.buf = append(t.buf, l...)
			t.buf = append(t.buf, '=')
			t.buf = strconv.AppendQuote(t.buf, c.Values[i])
		}
	}
	t.buf = append(t.buf, '}')
	t.set(&out.Series, a)
	out.To = c.New
	if c.Existed {
		old := c.Old
		out.From = &old
	}
}
