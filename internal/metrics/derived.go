package metrics

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/model"
)

// FamilyType says how a rule-derived family is exposed.
type FamilyType int

// The family types.
const (
	Gauge FamilyType = iota
	Counter
)

// TTLSeries is the Family.TTL that applies the store's series TTL
// (--trap.series-ttl), as for the trap counters. A TTL of 0 keeps a series
// until a trap changes it.
const TTLSeries time.Duration = -1

// Family is a metric family whose series rules derive from traps: for
// example snmptrap_interface_up{device,ifIndex}. Every family has the
// `device` label first; Labels are the others. The first KeyLabels of them
// identify a series; the rest are attributes that a later update replaces
// (the ifDescr of an interface's info series), so that a changed
// description does not leave the old series behind.
type Family struct {
	Name      string
	Help      string
	Type      FamilyType
	Labels    []string
	KeyLabels int
	// TTL removes a series not updated for this long: TTLSeries for the
	// store's TTL, 0 to keep it. It is the default: an update may give its
	// series a TTL of its own (rules sharing a metric may differ).
	TTL time.Duration
}

// Validate checks the names of a family.
func (f *Family) Validate() error {
	if !model.LegacyValidation.IsValidMetricName(f.Name) {
		return fmt.Errorf("invalid metric name %q", f.Name)
	}
	seen := map[string]bool{"device": true}
	for _, l := range f.Labels {
		if !model.LegacyValidation.IsValidLabelName(l) || strings.HasPrefix(l, "__") {
			return fmt.Errorf("metric %s: invalid label name %q", f.Name, l)
		}
		if seen[l] {
			return fmt.Errorf("metric %s: label %q given twice (device is always there)", f.Name, l)
		}
		seen[l] = true
	}
	if f.KeyLabels < 0 || f.KeyLabels > len(f.Labels) {
		return fmt.Errorf("metric %s: %d key labels of %d", f.Name, f.KeyLabels, len(f.Labels))
	}
	return nil
}

// sameShape reports whether two families can share series: same name, type
// and labels.
func (f *Family) sameShape(g *Family) bool {
	return f.Name == g.Name && f.Type == g.Type && f.KeyLabels == g.KeyLabels && slices.Equal(f.Labels, g.Labels)
}

type dkey struct {
	family string
	device string
	key    string // the key label values joined with 0xff
}

type dseries struct {
	family *Family
	device string
	values []string // all label values after device; replaced whole, under the write lock
	bits   atomic.Uint64
	// updated is the time of the last update in Unix nanoseconds.
	updated atomic.Int64
	// ttl is the series' own TTL (as Family.TTL), set by its last update.
	ttl atomic.Int64
}

func joinKey(values []string) string {
	switch len(values) {
	case 0:
		return ""
	case 1:
		return values[0]
	}
	return strings.Join(values, "\xff")
}

// Op is what an update does to a series.
type Op int

// The update operations.
const (
	OpSet Op = iota // set a gauge
	OpAdd           // add to a counter
)

// Update is one change to a rule-derived series.
type Update struct {
	// Family is the series' family; Values its label values after device
	// (len(Values) == len(Family.Labels)).
	Family *Family
	Op     Op
	// Src is the address the trap came from, for the per-source limit on
	// new series.
	Src    netip.Addr
	Device string
	Values []string
	Value  float64
	// At is when (zero: the store's clock).
	At time.Time
	// TTL is the series' TTL from now on (as Family.TTL: TTLSeries, 0 to
	// keep, or a duration).
	TTL time.Duration
}

// Update sets (OpSet) or adds to (OpAdd) a rule-derived series. It reports
// false when a new series was refused by a limit (counted in
// snmptrap_series_dropped_total) or the family is not one of the store's
// families nor shaped as the one of its name.
func (s *Store) Update(u Update) bool { return s.UpdateChange(u).OK }

// Change is what an update did to its series: whether it was applied
// (OK), whether the series existed before, and its value before and after.
type Change struct {
	OK, Existed bool
	Old, New    float64
}

// UpdateChange is Update that says what changed, for the trap record.
func (s *Store) UpdateChange(u Update) Change {
	f, op, src, device, values, v, at, ttl := u.Family, u.Op, u.Src, u.Device, u.Values, u.Value, u.At, u.TTL
	if len(values) != len(f.Labels) {
		panic(fmt.Sprintf("collector: %d label values for the %d labels of %s", len(values), len(f.Labels), f.Name))
	}
	if at.IsZero() {
		at = s.now()
	}
	ts := at.UnixNano()
	k := dkey{family: f.Name, device: device, key: joinKey(values[:f.KeyLabels])}

	s.touch()
	s.mu.RLock()
	if ds := s.derived[k]; ds != nil && ds.family == f && slices.Equal(ds.values[f.KeyLabels:], values[f.KeyLabels:]) {
		old, n := ds.apply(op, v, ts)
		ds.ttl.Store(int64(ttl))
		s.mu.RUnlock()
		return Change{OK: true, Existed: true, Old: old, New: n}
	}
	s.mu.RUnlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.families[f.Name]; cur != f {
		// A family of an older configuration: a reload sets the new
		// families before the new rules are in use, so the old rules may
		// still send an update. It goes to the new family when that has
		// the same shape (its series carried over); else it is dropped.
		if cur == nil || !cur.sameShape(f) {
			return Change{}
		}
		f = cur
	}
	if ds := s.derived[k]; ds != nil {
		if !slices.Equal(ds.values[f.KeyLabels:], values[f.KeyLabels:]) {
			// New attributes, same series.
			s.labelBytes += valuesSize(values) - valuesSize(ds.values)
			s.labelBytesRead.Store(int64(s.labelBytes))
			ds.values = slices.Clone(values)
		}
		old, n := ds.apply(op, v, ts)
		ds.ttl.Store(int64(ttl))
		return Change{OK: true, Existed: true, Old: old, New: n}
	}
	size := len(device) + valuesSize(values)
	if !s.admitNew(src, device, size, at) {
		return Change{}
	}
	ds := &dseries{family: f, device: device, values: slices.Clone(values)}
	_, n := ds.apply(op, v, ts)
	ds.ttl.Store(int64(ttl))
	s.derived[k] = ds
	s.added(device, size)
	return Change{OK: true, New: n}
}

func valuesSize(values []string) int {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	return n
}

func (ds *dseries) size() int { return len(ds.device) + valuesSize(ds.values) }

// apply changes the value and returns it before and after.
func (ds *dseries) apply(op Op, v float64, ts int64) (old, now float64) {
	defer ds.updated.Store(ts)
	if op == OpAdd {
		for {
			bits := ds.bits.Load()
			old = math.Float64frombits(bits)
			if ds.bits.CompareAndSwap(bits, math.Float64bits(old+v)) {
				return old, old + v
			}
		}
	}
	return math.Float64frombits(ds.bits.Swap(math.Float64bits(v))), v
}

// SetFamilies replaces the rule-derived families (at start and on reload).
// Series of a family that is gone, or whose labels or type changed, are
// removed and counted as dropped with reason "rule_removed"; series of an
// unchanged family carry over to its new definition.
func (s *Store) SetFamilies(fs []*Family) error {
	next := make(map[string]*Family, len(fs))
	for _, f := range fs {
		if err := f.Validate(); err != nil {
			return err
		}
		if _, dup := next[f.Name]; dup {
			return fmt.Errorf("metric %s is defined twice", f.Name)
		}
		next[f.Name] = f
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for k, ds := range s.derived {
		f := next[k.family]
		if f == nil || !f.sameShape(ds.family) {
			s.deleteDerived(k, ds)
			removed++
			continue
		}
		ds.family = f
	}
	s.families = next
	s.droppedRemoved.Add(uint64(removed))
	return nil
}

// deleteDerived removes a series; called with s.mu held.
func (s *Store) deleteDerived(k dkey, ds *dseries) {
	delete(s.derived, k)
	s.forget(ds.device, ds.size())
}

// derivedExpired reports whether a rule-derived series is past its TTL;
// called with s.mu held (for reading at least).
func (s *Store) derivedExpired(ds *dseries, now time.Time) bool {
	ttl := time.Duration(ds.ttl.Load())
	if ttl == TTLSeries {
		ttl = s.ttl
	}
	return ttl > 0 && ds.updated.Load() < now.Add(-ttl).UnixNano()
}

// DerivedSample is one rule-derived series as read by DerivedSnapshot.
type DerivedSample struct {
	Family  *Family
	Device  string
	Values  []string
	Value   float64
	Updated time.Time
	TTL     time.Duration // the series' own (as Family.TTL)
}

// DerivedSnapshot returns the rule-derived series sorted by family, device
// and label values.
func (s *Store) DerivedSnapshot() []DerivedSample {
	s.mu.RLock()
	out := make([]DerivedSample, 0, len(s.derived))
	for _, ds := range s.derived {
		out = append(out, DerivedSample{
			Family: ds.family, Device: ds.device, Values: ds.values,
			Value: math.Float64frombits(ds.bits.Load()), Updated: time.Unix(0, ds.updated.Load()),
			TTL: time.Duration(ds.ttl.Load()),
		})
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b DerivedSample) int {
		if c := strings.Compare(a.Family.Name, b.Family.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Device, b.Device); c != 0 {
			return c
		}
		return slices.Compare(a.Values, b.Values)
	})
	return out
}

// DeviceInfo is one snmptrap_device_info series: a device and its
// inventory labels.
type DeviceInfo struct {
	Device string
	Labels map[string]string
}
