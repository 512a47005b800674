package pipeline

import (
	"sync"
	"sync/atomic"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// interner returns one shared value per key, so that the label strings of
// the receive path (device addresses, trap labels) are made once per
// distinct key, not once per trap. It is bounded: when full it starts
// afresh, which only costs the work it saves.
//
// Reads take no lock: they look up an immutable map published through an
// atomic pointer. New keys go to a mutex-guarded overflow map, which is
// merged into a fresh published map once it has been missed as often as the
// published map is large, so the copying costs O(1) per new key amortized
// (the scheme of sync.Map before Go 1.24). Measured on the per-trap path:
// an RWMutex-guarded map spent two contended atomic adds per lookup, and
// sync.Map (a hash trie hashing interface keys) was slower still (18 % of
// the profile against 9 %).
type interner[K comparable, V any] struct {
	read atomic.Pointer[map[K]V]

	mu     sync.Mutex
	dirty  map[K]V // keys not in read yet
	misses int
	max    int
	// cost, if not nil, is the bytes an entry holds; maxCost bounds their
	// sum, used.
	cost    func(K, V) int
	maxCost int
	used    int
}

func newInterner[K comparable, V any](max int) *interner[K, V] {
	in := &interner[K, V]{max: max, dirty: make(map[K]V)}
	in.read.Store(&map[K]V{})
	return in
}

// newBytesInterner returns an interner bounded by the bytes its entries
// hold (cost) as well as by their number.
func newBytesInterner[K comparable, V any](max, maxCost int, cost func(K, V) int) *interner[K, V] {
	in := newInterner[K, V](max)
	in.cost, in.maxCost = cost, maxCost
	return in
}

// bytes returns what the entries hold, by cost.
func (in *interner[K, V]) bytes() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.used
}

// published returns the lock-free part of the map. Callers with []byte
// keys index it as m[string(b)], which does not allocate.
func (in *interner[K, V]) published() map[K]V { return *in.read.Load() }

func (in *interner[K, V]) lookup(k K) (V, bool) {
	if v, ok := in.published()[k]; ok {
		return v, true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	// Checked again under the lock: a merge may have moved k since.
	if v, ok := in.published()[k]; ok {
		return v, true
	}
	v, ok := in.dirty[k]
	if ok {
		in.missed()
	}
	return v, ok
}

// store keeps v for k and returns the value kept, which is an earlier one
// when another goroutine stored k first.
func (in *interner[K, V]) store(k K, v V) V {
	in.mu.Lock()
	defer in.mu.Unlock()
	read := in.published()
	if old, ok := read[k]; ok {
		return old
	}
	if old, ok := in.dirty[k]; ok {
		return old
	}
	c := 0
	if in.cost != nil {
		c = in.cost(k, v)
	}
	if len(read)+len(in.dirty) >= in.max || (in.cost != nil && in.used+c > in.maxCost) {
		in.read.Store(&map[K]V{})
		clear(in.dirty)
		in.misses = 0
		in.used = 0
	}
	in.used += c
	in.dirty[k] = v
	in.missed()
	return v
}

// missed counts a lookup that needed the lock, and publishes the overflow
// map once that has happened as often as the published map is large. Called
// with in.mu held.
func (in *interner[K, V]) missed() {
	in.misses++
	read := in.published()
	if in.misses < len(read) {
		return
	}
	next := make(map[K]V, len(read)+len(in.dirty))
	for k, v := range read {
		next[k] = v
	}
	for k, v := range in.dirty {
		next[k] = v
	}
	in.read.Store(&next)
	clear(in.dirty)
	in.misses = 0
}

// lookupBytes is lookup for a []byte key of a string-keyed interner,
// without the allocation of converting the key.
func lookupBytes[V any](in *interner[string, V], b []byte) (V, bool) {
	if v, ok := in.published()[string(b)]; ok {
		return v, true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.published()[string(b)]; ok {
		return v, true
	}
	v, ok := in.dirty[string(b)]
	if ok {
		in.missed()
	}
	return v, ok
}

// trapLabel is the `trap` label of a trap OID and whether a MIB named it.
type trapLabel struct {
	label string
	named bool
}

// translation is a name table with the labels already looked up in it,
// keyed on the OID's BER content octets: a hit costs one map lookup, where
// formatting the dotted OID and looking it up was 14 % of the per-trap
// profile. The two are swapped together so that a new table never serves
// labels of the old one.
type translation struct {
	names  Names // nil: numeric labels only
	labels *interner[string, trapLabel]
}

func newTranslation(n Names) *translation {
	return &translation{names: n, labels: newBytesInterner(maxInterned, maxInternedBytes,
		func(oid string, l trapLabel) int { return len(oid) + len(l.label) })}
}

// labelBER returns the trap label of the OID with BER content octets
// oid. text is scratch space for the dotted form; it is returned, possibly
// grown.
func (tr *translation) labelBER(oid, text []byte) (trapLabel, []byte, error) {
	if l, ok := lookupBytes(tr.labels, oid); ok {
		return l, text, nil
	}
	text, err := snmp.AppendOID(text[:0], oid)
	if err != nil {
		return trapLabel{}, text, err
	}
	return tr.labels.store(string(oid), tr.label(text)), text, nil
}

// label returns the `trap` label for a dotted OID: its name when the table
// knows it, else the numeric OID, which is never dropped.
func (tr *translation) label(dotted []byte) trapLabel {
	if tr.names != nil {
		if name, ok := tr.names.NotificationName(dotted); ok {
			return trapLabel{label: name, named: true}
		}
	}
	return trapLabel{label: string(dotted)}
}
