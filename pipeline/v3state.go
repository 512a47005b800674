package pipeline

import (
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// timeWindow is RFC 3414's 150-second window of timeliness.
const timeWindow = 150

// keyCache holds keys localized per (user, engine ID). Engine IDs arrive
// unauthenticated, so the cache is bounded; when full, an arbitrary entry
// goes (Go's map order), which an attacker cannot steer toward good entries.
// The privacy key is derived only once a message of that user and engine
// has authenticated: for the Reeder extension it costs a password-to-key
// hash, which unauthenticated traffic must not be able to trigger.
type keyCache struct {
	mu  sync.Mutex
	max int
	m   map[keyCacheKey]*localKeys
}

type keyCacheKey struct {
	user   *v3User // a reload makes new users, so stale keys are never used
	engine string
}

// localKeys are a user's keys for one engine, ready for use: the HMAC
// keyed and the cipher's key schedule computed, so that a message costs
// neither (hmac.New and aes.NewCipher were 30% of Handle's CPU profile in
// BenchmarkHandleV3AuthPrivTrap before they were kept, and 7 of its 10
// allocations).
type localKeys struct {
	auth     *usm.AuthKey // nil for a user without authentication
	privOnce sync.Once
	priv     *usm.PrivKey // nil until privKey, and if it cannot be made
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, m: make(map[keyCacheKey]*localKeys)}
}

// get returns the cached keys of (u, engine), or keys computed for this
// message alone: they are cached by put only once a message has verified
// with them, so unauthenticated traffic naming random engines cannot push
// good entries out.
func (c *keyCache) get(u *v3User, engineID []byte) (lk *localKeys, cached bool) {
	c.mu.Lock()
	lk = c.m[keyCacheKey{user: u, engine: string(engineID)}]
	c.mu.Unlock()
	if lk != nil {
		return lk, true
	}
	lk = &localKeys{}
	if u.auth != usm.AuthNone {
		lk.auth = usm.NewAuthKey(u.auth, usm.LocalizeKey(u.auth, u.authKu, engineID))
	}
	return lk, false
}

// put caches keys that a message has just verified with.
func (c *keyCache) put(u *v3User, engineID []byte, lk *localKeys) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := keyCacheKey{user: u, engine: string(engineID)}
	if _, ok := c.m[k]; ok {
		return
	}
	for old := range c.m {
		if len(c.m) < c.max {
			break
		}
		delete(c.m, old)
	}
	c.m[k] = lk
}

// privKey returns the user's privacy key for the engine, derived on first
// use (after a message verified), or nil if it cannot be made.
func (lk *localKeys) privKey(u *v3User, engineID []byte) *usm.PrivKey {
	lk.privOnce.Do(func() {
		k, err := usm.NewPrivKey(u.priv, usm.LocalizePrivKey(u.auth, u.priv, u.privKu, engineID))
		if err == nil {
			lk.priv = k
		}
	})
	return lk.priv
}

// timeliness checks SNMPv3 messages against RFC 3414's 150-second window
// and refuses replays.
//
// For traps the sender is authoritative and this exporter only knows what
// the sender told it. It follows RFC 3414 §3.2 step 7b: it remembers the
// latest engineBoots and engineTime seen per sender engine and refuses a
// lower engineBoots, or the same engineBoots with an engineTime more than
// 150 below the latest. (net-snmp's snmptrap keeps engineBoots at 1 and
// sends its host's uptime in hundredths of a second as engineTime, so no
// rule that compares engineTime with a clock can work.) An engine not heard
// from for stateTTL is forgotten, so a sender that rebooted without raising
// engineBoots is accepted again.
//
// For informs this exporter is authoritative: engineBoots must equal its
// own and engineTime be within 150 seconds of its own (step 7a).
//
// Beyond RFC 3414, an authenticated message whose bytes were already seen
// (same engine, same MAC: the MAC is an HMAC of the whole message) is
// refused while it is inside its engine's window. A remembered message is
// dropped once the engine's latest time has moved 150 past it; only
// authenticated messages are remembered, so only real senders fill it.
type timeliness struct {
	mu        sync.Mutex
	engines   map[string]*engineTime
	max       int
	perEngine int
	ttl       time.Duration
}

type engineTime struct {
	boots, time int32
	seenAt      time.Time
	seen        macSet
	queue       []seenMsg
	head        int
	// floor is the latest (boots, time) of a message forgotten while still
	// inside the window (the per-engine bound was reached): nothing at or
	// below it is accepted, since it could be that message again.
	floorSet              bool
	floorBoots, floorTime int32
}

func (st *engineTime) belowFloor(boots, etime int32) bool {
	return st.floorSet && (boots < st.floorBoots || (boots == st.floorBoots && etime <= st.floorTime))
}

type seenMsg struct {
	mac         uint64 // the MAC's fingerprint in the engine's macSet
	boots, time int32
}

// macSet is the set of the MACs of an engine's remembered messages, each
// held as a 64-bit fingerprint: a hash of the whole MAC seeded at random
// per engine, so no sender, even one with the key, can aim two messages at
// one fingerprint. Two distinct remembered messages of one engine share a
// fingerprint with odds of about n²/2⁶⁵ (10⁻¹³ for 1,500 messages), and
// then the later is refused as a replay; that is all a collision can do.
//
// The table is open addressing with linear probing, at most half full,
// with deletion by backward shift, so it leaves no tombstones, and it
// allocates nothing per message. It replaced a Go map keyed by the MAC as
// a string (an allocation per message) and, measured in
// BenchmarkHandleV3AuthPrivTrap's CPU profile (1,500 remembered messages,
// one remembered and one forgotten per message), took timeliness from
// 23% of Handle to 7%.
type macSet struct {
	seed  maphash.Seed
	slots []uint64 // fingerprints; 0 is an empty slot. len is a power of two, or 0
	n     int
}

const minMACSetSlots = 16

func newMACSet() macSet { return macSet{seed: maphash.MakeSeed()} }

// fingerprint returns mac's fingerprint, never 0. Only a hash of 0 is
// moved (to 1), so the fingerprint keeps all 64 bits the odds above need.
func (s *macSet) fingerprint(mac []byte) uint64 {
	if fp := maphash.Bytes(s.seed, mac); fp != 0 {
		return fp
	}
	return 1
}

func (s *macSet) has(fp uint64) bool {
	if s.n == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := fp & mask; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i] == fp {
			return true
		}
	}
	return false
}

func (s *macSet) add(fp uint64) {
	if 2*(s.n+1) > len(s.slots) {
		s.resize(max(minMACSetSlots, 2*len(s.slots)))
	}
	mask := uint64(len(s.slots) - 1)
	i := fp & mask
	for ; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i] == fp {
			return
		}
	}
	s.slots[i] = fp
	s.n++
}

func (s *macSet) delete(fp uint64) {
	if s.n == 0 {
		return
	}
	mask := uint64(len(s.slots) - 1)
	i := fp & mask
	for s.slots[i] != 0 && s.slots[i] != fp {
		i = (i + 1) & mask
	}
	if s.slots[i] == 0 {
		return
	}
	// Empty slot i, then move back into it any later entry of the run
	// whose home slot is not between i and itself (Knuth's Algorithm R).
	s.slots[i] = 0
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		h := s.slots[j] & mask
		if (i <= j && i < h && h <= j) || (i > j && (i < h || h <= j)) {
			continue // its home is after the hole: it stays
		}
		s.slots[i], s.slots[j] = s.slots[j], 0
		i = j
	}
	s.n--
	if len(s.slots) > minMACSetSlots && 8*s.n < len(s.slots) {
		s.resize(len(s.slots) / 2)
	}
}

func (s *macSet) resize(n int) {
	old := s.slots
	s.slots = make([]uint64, n)
	s.n = 0
	for _, fp := range old {
		if fp != 0 {
			s.add(fp)
		}
	}
}

func newTimeliness(maxEngines, perEngine int, ttl time.Duration) *timeliness {
	return &timeliness{engines: make(map[string]*engineTime), max: maxEngines, perEngine: perEngine, ttl: ttl}
}

type timeVerdict int

const (
	timeOK timeVerdict = iota
	timeOutside
	timeReplayed
)

// checkSender applies the non-authoritative rule for a message from the
// engine engineID and remembers it when it passes.
//
// An engine quiet for longer than the TTL has its window relaxed, not its
// memory cleared: its next message may have a lower engineBoots or
// engineTime (a sender that rebooted without raising engineBoots), but a
// message it sent before is still refused as a replay.
func (t *timeliness) checkSender(engineID []byte, boots, etime int32, mac []byte, now time.Time) timeVerdict {
	if boots == math.MaxInt32 {
		return timeOutside
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.engines[string(engineID)]
	relaxed := st != nil && now.Sub(st.seenAt) > t.ttl
	var fp uint64
	if st != nil {
		if !relaxed && (boots < st.boots || (boots == st.boots && etime < st.time-timeWindow)) {
			return timeOutside
		}
		if st.belowFloor(boots, etime) {
			return timeOutside
		}
		fp = st.seen.fingerprint(mac)
		if st.seen.has(fp) {
			return timeReplayed
		}
	} else {
		st = t.add(string(engineID), now)
		st.boots, st.time = boots, etime
		fp = st.seen.fingerprint(mac)
	}
	if relaxed || boots > st.boots || (boots == st.boots && etime > st.time) {
		st.boots, st.time = boots, etime
	}
	st.seenAt = now
	t.remember(st, fp, boots, etime)
	return timeOK
}

// checkLocal applies the authoritative rule against this exporter's own
// engineBoots and engineTime.
func (t *timeliness) checkLocal(localID []byte, localBoots, localTime, boots, etime int32, mac []byte, now time.Time) timeVerdict {
	if boots != localBoots || localBoots == math.MaxInt32 || etime < localTime-timeWindow || etime > localTime+timeWindow {
		return timeOutside
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.engines[string(localID)]
	if st == nil {
		st = t.add(string(localID), now)
	}
	st.boots, st.time, st.seenAt = localBoots, localTime, now
	if st.belowFloor(boots, etime) {
		return timeOutside
	}
	fp := st.seen.fingerprint(mac)
	if st.seen.has(fp) {
		return timeReplayed
	}
	t.remember(st, fp, boots, etime)
	return timeOK
}

func (t *timeliness) add(id string, now time.Time) *engineTime {
	if len(t.engines) >= t.max {
		for old, st := range t.engines {
			if now.Sub(st.seenAt) > t.ttl {
				delete(t.engines, old)
			}
		}
		for old := range t.engines {
			if len(t.engines) < t.max {
				break
			}
			delete(t.engines, old)
		}
	}
	st := &engineTime{seen: newMACSet(), seenAt: now}
	t.engines[id] = st
	return st
}

// remember records a message by its MAC's fingerprint and forgets those the window has passed. If
// the per-engine bound forces it to forget a message still inside the
// window, it raises the engine's floor so that message cannot come back.
func (t *timeliness) remember(st *engineTime, fp uint64, boots, etime int32) {
	for st.head < len(st.queue) {
		e := st.queue[st.head]
		inWindow := e.boots == st.boots && e.time >= st.time-timeWindow
		if inWindow && len(st.queue)-st.head < t.perEngine {
			break
		}
		if inWindow && (!st.floorSet || e.boots > st.floorBoots || (e.boots == st.floorBoots && e.time > st.floorTime)) {
			st.floorSet, st.floorBoots, st.floorTime = true, e.boots, e.time
		}
		st.seen.delete(e.mac)
		st.head++
	}
	if st.head > 0 && st.head*2 >= len(st.queue) {
		st.queue = st.queue[:copy(st.queue, st.queue[st.head:])]
		st.head = 0
	}
	st.seen.add(fp)
	st.queue = append(st.queue, seenMsg{mac: fp, boots: boots, time: etime})
}
