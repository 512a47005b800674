package pipeline

import (
	"net/netip"
	"sync"
)

// interner returns one shared string per key, so that the label strings
// of the receive path (device addresses, numeric trap OIDs) are allocated
// once per distinct value, not once per trap. It is bounded: when full it
// starts afresh, which only costs the allocations it saves.
type interner[K comparable] struct {
	mu  sync.RWMutex
	max int
	m   map[K]string
}

func newInterner[K comparable](max int) *interner[K] {
	return &interner[K]{max: max, m: make(map[K]string)}
}

func (in *interner[K]) lookup(k K) (string, bool) {
	in.mu.RLock()
	s, ok := in.m[k]
	in.mu.RUnlock()
	return s, ok
}

func (in *interner[K]) store(k K, s string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.m) >= in.max {
		clear(in.m)
	}
	in.m[k] = s
	return s
}

// deviceLabel returns the `device` label of a source address.
func (pr *Processor) deviceLabel(a netip.Addr) string {
	if s, ok := pr.devices.lookup(a); ok {
		return s
	}
	return pr.devices.store(a, a.String())
}

// oidLabel returns a numeric trap OID as a shared string. The lookup with
// string(oid) as the key does not allocate.
func (pr *Processor) oidLabel(oid []byte) string {
	pr.oids.mu.RLock()
	s, ok := pr.oids.m[string(oid)]
	pr.oids.mu.RUnlock()
	if ok {
		return s
	}
	s = string(oid)
	return pr.oids.store(s, s)
}
