package metrics

// Snapshots keep the store across restarts: the device × trap counters and
// last-seen times, the overflow series and the rule-derived series (state
// such as snmptrap_interface_up), so that a restart neither resets the
// counters nor clears an open alarm. There is no separate device table: the
// devices are the device labels of the series, and the per-device counts the
// limits use are rebuilt from them on restore (the inventory's labels come
// from the configuration, not the snapshot).
//
// The format is JSON lines, readable with jq and grep:
//
//	{"snapshot":"snmptrap_exporter series","version":1,"records":3}
//	{"kind":"trap","device":"sw1","trap":"IF-MIB::linkDown","count":4,"last_ns":1700000000000000000}
//	{"kind":"overflow","count":2,"last_ns":1700000000000000000}
//	{"kind":"derived","family":"snmptrap_interface_up","type":"gauge","labels":["ifIndex"],"key_labels":1,"device":"sw1","values":["2"],"value":0,"updated_ns":1700000000000000000,"ttl_ns":0}
//	{"sha256":"…"}
//
// The header names the format and its version and says how many records
// follow; the last line is the SHA-256 of every byte before it (package
// sealed). A file cut short lacks the checksum line or its final newline;
// a changed byte fails the checksum: either way nothing of it is restored. Records are sorted, so
// the same store always makes the same file and an unchanged store need not
// be written again (the caller compares SnapshotInfo.Sum).
//
// Values that JSON numbers cannot hold (NaN, ±Inf) are written as the
// strings "NaN", "+Inf" and "-Inf". Label values are UTF-8 (Prometheus
// requires it); an invalid byte would be written as U+FFFD, as
// encoding/json does.

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/sealed"
)

// SnapshotFileName is the snapshot's name in the storage directory.
const SnapshotFileName = "snapshot.jsonl"

// MaxSnapshotSize is the largest snapshot LoadSnapshot reads: 1 GiB. A
// larger file is refused as corrupt from its size, without reading it, and
// the exporter does not write one. A trap series takes about 105 bytes of
// the file and a rule-derived series a few hundred, so the default
// --trap.max-series of 100000 makes files of 10 to 30 MB; 1 GiB is some ten
// million series, a store that needs several GiB of memory of its own.
// Restoring holds the whole file in memory while it is decoded, so the cap
// also bounds what a file found at the path can make the start allocate.
const MaxSnapshotSize = 1 << 30

const (
	snapshotMagic   = "snmptrap_exporter series"
	snapshotVersion = 1
)

// ErrCorruptSnapshot is wrapped by every error about a snapshot's content
// (as opposed to reading it).
var ErrCorruptSnapshot = errors.New("corrupt snapshot")

// SnapshotInfo describes an encoded snapshot.
type SnapshotInfo struct {
	Traps    int  // device × trap series
	Overflow bool // whether the overflow series is in it
	Derived  int  // rule-derived series
	// Count is the sum of the trap counts, the overflow series included.
	Count uint64
	Bytes int
	// Sum is the SHA-256 in the last line; equal sums mean equal files.
	Sum [sha256.Size]byte
}

// EncodeSnapshot appends a snapshot of the store to dst and returns it. The
// store's read lock is held only while its series are copied, never while
// they are sorted or encoded.
func (s *Store) EncodeSnapshot(dst []byte) ([]byte, SnapshotInfo) {
	var info SnapshotInfo
	traps := s.appendSamples(nil) // sorted; the overflow series as _other/_other
	derived := s.DerivedSnapshot()

	start := len(dst)
	dst = append(dst, `{"snapshot":"`+snapshotMagic+`","version":`...)
	dst = strconv.AppendInt(dst, snapshotVersion, 10)
	dst = append(dst, `,"records":`...)
	dst = strconv.AppendInt(dst, int64(len(traps)+len(derived)), 10)
	dst = append(dst, "}\n"...)
	for i := range traps {
		t := &traps[i]
		if t.device == OverflowLabel && t.trap == OverflowLabel {
			info.Overflow = true
			dst = append(dst, `{"kind":"overflow"`...)
		} else {
			info.Traps++
			dst = append(dst, `{"kind":"trap","device":`...)
			dst = appendJSONString(dst, t.device)
			dst = append(dst, `,"trap":`...)
			dst = appendJSONString(dst, t.trap)
		}
		info.Count += t.count
		dst = append(dst, `,"count":`...)
		dst = strconv.AppendUint(dst, t.count, 10)
		dst = append(dst, `,"last_ns":`...)
		dst = strconv.AppendInt(dst, t.last, 10)
		dst = append(dst, "}\n"...)
	}
	for i := range derived {
		d := &derived[i]
		f := d.Family
		info.Derived++
		dst = append(dst, `{"kind":"derived","family":`...)
		dst = appendJSONString(dst, f.Name)
		dst = append(dst, `,"type":`...)
		dst = appendJSONString(dst, typeName(f.Type))
		dst = append(dst, `,"labels":`...)
		dst = appendJSONStrings(dst, f.Labels)
		dst = append(dst, `,"key_labels":`...)
		dst = strconv.AppendInt(dst, int64(f.KeyLabels), 10)
		dst = append(dst, `,"device":`...)
		dst = appendJSONString(dst, d.Device)
		dst = append(dst, `,"values":`...)
		dst = appendJSONStrings(dst, d.Values)
		dst = append(dst, `,"value":`...)
		dst = appendJSONFloat(dst, d.Value)
		dst = append(dst, `,"updated_ns":`...)
		dst = strconv.AppendInt(dst, d.Updated.UnixNano(), 10)
		dst = append(dst, `,"ttl_ns":`...)
		dst = strconv.AppendInt(dst, int64(d.TTL), 10)
		dst = append(dst, "}\n"...)
	}
	dst, info.Sum = sealed.Seal(dst, start)
	info.Bytes = len(dst) - start
	return dst, info
}

func typeName(t FamilyType) string {
	if t == Counter {
		return "counter"
	}
	return "gauge"
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// except that <, > and & are not escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}

func appendJSONStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// jsonFloat reads what appendJSONFloat writes.
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
	case `"+Inf"`:
		*f = jsonFloat(math.Inf(1))
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil || b[0] == '"' {
			return fmt.Errorf("value %s is not a number", b)
		}
		*f = jsonFloat(v)
	}
	return nil
}

type snapshotHeader struct {
	Snapshot string `json:"snapshot"`
	Version  *int   `json:"version"`
	Records  *int   `json:"records"`
}

type snapshotRecord struct {
	Kind string `json:"kind"`
	// trap and overflow
	Device string  `json:"device"`
	Trap   string  `json:"trap"`
	Count  *uint64 `json:"count"`
	Last   *int64  `json:"last_ns"`
	// derived (and Device)
	Family    string     `json:"family"`
	Type      string     `json:"type"`
	Labels    []string   `json:"labels"`
	KeyLabels *int       `json:"key_labels"`
	Values    []string   `json:"values"`
	Value     *jsonFloat `json:"value"`
	Updated   *int64     `json:"updated_ns"`
	// TTL is the series' own TTL (-1: --trap.series-ttl, 0: kept); absent
	// in files of earlier builds, which then take the family's.
	TTL *int64 `json:"ttl_ns"`
}

// decodedSnapshot is a snapshot checked and parsed, not yet applied.
type decodedSnapshot struct {
	traps    []decodedTrap
	overflow *decodedTrap
	derived  []decodedDerived
}

type decodedTrap struct {
	Key
	count uint64
	last  int64 // Unix nanoseconds
}

type decodedDerived struct {
	family    string
	typ       FamilyType
	labels    []string
	keyLabels int
	device    string
	values    []string
	value     float64
	updated   int64
	ttl       *int64
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
}

// decodeSnapshot checks and parses a snapshot. Every error wraps
// ErrCorruptSnapshot and says what is wrong, with a line number where
// there is one.
func decodeSnapshot(b []byte) (*decodedSnapshot, error) {
	if len(b) == 0 {
		return nil, corruptf("empty file")
	}
	first := bytes.IndexByte(b, '\n')
	if first < 0 {
		first = len(b)
	}
	var h snapshotHeader
	if err := json.Unmarshal(b[:first], &h); err != nil || h.Snapshot != snapshotMagic {
		return nil, corruptf("line 1 is not a snmptrap_exporter snapshot header")
	}
	if h.Version == nil || *h.Version != snapshotVersion {
		v := "none"
		if h.Version != nil {
			v = strconv.Itoa(*h.Version)
		}
		return nil, corruptf("format version %s, this build reads version %d", v, snapshotVersion)
	}
	if h.Records == nil || *h.Records < 0 {
		return nil, corruptf("line 1: no record count")
	}
	content, err := sealed.Open(b)
	if err != nil {
		return nil, corruptf("%v", err)
	}

	body := content[first+1:]
	if n := bytes.Count(body, []byte{'\n'}); n != *h.Records {
		return nil, corruptf("%d records, the header says %d", n, *h.Records)
	}
	d := &decodedSnapshot{}
	line := 1
	for len(body) > 0 {
		line++
		i := bytes.IndexByte(body, '\n')
		rec := body[:i]
		body = body[i+1:]
		var r snapshotRecord
		if err := json.Unmarshal(rec, &r); err != nil {
			return nil, corruptf("line %d: %v", line, err)
		}
		if err := d.add(&r); err != nil {
			return nil, corruptf("line %d: %v", line, err)
		}
	}
	return d, nil
}

func (d *decodedSnapshot) add(r *snapshotRecord) error {
	switch r.Kind {
	case "trap", "overflow":
		if r.Count == nil || r.Last == nil {
			return errors.New(r.Kind + " record without count or last_ns")
		}
		t := decodedTrap{Key: Key{Device: r.Device, Trap: r.Trap}, count: *r.Count, last: *r.Last}
		if r.Kind == "overflow" {
			if d.overflow != nil {
				return errors.New("a second overflow record")
			}
			t.Key = Key{}
			d.overflow = &t
			return nil
		}
		d.traps = append(d.traps, t)
	case "derived":
		if r.Family == "" || r.KeyLabels == nil || r.Value == nil || r.Updated == nil {
			return errors.New("derived record without family, key_labels, value or updated_ns")
		}
		var typ FamilyType
		switch r.Type {
		case "gauge":
			typ = Gauge
		case "counter":
			typ = Counter
		default:
			return fmt.Errorf("unknown type %q", r.Type)
		}
		if len(r.Values) != len(r.Labels) || *r.KeyLabels < 0 || *r.KeyLabels > len(r.Labels) {
			return fmt.Errorf("%d values for %d labels (%d key labels)", len(r.Values), len(r.Labels), *r.KeyLabels)
		}
		d.derived = append(d.derived, decodedDerived{
			family: r.Family, typ: typ, labels: r.Labels, keyLabels: *r.KeyLabels,
			device: r.Device, values: r.Values, value: float64(*r.Value), updated: *r.Updated, ttl: r.TTL,
		})
	default:
		return fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return nil
}

// RestoreResult says what a restore brought back and what it left out.
type RestoreResult struct {
	Traps    int    // device × trap series restored
	Derived  int    // rule-derived series restored
	Overflow uint64 // traps restored into the overflow series
	Devices  int    // devices with series in the store afterwards
	// Count is the sum of the trap counts in the snapshot, the overflow
	// series included (as SnapshotInfo.Count of the file).
	Count uint64

	// RuleRemoved counts rule-derived series left out because their family
	// is not among the store's families or its type or labels changed
	// (also in snmptrap_series_dropped_total{reason="rule_removed"}).
	RuleRemoved int
	// Limit counts series left out by the global or per-device cap (also
	// in snmptrap_series_dropped_total, reason "limit" or "device_limit").
	// The counts of trap series left out go to the overflow series, so
	// totals stay exact.
	Limit int
}

// Restore adds the series of a snapshot to the store. It is meant for the
// empty store at start, after SetFamilies; a series already in the store
// is merged (counts added, the later time kept; a gauge takes the later
// value). Derived series whose family is gone or changed are left out, and
// series beyond the store's limits too: derived series are admitted first
// (an open alarm matters more than a count), then trap series most recently
// seen first. A snapshot that fails its checks changes nothing and the
// error wraps ErrCorruptSnapshot.
func (s *Store) Restore(b []byte) (RestoreResult, error) {
	d, err := decodeSnapshot(b)
	if err != nil {
		return RestoreResult{}, err
	}
	return s.apply(d), nil
}

// LoadSnapshot reads path and restores it (see Restore). A missing file is
// an error that wraps fs.ErrNotExist, which the caller takes for a first
// start. Only a regular file of at most MaxSnapshotSize is read: anything
// else at path (a FIFO, a device, a symbolic link, a larger file) is an
// error that wraps atomicfile.ErrNotRegular or atomicfile.ErrTooLarge,
// returned without blocking and without reading it.
func (s *Store) LoadSnapshot(path string) (RestoreResult, error) {
	b, err := atomicfile.ReadRegular(path, MaxSnapshotSize)
	if err != nil {
		return RestoreResult{}, err
	}
	res, err := s.Restore(b)
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

func (s *Store) apply(d *decodedSnapshot) RestoreResult {
	var res RestoreResult
	s.mu.Lock()
	defer s.mu.Unlock()

	for i := range d.derived {
		r := &d.derived[i]
		f := s.families[r.family]
		if f == nil || f.Type != r.typ || f.KeyLabels != r.keyLabels || !slices.Equal(f.Labels, r.labels) {
			res.RuleRemoved++
			continue
		}
		k := dkey{family: f.Name, device: r.device, key: joinKey(r.values[:f.KeyLabels])}
		ttl := int64(f.TTL)
		if r.ttl != nil {
			ttl = *r.ttl
		}
		if ds := s.derived[k]; ds != nil {
			if f.Type == Counter {
				ds.apply(OpAdd, r.value, max(ds.updated.Load(), r.updated))
			} else if r.updated > ds.updated.Load() {
				ds.values = slices.Clone(r.values)
				ds.apply(OpSet, r.value, r.updated)
			}
			res.Derived++
			continue
		}
		size := len(r.device) + valuesSize(r.values)
		if !s.admitCaps(r.device, size) {
			res.Limit++
			continue
		}
		ds := &dseries{family: f, device: r.device, values: slices.Clone(r.values)}
		ds.apply(OpSet, r.value, r.updated)
		ds.ttl.Store(ttl)
		s.derived[k] = ds
		s.added(r.device, size)
		res.Derived++
	}
	s.droppedRemoved.Add(uint64(res.RuleRemoved))

	traps := d.traps
	if s.limit > 0 || s.limits.PerDevice > 0 {
		// Some may not fit: the most recently seen go first.
		slices.SortStableFunc(traps, func(a, b decodedTrap) int { return cmp.Compare(b.last, a.last) })
	}
	var overflow uint64
	var overflowLast int64
	if d.overflow != nil {
		overflow, overflowLast = d.overflow.count, d.overflow.last
	}
	res.Count = overflow
	for _, t := range traps {
		res.Count += t.count
		last := t.last
		if sr := s.series[t.Key]; sr != nil {
			sr.count.Add(t.count)
			sr.seen(last)
			res.Traps++
			continue
		}
		if !s.admitCaps(t.Device, t.size()) {
			res.Limit++
			overflow += t.count
			overflowLast = max(overflowLast, last)
			continue
		}
		sr := &series{}
		sr.count.Store(t.count)
		sr.last.Store(last)
		s.series[t.Key] = sr
		s.added(t.Device, t.size())
		s.gen.Add(1)
		res.Traps++
	}
	if overflow > 0 {
		s.overflow.count.Add(overflow)
		s.overflow.seen(overflowLast)
	}
	res.Overflow = overflow
	res.Devices = len(s.perDevice)
	return res
}
