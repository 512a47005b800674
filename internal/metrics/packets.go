package metrics

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Result is the outcome of one received datagram or TCP message: the value
// of the `result` label of snmptrap_packets_total.
type Result int

// The results. Adding one means adding its name to resultNames.
const (
	ResultAccepted Result = iota
	ResultDuplicate
	ResultMalformed
	ResultNotSNMP
	ResultUnsupported
	ResultCommunityRejected
	ResultSourceRejected
	ResultUnknownUser
	ResultUnknownEngineID
	ResultAuthFailed
	ResultDecryptFailed
	ResultNotInTimeWindow
	ResultReplayed
	ResultLevelTooLow
	ResultDiscovery
	NumResults
)

var resultNames = [NumResults]string{
	ResultAccepted:          "accepted",
	ResultDuplicate:         "duplicate",
	ResultMalformed:         "malformed",
	ResultNotSNMP:           "not_snmp",
	ResultUnsupported:       "unsupported",
	ResultCommunityRejected: "community_rejected",
	ResultSourceRejected:    "source_rejected",
	ResultUnknownUser:       "unknown_user",
	ResultUnknownEngineID:   "unknown_engine_id",
	ResultAuthFailed:        "auth_failed",
	ResultDecryptFailed:     "decrypt_failed",
	ResultNotInTimeWindow:   "not_in_time_window",
	ResultReplayed:          "replayed",
	ResultLevelTooLow:       "level_too_low",
	ResultDiscovery:         "discovery",
}

func (r Result) String() string {
	if r < 0 || r >= NumResults {
		return "unknown"
	}
	return resultNames[r]
}

// Version is the value of the `version` label: the index into versionNames.
type Version int

// The versions.
const (
	VersionUnknown Version = iota
	VersionV1
	VersionV2c
	VersionV3
	NumVersions
)

var versionNames = [NumVersions]string{
	VersionUnknown: "unknown",
	VersionV1:      "v1",
	VersionV2c:     "v2c",
	VersionV3:      "v3",
}

func (v Version) String() string {
	if v < 0 || v >= NumVersions {
		return "unknown"
	}
	return versionNames[v]
}

// Always reports whether the pair of version and result is exported from
// the start (as 0), so that rate() and increase() see the first event of
// each; other pairs appear once they happen.
func Always(v Version, r Result) bool {
	for _, p := range always {
		if p.v == v && p.r == r {
			return true
		}
	}
	return false
}

var always = []struct {
	v Version
	r Result
}{
	{VersionV1, ResultAccepted},
	{VersionV2c, ResultAccepted},
	{VersionV1, ResultMalformed},
	{VersionV2c, ResultMalformed},
	{VersionUnknown, ResultMalformed},
	{VersionUnknown, ResultNotSNMP},
	{VersionV3, ResultAccepted},
	{VersionV3, ResultUnknownUser},
	{VersionV3, ResultAuthFailed},
}

// ListenerCounters counts packets by version and result for one listener.
// The counters are a fixed array, so counting is one atomic add.
type ListenerCounters struct {
	listener string
	packets  [NumVersions][NumResults]atomic.Uint64
}

// Name returns the listener's name (the listener label).
func (c *ListenerCounters) Name() string { return c.listener }

// Inc counts one packet.
func (c *ListenerCounters) Inc(v Version, r Result) {
	if v < 0 || v >= NumVersions {
		v = VersionUnknown
	}
	c.packets[v][r].Add(1)
}

// Get returns the count for one version × result.
func (c *ListenerCounters) Get(v Version, r Result) uint64 {
	return c.packets[v][r].Load()
}

// Packets holds the packet counters of every listener.
type Packets struct {
	untranslated atomic.Uint64
	// withoutAgent counts, per relay, the traps that named no agent.
	withoutAgent *RelayCounters

	// byName is read without a lock on every message, and copied whole
	// when a listener is added: listeners are few and made at start.
	byName    atomic.Pointer[map[string]*ListenerCounters]
	mu        sync.Mutex // adding a listener
	listeners []*ListenerCounters
}

// NewPackets returns an empty set of packet counters.
func NewPackets() *Packets {
	p := &Packets{withoutAgent: newRelayCounters()}
	p.byName.Store(&map[string]*ListenerCounters{})
	return p
}

// Listener returns the counters of the named listener, creating them on
// first use. A lookup takes no lock and allocates nothing, so the receive
// path calls it per message.
func (p *Packets) Listener(name string) *ListenerCounters {
	if c, ok := (*p.byName.Load())[name]; ok {
		return c
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.byName.Load()
	if c, ok := old[name]; ok {
		return c
	}
	c := &ListenerCounters{listener: name}
	next := make(map[string]*ListenerCounters, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = c
	p.listeners = append(p.listeners, c)
	p.byName.Store(&next)
	return c
}

// All returns the counters of every listener, in the order they were made.
func (p *Packets) All() []*ListenerCounters {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*ListenerCounters(nil), p.listeners...)
}

// Untranslated counts an admitted trap whose OID no MIB names (it is
// counted under its numeric OID, never dropped).
func (p *Packets) Untranslated() { p.untranslated.Add(1) }

// UntranslatedCount returns the number of untranslated traps.
func (p *Packets) UntranslatedCount() uint64 { return p.untranslated.Load() }

// RelayWithoutAgent counts a trap from relay that named no original agent
// (no snmpTrapAddress.0 and no SNMPv1 agent-addr), so that its device is
// the relay itself, and says whether that relay is new to the count.
func (p *Packets) RelayWithoutAgent(relay netip.Addr) RelayNews {
	return p.withoutAgent.Inc(relay)
}

// RelaysWithoutAgent returns the counts of RelayWithoutAgent by relay.
func (p *Packets) RelaysWithoutAgent() []RelayCount { return p.withoutAgent.All() }
