package pipeline

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
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
// rule that compares engineTime with a clock can work.) For an engine not
// heard from for ttl the window is relaxed, so that a sender that rebooted
// without raising engineBoots is accepted again.
//
// For informs this exporter is authoritative: engineBoots must equal its
// own and engineTime be within 150 seconds of its own (step 7a).
//
// Beyond RFC 3414, an authenticated message whose bytes were already seen
// (same engine, same MAC: the MAC is an HMAC of the whole message) is
// refused. The fingerprints of accepted messages are kept after the window
// has passed them, because the relaxed window would otherwise let them in
// again: up to perEngine per engine and maxTotal in all, oldest forgotten
// first. Forgetting a message raises its engine's floor to that message's
// engineBoots and engineTime, and nothing at or below the floor passes, so
// a forgotten message can never come back; the price is that a sender that
// reboots without raising engineBoots is refused until its engineTime
// passes the floor. Only authenticated messages are remembered, so only
// holders of a user's keys fill the memory. At most maxEngines engines are
// kept; a new one beyond that makes the exporter forget the least recently
// heard of a sample of engines, floor and all (counted in
// enginesForgotten).
type timeliness struct {
	mu         sync.Mutex
	engines    map[string]*engineTime
	maxEngines int
	perEngine  int
	maxTotal   int
	total      int // fingerprints remembered, all engines
	ttl        time.Duration
	fp         fingerprinter

	// changes counts changes of the state, for snapshots;
	// enginesForgotten engines dropped for maxEngines.
	changes          uint64
	enginesForgotten uint64
}

type engineTime struct {
	boots, time int32
	seenAt      time.Time
	seen        macSet
	queue       []seenMsg // oldest first, from head
	head        int
	// floor is the latest (boots, time) of a message forgotten: nothing at
	// or below it is accepted, since it could be that message again.
	floorSet              bool
	floorBoots, floorTime int32
}

func (st *engineTime) belowFloor(boots, etime int32) bool {
	return st.floorSet && (boots < st.floorBoots || (boots == st.floorBoots && etime <= st.floorTime))
}

func (st *engineTime) remembered() int { return len(st.queue) - st.head }

type seenMsg struct {
	mac         uint64 // the MAC's fingerprint
	boots, time int32
}

// fingerprinter maps a MAC to a 64-bit fingerprint with AES-128 under a
// random key, a keyed pseudo-random function: no sender, even one with a
// user's keys, can aim two messages at one fingerprint or crowd the
// fingerprints into one part of a macSet's table. Two distinct remembered
// messages share a fingerprint with odds of about n²/2⁶⁵ (10⁻¹³ for 1,500
// messages), and then the later is refused as a replay; that is all a
// collision can do. The key is kept with the replay memory's snapshot, so
// fingerprints stay valid across restarts (maphash, used before, has no
// seed that can be saved).
type fingerprinter struct {
	key   [16]byte
	block cipher.Block
}

func newFingerprinter(key [16]byte) fingerprinter {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 16-byte key always makes a cipher
	}
	return fingerprinter{key: key, block: b}
}

func randomFingerprinter() fingerprinter {
	var key [16]byte
	rand.Read(key[:])
	return newFingerprinter(key)
}

// fingerprint returns mac's fingerprint, never 0. A MAC longer than a
// block is folded into it by XOR; only an encryption of 0 is moved (to 1),
// so the fingerprint keeps all 64 bits the odds above need.
func (f *fingerprinter) fingerprint(mac []byte) uint64 {
	var in, out [16]byte
	for i, c := range mac {
		in[i%16] ^= c
	}
	f.block.Encrypt(out[:], in[:])
	if fp := binary.LittleEndian.Uint64(out[:8]); fp != 0 {
		return fp
	}
	return 1
}

// macSet is a set of 64-bit fingerprints (never 0).
//
// The table is open addressing with linear probing, at most half full,
// with deletion by backward shift, so it leaves no tombstones, and it
// allocates nothing per message. It replaced a Go map keyed by the MAC as
// a string (an allocation per message) and, measured in
// BenchmarkHandleV3AuthPrivTrap's CPU profile (1,500 remembered messages,
// one remembered and one forgotten per message), took timeliness from
// 23% of Handle to 7%.
type macSet struct {
	slots []uint64 // fingerprints; 0 is an empty slot. len is a power of two, or 0
	n     int
}

const minMACSetSlots = 16

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

func newTimeliness(maxEngines, perEngine, maxTotal int, ttl time.Duration) *timeliness {
	return &timeliness{engines: make(map[string]*engineTime), maxEngines: maxEngines, perEngine: perEngine,
		maxTotal: maxTotal, ttl: ttl, fp: randomFingerprinter()}
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
// message it sent before is still refused, as a replay while its
// fingerprint is remembered and by the floor once it is forgotten.
func (t *timeliness) checkSender(engineID []byte, boots, etime int32, mac []byte, now time.Time) timeVerdict {
	if boots == math.MaxInt32 {
		return timeOutside
	}
	fp := t.fp.fingerprint(mac)
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.engines[string(engineID)]
	relaxed := st != nil && now.Sub(st.seenAt) > t.ttl
	if st != nil {
		if !relaxed && (boots < st.boots || (boots == st.boots && etime < st.time-timeWindow)) {
			return timeOutside
		}
		if st.belowFloor(boots, etime) {
			return timeOutside
		}
		if st.seen.has(fp) {
			return timeReplayed
		}
	} else {
		st = t.add(string(engineID), now)
		st.boots, st.time = boots, etime
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
	fp := t.fp.fingerprint(mac)
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
	if st.seen.has(fp) {
		return timeReplayed
	}
	t.remember(st, fp, boots, etime)
	return timeOK
}

// engineSample is how many engines a bound looks at to choose which to
// forget from: the least recently heard, or the one remembering most, of
// a sample in Go's random map order, as Redis approximates LRU, instead of
// a list kept in order on every message.
const engineSample = 8

// add makes the state of a new engine. At maxEngines, the least recently
// heard engine of a sample is forgotten first.
func (t *timeliness) add(id string, now time.Time) *engineTime {
	if len(t.engines) >= t.maxEngines {
		var oldID string
		var old *engineTime
		n := 0
		for k, st := range t.engines {
			if old == nil || st.seenAt.Before(old.seenAt) {
				oldID, old = k, st
			}
			if n++; n == engineSample {
				break
			}
		}
		delete(t.engines, oldID)
		t.total -= old.remembered()
		t.enginesForgotten++
	}
	st := &engineTime{seenAt: now}
	t.engines[id] = st
	return st
}

// remember records a message by its MAC's fingerprint. Beyond the bounds
// it forgets the oldest message of the engine (perEngine), or of the
// engine of a sample remembering most (maxTotal), raising that engine's
// floor so the message cannot come back.
func (t *timeliness) remember(st *engineTime, fp uint64, boots, etime int32) {
	t.changes++
	st.seen.add(fp)
	st.queue = append(st.queue, seenMsg{mac: fp, boots: boots, time: etime})
	t.total++
	for st.remembered() > t.perEngine {
		t.forgetOldest(st)
	}
	for t.total > t.maxTotal {
		victim, n := st, 0
		for _, o := range t.engines {
			if o.remembered() > victim.remembered() {
				victim = o
			}
			if n++; n == engineSample {
				break
			}
		}
		t.forgetOldest(victim)
	}
}

// forgetOldest forgets an engine's oldest remembered message and raises
// its floor to it.
func (t *timeliness) forgetOldest(st *engineTime) {
	e := st.queue[st.head]
	st.head++
	st.seen.delete(e.mac)
	t.total--
	if !st.floorSet || e.boots > st.floorBoots || (e.boots == st.floorBoots && e.time > st.floorTime) {
		st.floorSet, st.floorBoots, st.floorTime = true, e.boots, e.time
	}
	if st.head*2 >= len(st.queue) {
		st.queue = st.queue[:copy(st.queue, st.queue[st.head:])]
		st.head = 0
	}
}
