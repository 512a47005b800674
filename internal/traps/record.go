// Package traps keeps what the traps said: a ring of the latest admitted
// traps (their bytes, rendered only when read), a ring of refused
// messages, and storms of identical traps collapsed into one record and a
// summary. Every output (the /traps page, the JSON API, the trap log, OTLP)
// reads the same Record.
package traps

import (
	"time"
)

// Record is one trap as every output shows it. The JSON field names are
// the contract the README documents; never a community or other secret.
type Record struct {
	// Seq numbers the records in the order they were kept, from 1.
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Listener string    `json:"listener"`
	// Source is the address and port the message came from.
	Source string `json:"source"`
	// Device is the device label the counters use.
	Device  string `json:"device"`
	Version string `json:"version"`
	// User, ContextEngineID (hex) and ContextName are SNMPv3's.
	User            string `json:"user,omitempty"`
	ContextEngineID string `json:"context_engine_id,omitempty"`
	ContextName     string `json:"context_name,omitempty"`
	// Trap is the trap label (MIB name or numeric OID), TrapOID the
	// numeric OID (for SNMPv1, its RFC 3584 form).
	Trap    string  `json:"trap"`
	TrapOID string  `json:"trap_oid"`
	Uptime  *Uptime `json:"uptime,omitempty"`
	// RequestID and Inform are an inform's.
	RequestID *int32 `json:"request_id,omitempty"`
	Inform    bool   `json:"inform,omitempty"`
	// Relay is the trusted relay's address when a relay named the device.
	Relay    string    `json:"relay,omitempty"`
	Varbinds []Varbind `json:"varbinds"`
	// Changes are the rule-derived series the trap changed.
	Changes []Change `json:"changes,omitempty"`
	// Repeats, First and Last are a summary record's: how many more
	// identical traps came within the dedup window after the first one,
	// and when the first and the last came.
	Repeats int        `json:"repeats,omitempty"`
	First   *time.Time `json:"first,omitempty"`
	Last    *time.Time `json:"last,omitempty"`
}

// Uptime is the trap's sysUpTime.0 (SNMPv1: its time-stamp).
type Uptime struct {
	Ticks   uint32  `json:"ticks"`
	Seconds float64 `json:"seconds"`
}

// Varbind is one varbind, rendered.
type Varbind struct {
	OID  string `json:"oid"`
	Name string `json:"name"`
	Type string `json:"type"`
	// Value is rendered as the MIBs say: enumerations as down(2), text
	// quoted, display hints applied, TimeTicks as days and time; binary
	// octets in hex (and in Hex too).
	Value string `json:"value"`
	Hex   string `json:"hex,omitempty"`
	// Truncated marks a value longer than MaxValueBytes, of which only
	// the first MaxValueBytes were rendered.
	Truncated bool `json:"truncated,omitempty"`
}

// MaxValueBytes bounds the octets of one value that a record renders.
const MaxValueBytes = 1024

// Change is a rule-derived series a trap changed: its name with labels,
// the value before (absent for a new series) and after.
type Change struct {
	Series string   `json:"series"`
	From   *float64 `json:"from,omitempty"`
	To     float64  `json:"to"`
}

// Refused is one refused message: where it came from and why, never its
// content, except the first bytes of what is not SNMP at all.
type Refused struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Listener string    `json:"listener"`
	Source   string    `json:"source"`
	Version  string    `json:"version,omitempty"`
	Result   string    `json:"result"`
	Size     int       `json:"size"`
	// Head is the first 64 bytes in hex, for result not_snmp only.
	Head string `json:"head,omitempty"`
}
