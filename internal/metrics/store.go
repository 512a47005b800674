// Package collector holds the trap-derived series and exposes them, with the
// exporter's own receive statistics, as a prometheus.Collector.
//
// The store is the single source of truth (the shape of mtail's store and
// exporter): the receive path updates it with a map lookup and atomic adds,
// and Collect walks it and emits const metrics, so the series cap and expiry
// live in one place.
package metrics

import (
	"context"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/loop"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/ratelimit"
)

// OverflowLabel is the device and trap label value of the overflow series that
// counts traps which found no room in the store.
const OverflowLabel = "_other"

// Reasons for snmptrap_series_dropped_total.
const (
	DropReasonLimit       = "limit"        // the store was full
	DropReasonDeviceLimit = "device_limit" // the device had its maximum of series
	DropReasonSourceRate  = "source_rate"  // the source made new series too fast
	DropReasonExpired     = "expired"      // not updated within its TTL
	DropReasonRuleRemoved = "rule_removed" // its rule is gone from the configuration
	DropReasonBytesLimit  = "bytes_limit"  // the store's labels held their most bytes
)

// Limits bound the store beyond its overall cap.
type Limits struct {
	// PerDevice is the most series one device may have (trap counters and
	// rule-derived series together); 0: no limit.
	PerDevice int
	// NewPerSourcePerMinute is how many new series one source address may
	// make per minute (a token bucket with that burst); 0: no limit.
	NewPerSourcePerMinute int
	// MaxLabelBytes bounds the bytes of the label values of all series
	// together (device and trap of a trap series, device and rule labels
	// of a derived one); 0: no limit. The series cap alone let 110,000
	// numeric trap OIDs of 128 arcs take 930 MB and make /metrics 294 MB.
	MaxLabelBytes int
}

// Key identifies one device × trap series.
type Key struct {
	Device string
	Trap   string
}

type series struct {
	count atomic.Uint64
	// last is the time of the last observation in Unix nanoseconds.
	last atomic.Int64
}

// seen moves the last-seen time forward to ts, never back: the receive
// goroutines stamp whole batches, so two of them may store out of order.
func (sr *series) seen(ts int64) {
	for {
		old := sr.last.Load()
		if ts <= old || sr.last.CompareAndSwap(old, ts) {
			return
		}
	}
}

// Store keeps one counter and one last-seen timestamp per device × trap, up
// to a limit. Traps that find no room are counted in a single overflow series
// that lives outside the limit, so the sum over all series always equals the
// number of traps observed. It is safe for concurrent use.
type Store struct {
	now    func() time.Time
	limit  int
	ttl    time.Duration
	limits Limits

	mu         sync.RWMutex
	series     map[Key]*series
	derived    map[dkey]*dseries
	families   map[string]*Family
	perDevice  map[string]int       // series per device, both kinds
	sources    *ratelimit.PerSource // nil: no per-source limit
	labelBytes int                  // label value bytes of all series
	// labelBytesRead and maxLabelBytes mirror labelBytes and the limit
	// for reading without the lock.
	labelBytesRead atomic.Int64
	maxLabelBytes  atomic.Int64
	// size is len(series)+len(derived), kept for reading without the lock.
	size atomic.Int64

	// gen changes whenever a trap series is added or removed (under mu);
	// the scrape index is rebuilt only then (see Index).
	gen     atomic.Uint64
	index   atomic.Pointer[Index]
	indexMu sync.Mutex // one rebuild at a time
	// changed is set by every change, for snapshots (TakeChanged).
	changed atomic.Bool

	overflow           series
	droppedLimit       atomic.Uint64
	droppedDeviceLimit atomic.Uint64
	droppedSourceRate  atomic.Uint64
	droppedExpired     atomic.Uint64
	droppedRemoved     atomic.Uint64
	droppedBytes       atomic.Uint64
}

// NewStore returns a store that holds at most limit series (limit <= 0 means
// no limit) and forgets a series not updated for ttl (ttl <= 0 means never).
// now is the clock; nil means time.Now.
func NewStore(limit int, ttl time.Duration, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:       now,
		limit:     limit,
		ttl:       ttl,
		series:    make(map[Key]*series),
		derived:   make(map[dkey]*dseries),
		families:  make(map[string]*Family),
		perDevice: make(map[string]int),
	}
}

// SetLimits sets the per-device and per-source limits. Series already in
// the store stay.
func (s *Store) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
	s.maxLabelBytes.Store(int64(l.MaxLabelBytes))
	s.sources = nil
	if n := float64(l.NewPerSourcePerMinute); n > 0 {
		s.sources = ratelimit.NewPerSource(n/60, n, maxSourceBuckets)
	}
}

// admitNew applies the limits to a new series of device from src, whose
// labels hold size bytes, and counts a refusal. Called with s.mu held for
// writing.
func (s *Store) admitNew(src netip.Addr, device string, size int, at time.Time) bool {
	if !s.admitCaps(device, size) {
		return false
	}
	if s.sources != nil && !s.sources.Allow(src, at) {
		s.droppedSourceRate.Add(1)
		return false
	}
	return true
}

// admitCaps applies the global, per-device and byte caps to a new series
// of device whose labels hold size bytes, and counts a refusal (a restored
// series goes through these only: the per-source rate is for traps
// arriving). Called with s.mu held for writing.
func (s *Store) admitCaps(device string, size int) bool {
	switch {
	case s.limit > 0 && len(s.series)+len(s.derived) >= s.limit:
		s.droppedLimit.Add(1)
	case s.limits.PerDevice > 0 && s.perDevice[device] >= s.limits.PerDevice:
		s.droppedDeviceLimit.Add(1)
	case s.limits.MaxLabelBytes > 0 && s.labelBytes+size > s.limits.MaxLabelBytes:
		s.droppedBytes.Add(1)
	default:
		return true
	}
	return false
}

// added counts a new series of device whose labels hold size bytes;
// called with s.mu held.
func (s *Store) added(device string, size int) {
	s.perDevice[device]++
	s.labelBytes += size
	s.labelBytesRead.Store(int64(s.labelBytes))
	s.size.Add(1)
	s.changed.Store(true)
}

// forget takes a series of device whose labels hold size bytes off the
// counts; called with s.mu held.
func (s *Store) forget(device string, size int) {
	if n := s.perDevice[device] - 1; n > 0 {
		s.perDevice[device] = n
	} else {
		delete(s.perDevice, device)
	}
	s.labelBytes -= size
	s.labelBytesRead.Store(int64(s.labelBytes))
	s.size.Add(-1)
	s.changed.Store(true)
}

func (k Key) size() int { return len(k.Device) + len(k.Trap) }

// LabelBytes returns the bytes the label values of all series hold (what
// Limits.MaxLabelBytes bounds). It takes no lock.
func (s *Store) LabelBytes() int { return int(s.labelBytesRead.Load()) }

// LabelBytesLimit returns Limits.MaxLabelBytes (0: no limit).
func (s *Store) LabelBytesLimit() int { return int(s.maxLabelBytes.Load()) }

// TakeChanged reports whether the store changed since the last call (or
// since it was made) and starts over: a snapshot saver skips an unchanged
// store without encoding it. A saver whose save failed calls MarkChanged.
func (s *Store) TakeChanged() bool { return s.changed.Swap(false) }

// MarkChanged makes the next TakeChanged report a change.
func (s *Store) MarkChanged() { s.changed.Store(true) }

// touch marks a change on the receive path: a load of a line that is
// rarely written, instead of a store to it per trap.
func (s *Store) touch() {
	if !s.changed.Load() {
		s.changed.Store(true)
	}
}

// Devices returns the devices that have series in the store, sorted.
func (s *Store) Devices() []string {
	s.mu.RLock()
	out := make([]string, 0, len(s.perDevice))
	for d := range s.perDevice {
		out = append(out, d)
	}
	s.mu.RUnlock()
	sort.Strings(out)
	return out
}

// Limit returns the configured series cap (0 when unlimited).
func (s *Store) Limit() int {
	if s.limit < 0 {
		return 0
	}
	return s.limit
}

// Observe counts one trap from device of type trap, received from src at
// the given time (zero: the store's clock). It reports false when a limit
// refused a new series and the trap went to the overflow series instead,
// so that the sum over all series stays the number of traps observed.
//
// The time comes from the caller because the receiver reads the clock once
// per batch of datagrams: time.Now was 11 % of the per-trap profile.
func (s *Store) Observe(src netip.Addr, device, trap string, at time.Time) bool {
	if at.IsZero() {
		at = s.now()
	}
	ts := at.UnixNano()
	k := Key{Device: device, Trap: trap}

	// The update happens under the read lock: Expire takes the write lock,
	// so it can never delete a series between its lookup and its update
	// (which would count the trap nowhere).
	s.touch()
	s.mu.RLock()
	if sr := s.series[k]; sr != nil {
		sr.count.Add(1)
		sr.seen(ts)
		s.mu.RUnlock()
		return true
	}
	s.mu.RUnlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if sr := s.series[k]; sr != nil {
		sr.count.Add(1)
		sr.seen(ts)
		return true
	}
	if !s.admitNew(src, device, k.size(), at) {
		s.overflow.count.Add(1)
		s.overflow.seen(ts)
		return false
	}
	// A new series is complete before it becomes visible.
	sr := &series{}
	sr.count.Store(1)
	sr.last.Store(ts)
	s.series[k] = sr
	s.added(device, k.size())
	s.gen.Add(1)
	return true
}

// Expire removes every trap series not updated for the store's ttl and
// every rule-derived series past its family's TTL, and returns how many it
// removed. The overflow series never expires: it holds counts of traps
// whose series were refused, and deleting it would hide them.
//
// It looks for expired series under the read lock, which the receive path
// shares, and takes the write lock only to delete what it found, checking
// each again: a trap in between keeps its series.
func (s *Store) Expire() int {
	now := s.now()
	var keys []Key
	var dkeys []dkey
	s.mu.RLock()
	if s.ttl > 0 {
		cutoff := now.Add(-s.ttl).UnixNano()
		for k, sr := range s.series {
			if sr.last.Load() < cutoff {
				keys = append(keys, k)
			}
		}
	}
	for k, ds := range s.derived {
		if s.derivedExpired(ds, now) {
			dkeys = append(dkeys, k)
		}
	}
	s.mu.RUnlock()
	if len(keys) == 0 && len(dkeys) == 0 {
		return 0
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	cutoff := now.Add(-s.ttl).UnixNano()
	for _, k := range keys {
		if sr := s.series[k]; sr != nil && sr.last.Load() < cutoff {
			delete(s.series, k)
			s.forget(k.Device, k.size())
			n++
		}
	}
	if n > 0 {
		s.gen.Add(1)
	}
	for _, k := range dkeys {
		if ds := s.derived[k]; ds != nil && s.derivedExpired(ds, now) {
			s.deleteDerived(k, ds)
			n++
		}
	}
	s.droppedExpired.Add(uint64(n))
	return n
}

// ExpireEvery runs Expire every interval until ctx ends (the store's own
// loop, as mtail's GC loop: a scrape only reads). The TTLs are measured on
// the store's clock.
func (s *Store) ExpireEvery(ctx context.Context, interval time.Duration) {
	loop.Every(ctx, interval, func() { s.Expire() })
}

// Len returns the number of series in the store, trap counters and
// rule-derived series, not counting the overflow series. It takes no lock.
func (s *Store) Len() int { return int(s.size.Load()) }

// Dropped returns how many series were refused or removed, by reason
// (the DropReason constants).
func (s *Store) Dropped() map[string]uint64 {
	return map[string]uint64{
		DropReasonLimit:       s.droppedLimit.Load(),
		DropReasonDeviceLimit: s.droppedDeviceLimit.Load(),
		DropReasonSourceRate:  s.droppedSourceRate.Load(),
		DropReasonExpired:     s.droppedExpired.Load(),
		DropReasonRuleRemoved: s.droppedRemoved.Load(),
		DropReasonBytesLimit:  s.droppedBytes.Load(),
	}
}

// maxSourceBuckets bounds the per-source new-series buckets (see
// ratelimit.PerSource); the store's cap still holds.
const maxSourceBuckets = 10000
