package pipeline

import (
	"bytes"
	"encoding/binary"
	"sync/atomic"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// usmStats are the RFC 3414 §5 counters a Report carries, by the last
// sub-identifier of usmStats (1.3.6.1.6.3.15.1.1.N.0).
const (
	statUnsupportedSecLevels = 1
	statNotInTimeWindows     = 2
	statUnknownUserNames     = 3
	statUnknownEngineIDs     = 4
	statWrongDigests         = 5
	statDecryptionErrors     = 6
	numStats                 = 7
)

var statOIDs [numStats][]byte

func init() {
	for i := 1; i < numStats; i++ {
		statOIDs[i] = snmp.MustParseOID("1.3.6.1.6.3.15.1.1." + string(rune('0'+i)) + ".0")
	}
}

// v3Verdict is the outcome of USM processing.
type v3Verdict struct {
	result metrics.Result // ResultAccepted when the message may go on
	reason string
	report int // a usmStats counter to report, 0 for none
	// reportAuth: the Report must be authenticated (only notInTimeWindow,
	// RFC 3414 §3.2 step 7a), with these keys.
	reportAuth bool
}

// v3ctx is what the acknowledgement of an accepted v3 inform needs.
type v3ctx struct {
	user          *v3User
	keys          *localKeys
	authoritative bool
	// replayed: a message to this exporter's engine whose bytes were
	// already accepted. It is decrypted all the same, so that Handle can
	// tell a retransmitted inform (acknowledged again) from a replay.
	replayed bool
}

func (s *scratch) level() int {
	switch {
	case s.msg.V3.Priv():
		return levelAuthPriv
	case s.msg.V3.Auth():
		return levelAuthNoPriv
	}
	return levelNoAuthNoPriv
}

// admitV3 runs USM (RFC 3414 §3.2) on a decoded SNMPv3 message: user, level,
// digest, timeliness and replay, decryption. On success the scoped PDU is
// decoded into s.msg and s.v3 holds what an acknowledgement needs.
func (pr *Processor) admitV3(s *scratch, sec *Security) v3Verdict {
	m := &s.msg
	v := &m.V3
	eng := pr.engine
	s.v3 = v3ctx{}
	if len(v.EngineID) == 0 {
		// Engine discovery (RFC 3414 §4): a sender that will send us
		// informs asks for our engine ID with an empty one.
		// Not a refusal, but counted apart from the traps: one per
		// discovery, before a sender's first inform.
		return v3Verdict{result: metrics.ResultDiscovery, reason: "engine discovery", report: statUnknownEngineIDs}
	}
	authoritative := eng != nil && bytes.Equal(v.EngineID, eng.ID)
	s.v3 = v3ctx{authoritative: authoritative}

	u := sec.users[string(v.UserName)]
	if u == nil {
		return v3Verdict{result: metrics.ResultUnknownUser, reason: "unknown user", report: statUnknownUserNames}
	}
	lvl := s.level()
	if lvl < u.minLevel {
		return v3Verdict{result: metrics.ResultLevelTooLow, reason: "security level below the user's minimum", report: statUnsupportedSecLevels}
	}
	if (lvl >= levelAuthNoPriv && u.auth == usm.AuthNone) || (lvl == levelAuthPriv && u.priv == usm.PrivNone) {
		return v3Verdict{result: metrics.ResultAuthFailed, reason: "user has no key for the message's security level", report: statUnsupportedSecLevels}
	}
	if !authoritative && u.engineIDs != nil && !u.engineIDs[string(v.EngineID)] {
		return v3Verdict{result: metrics.ResultUnknownEngineID, reason: "engine ID not allowed for this user"}
	}
	s.v3.user = u
	if lvl == levelNoAuthNoPriv {
		return pinnedContext(s)
	}

	keys, cached := pr.keys.get(u, v.EngineID)
	s.v3.keys = keys
	if len(v.AuthParams) != u.auth.MACLen() {
		return v3Verdict{result: metrics.ResultAuthFailed, reason: "authentication parameters of the wrong length", report: statWrongDigests}
	}
	// The MAC covers the whole message with its own field zeroed; VerifyMsg
	// hashes zeros in its place rather than changing or copying the message.
	if !keys.auth.VerifyMsg(s.data, v.AuthOffset) {
		return v3Verdict{result: metrics.ResultAuthFailed, reason: "wrong digest", report: statWrongDigests}
	}
	if !cached {
		pr.keys.put(u, v.EngineID, keys)
	}

	now := pr.now()
	var tv timeVerdict
	if authoritative {
		tv = pr.times.checkLocal(eng.ID, eng.Boots, eng.Time(), v.EngineBoots, v.EngineTime, v.AuthParams, now)
	} else {
		tv = pr.times.checkSender(v.EngineID, v.EngineBoots, v.EngineTime, v.AuthParams, now)
	}
	switch tv {
	case timeOutside:
		return v3Verdict{result: metrics.ResultNotInTimeWindow, reason: "outside the time window", report: statNotInTimeWindows, reportAuth: true}
	case timeReplayed:
		if !authoritative {
			return v3Verdict{result: metrics.ResultReplayed, reason: "replayed message"}
		}
		s.v3.replayed = true
	}

	if lvl == levelAuthPriv {
		key := keys.privKey(u, v.EngineID)
		if key == nil {
			return v3Verdict{result: metrics.ResultDecryptFailed, reason: "no privacy key for this user", report: statDecryptionErrors}
		}
		plain, err := key.Decrypt(uint32(v.EngineBoots), uint32(v.EngineTime), v.PrivParams, v.Encrypted, s.plain[:0])
		s.plain = plain
		if err != nil {
			return v3Verdict{result: metrics.ResultDecryptFailed, reason: err.Error(), report: statDecryptionErrors}
		}
		// A wrong privacy key yields noise, which does not decode.
		if err := m.DecodeScopedPDU(plain); err != nil {
			return v3Verdict{result: metrics.ResultDecryptFailed, reason: "decrypted data is not a scoped PDU", report: statDecryptionErrors}
		}
	}
	return pinnedContext(s)
}

// pinnedContext applies a user's engine_ids to a message for this
// exporter's own engine (an inform): its security engine is ours, so the
// sender's engine is the one it names as contextEngineID, as net-snmp and
// RFC 3413's notification originators do. For traps the engine was checked
// before authentication (it is the message's security engine).
func pinnedContext(s *scratch) v3Verdict {
	u := s.v3.user
	if s.v3.authoritative && u.engineIDs != nil && !u.engineIDs[string(s.msg.V3.ContextEngineID)] {
		return v3Verdict{result: metrics.ResultUnknownEngineID, reason: "contextEngineID not allowed for this user"}
	}
	return v3Verdict{result: metrics.ResultAccepted}
}

// v3Reply builds a v3 message from this exporter's engine to the sender of
// s.msg: the inform acknowledgement (a Response with the received
// varbinds) or a Report. It returns nil if it cannot be built.
func (pr *Processor) v3Reply(dst []byte, s *scratch, pdu snmp.PDUType, requestID int32, vbs []snmp.Varbind, auth, priv bool) []byte {
	eng := pr.engine
	m := &s.msg
	v := &m.V3
	contextEngine := v.ContextEngineID
	if pdu == snmp.PDUReport {
		contextEngine = eng.ID
	}
	s.scoped = snmp.AppendScopedPDU(s.scoped[:0], contextEngine, v.ContextName, pdu, requestID, 0, 0, vbs)

	h := snmp.V3Header{MsgID: v.MsgID, MaxSize: 65507, EngineID: eng.ID, Boots: eng.Boots, Time: eng.Time(), UserName: v.UserName}
	data := s.scoped
	u, keys := s.v3.user, s.v3.keys
	if auth {
		if u == nil || keys == nil {
			return nil
		}
		h.Flags |= snmp.FlagAuth
		h.MACLen = u.auth.MACLen()
	}
	if priv {
		h.Flags |= snmp.FlagPriv
		key := keys.privKey(u, v.EngineID)
		if key == nil {
			return nil
		}
		ct, pp, err := key.Encrypt(uint32(h.Boots), uint32(h.Time), pr.salt(u.priv, h.Boots), s.scoped, s.cipher[:0])
		if err != nil {
			return nil
		}
		s.cipher = ct
		data = ct
		h.PrivParams = pp[:]
	}
	out, macAt := snmp.AppendV3(dst, &h, data)
	if auth {
		s.mac = keys.auth.AppendMAC(s.mac[:0], out)
		copy(out[macAt:], s.mac)
	}
	return out
}

// salt returns a fresh privacy salt: for DES engineBoots and a counter
// (RFC 3414 §8.1.1.1), for AES a 64-bit counter (RFC 3826 §3.1.2.1).
func (pr *Processor) salt(p usm.PrivProtocol, boots int32) [8]byte {
	var b [8]byte
	n := pr.saltCounter.Add(1)
	if p == usm.PrivDES {
		binary.BigEndian.PutUint32(b[:4], uint32(boots))
		binary.BigEndian.PutUint32(b[4:], uint32(n))
		return b
	}
	binary.BigEndian.PutUint64(b[:], n)
	return b
}

// report builds the Report for a refused message, when this exporter is
// the authoritative engine (or the message is a discovery probe), the sender
// asked for reports, and the source's reply budget allows.
func (pr *Processor) report(dst []byte, s *scratch, p *receiver.Packet, verdict v3Verdict) ([]byte, receiver.ReplyKind) {
	v := &s.msg.V3
	if verdict.report == 0 || pr.engine == nil || !v.Reportable() {
		return nil, receiver.ReplyNone
	}
	if len(v.EngineID) != 0 && !s.v3.authoritative {
		return nil, receiver.ReplyNone // a trap's sender is authoritative: we report nothing
	}
	if !pr.replyAllowed(p) {
		return nil, receiver.ReplyRateLimited
	}
	count := pr.stats[verdict.report].Add(1)
	vbs := []snmp.Varbind{{OID: statOIDs[verdict.report], Type: snmp.TagCounter32, Value: snmp.UnsignedValue(uint64(count))}}
	// The request-id is known only when the scoped PDU was readable.
	requestID := int32(0)
	if s.msg.PDU != nil {
		requestID = s.msg.RequestID
	}
	out := pr.v3Reply(dst, s, snmp.PDUReport, requestID, vbs, verdict.reportAuth, false)
	if out == nil {
		return nil, receiver.ReplyNone
	}
	return out, receiver.ReplyReport
}

// usmCounters holds the usmStats values Reports carry.
type usmCounters [numStats]atomic.Uint32
