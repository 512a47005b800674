package pipeline

import (
	"math"
	"net/netip"
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

type localKeys struct {
	auth     []byte
	privOnce sync.Once
	priv     []byte
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
		lk.auth = usm.LocalizeKey(u.auth, u.authKu, engineID)
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

func (lk *localKeys) privKey(u *v3User, engineID []byte) []byte {
	lk.privOnce.Do(func() {
		lk.priv = usm.LocalizePrivKey(u.auth, u.priv, u.privKu, engineID)
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
	seen        map[string]struct{}
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
	mac         string
	boots, time int32
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
	if st != nil {
		if !relaxed && (boots < st.boots || (boots == st.boots && etime < st.time-timeWindow)) {
			return timeOutside
		}
		if st.belowFloor(boots, etime) {
			return timeOutside
		}
		if _, dup := st.seen[string(mac)]; dup {
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
	t.remember(st, mac, boots, etime)
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
	if _, dup := st.seen[string(mac)]; dup {
		return timeReplayed
	}
	t.remember(st, mac, boots, etime)
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
	st := &engineTime{seen: make(map[string]struct{}), seenAt: now}
	t.engines[id] = st
	return st
}

// remember records a message and forgets those the window has passed. If
// the per-engine bound forces it to forget a message still inside the
// window, it raises the engine's floor so that message cannot come back.
func (t *timeliness) remember(st *engineTime, mac []byte, boots, etime int32) {
	for st.head < len(st.queue) {
		e := st.queue[st.head]
		inWindow := e.boots == st.boots && e.time >= st.time-timeWindow
		if inWindow && len(st.queue)-st.head < t.perEngine {
			break
		}
		if inWindow && (!st.floorSet || e.boots > st.floorBoots || (e.boots == st.floorBoots && e.time > st.floorTime)) {
			st.floorSet, st.floorBoots, st.floorTime = true, e.boots, e.time
		}
		delete(st.seen, e.mac)
		st.head++
	}
	if st.head > 0 && st.head*2 >= len(st.queue) {
		st.queue = st.queue[:copy(st.queue, st.queue[st.head:])]
		st.head = 0
	}
	k := string(mac)
	st.seen[k] = struct{}{}
	st.queue = append(st.queue, seenMsg{mac: k, boots: boots, time: etime})
}

// replyLimiter bounds replies (Reports and acks) per source address: they
// are sent to an address nobody authenticated, so they could be aimed at a
// victim. A token bucket per source; the table is bounded and forgets
// sources whose bucket has refilled.
type replyLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	max     int
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newReplyLimiter(rate, burst float64, max int) *replyLimiter {
	return &replyLimiter{rate: rate, burst: burst, max: max, buckets: make(map[netip.Addr]*bucket)}
}

func (l *replyLimiter) allow(src netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[src]
	if b == nil {
		if len(l.buckets) >= l.max {
			// Forget full buckets first: they behave as new ones would.
			for a, old := range l.buckets {
				if old.tokens+now.Sub(old.at).Seconds()*l.rate >= l.burst {
					delete(l.buckets, a)
				}
			}
			for a := range l.buckets {
				if len(l.buckets) < l.max {
					break
				}
				delete(l.buckets, a)
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[src] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
