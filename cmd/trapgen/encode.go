package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
)

// The kinds of message trapgen sends.
const (
	kindV1     = "v1"
	kindV2c    = "v2c"
	kindInform = "inform"
	kindV3     = "v3"
	kindMix    = "mix"
)

var kinds = []string{kindV1, kindV2c, kindInform, kindV3, kindMix}

// interfaces is how many ifIndex values the templates cycle through.
const interfaces = 48

// maxV3Messages bounds the pre-encoded v3 pool: every v3 message is unique
// (the exporter refuses a replayed MAC), so one is encoded per message sent.
const maxV3Messages = 2_000_000

// engineID is the fixed authoritative engine ID of v3 traps: enterprise
// 8072 (net-snmp), format 4 (text), "trapgen".
var engineID = []byte{0x80, 0x00, 0x1f, 0x88, 0x04, 't', 'r', 'a', 'p', 'g', 'e', 'n'}

var (
	oidSysUpTime0     = snmp.MustParseOID("1.3.6.1.2.1.1.3.0")
	oidSnmpTrapOID0   = snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0")
	oidLinkDown       = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")
	oidLinkUp         = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.4")
	oidV1Enterprise   = snmp.MustParseOID("1.3.6.1.4.1.9.1.1") // a Cisco sysObjectID
	genericLinkDown   = int32(2)
	genericLinkUp     = int32(3)
	ifTableEntryPrefx = "1.3.6.1.2.1.2.2.1."
)

// v3Params are the USM settings of v3 messages (authPriv, SHA and AES).
type v3Params struct {
	user, authPass, privPass string
	boots, time              int32
}

// ifVarbinds returns the interface varbinds of a link trap for ifIndex n:
// ifIndex.n, ifAdminStatus.n, ifOperStatus.n, ifDescr.n.
func ifVarbinds(n int, up bool) []snmp.Varbind {
	status := int64(2) // down
	if up {
		status = 1
	}
	idx := strconv.Itoa(n)
	col := func(c string) []byte { return snmp.MustParseOID(ifTableEntryPrefx + c + "." + idx) }
	return []snmp.Varbind{
		{OID: col("1"), Type: snmp.TagInteger, Value: snmp.IntegerValue(int64(n))},
		{OID: col("7"), Type: snmp.TagInteger, Value: snmp.IntegerValue(status)},
		{OID: col("8"), Type: snmp.TagInteger, Value: snmp.IntegerValue(status)},
		{OID: col("2"), Type: snmp.TagOctetString, Value: []byte("GigabitEthernet0/" + idx)},
	}
}

// v2Varbinds returns the varbinds of a v2c linkDown/linkUp for ifIndex n.
func v2Varbinds(n int, up bool, uptime uint32) []snmp.Varbind {
	trap := oidLinkDown
	if up {
		trap = oidLinkUp
	}
	return append([]snmp.Varbind{
		{OID: oidSysUpTime0, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(uint64(uptime))},
		{OID: oidSnmpTrapOID0, Type: snmp.TagObjectIdentifier, Value: trap},
	}, ifVarbinds(n, up)...)
}

// template picks the interface and direction of the i-th message.
func template(i int) (ifIndex int, up bool, uptime uint32) {
	return i/2%interfaces + 1, i%2 == 1, 360000 + uint32(i)
}

func encodeV1(community []byte, i int) []byte {
	n, up, uptime := template(i)
	generic := genericLinkDown
	if up {
		generic = genericLinkUp
	}
	return snmp.AppendTrapV1(nil, community, oidV1Enterprise, [4]byte{127, 0, 0, 1}, generic, 0, uptime, ifVarbinds(n, up))
}

func encodeV2(community []byte, pdu snmp.PDUType, requestID int32, i int) []byte {
	n, up, uptime := template(i)
	return snmp.AppendTrapV2(nil, snmp.V2c, community, pdu, requestID, v2Varbinds(n, up, uptime))
}

// informIDBase keeps every inform request-id four content octets long, so
// that it can be rewritten in place in a pre-encoded message.
const informIDBase = 0x01000000

// pool is the set of pre-encoded messages a run cycles through.
type pool struct {
	msgs [][]byte
	// idAt >= 0 is the offset of a 4-octet request-id in every message,
	// rewritten before each send so that each inform is a new one (the
	// exporter acknowledges but does not count a retransmission).
	idAt int
	// arcAt >= 0 is the offset of the 5-octet last arc of the trap OID in
	// every message (--long-oids), rewritten before each send so that each
	// message has a trap OID of its own.
	arcAt int
}

// v3Keys holds the localized keys of a v3 sender.
type v3Keys struct {
	auth, priv []byte
}

func localize(p v3Params) v3Keys {
	return v3Keys{
		auth: usm.LocalizeKey(usm.AuthSHA, usm.PasswordToKey(usm.AuthSHA, []byte(p.authPass)), engineID),
		priv: usm.LocalizePrivKey(usm.AuthSHA, usm.PrivAES, usm.PasswordToKey(usm.AuthSHA, []byte(p.privPass)), engineID),
	}
}

// v3PerEngineSecond is how many v3 messages share one engineTime value.
// A real agent's engineTime moves on every second and it sends far fewer
// traps than this in one; pre-encoded with a single engineTime, a run of
// millions would look to a receiver like one engine-second holding more
// messages than its replay memory keeps (the exporter's keeps 50,000 per
// engine), and be refused as possible replays after that.
const v3PerEngineSecond = 20000

// encodeV3 builds the i-th v3 authPriv SNMPv2-Trap (msgID and request-id
// i+1, salt i+1), as an agent whose engine is engineID would, its
// engineTime one second later every v3PerEngineSecond messages.
func encodeV3(p v3Params, k v3Keys, i int) ([]byte, error) {
	p.time += int32(i / v3PerEngineSecond)
	n, up, uptime := template(i)
	id := int32(i + 1)
	scoped := snmp.AppendScopedPDU(nil, engineID, nil, snmp.PDUTrapV2, id, 0, 0, v2Varbinds(n, up, uptime))
	var salt [8]byte
	binary.BigEndian.PutUint64(salt[:], uint64(i+1))
	ct, pp, err := usm.Encrypt(usm.PrivAES, k.priv, uint32(p.boots), uint32(p.time), salt, scoped, nil)
	if err != nil {
		return nil, err
	}
	h := &snmp.V3Header{MsgID: id, MaxSize: 65507, Flags: snmp.FlagAuth | snmp.FlagPriv, EngineID: engineID,
		Boots: p.boots, Time: p.time, UserName: []byte(p.user), MACLen: usm.AuthSHA.MACLen(), PrivParams: pp[:]}
	msg, macAt := snmp.AppendV3(nil, h, ct)
	copy(msg[macAt:], usm.AuthSHA.AppendMAC(nil, k.auth, msg))
	return msg, nil
}

// buildPool pre-encodes the messages of a run of at most count messages.
// batch is the largest sendmmsg batch: an inform pool holds at least that
// many messages, so that no buffer is rewritten twice within one batch.
func buildPool(kind string, community []byte, p v3Params, count, batch int) (*pool, error) {
	pl := &pool{idAt: -1, arcAt: -1}
	switch kind {
	case kindV1, kindV2c, kindMix:
		size := 2 * interfaces
		if kind == kindMix {
			size *= 2
		}
		for i := range size {
			j := i // the template: mix alternates v1 and v2c of each
			if kind == kindMix {
				j = i / 2
			}
			if kind == kindV1 || (kind == kindMix && i%2 == 0) {
				pl.msgs = append(pl.msgs, encodeV1(community, j))
			} else {
				pl.msgs = append(pl.msgs, encodeV2(community, snmp.PDUTrapV2, int32(i+1), j))
			}
		}
	case kindInform:
		for i := range max(2*interfaces, batch) {
			pl.msgs = append(pl.msgs, encodeV2(community, snmp.PDUInformRequest, informIDBase, i))
		}
		// Find the request-id: the only octet that differs from a
		// message encoded with the next id.
		a, b := pl.msgs[0], encodeV2(community, snmp.PDUInformRequest, informIDBase+1, 0)
		for j := range a {
			if a[j] != b[j] {
				pl.idAt = j - 3
				break
			}
		}
		if len(a) != len(b) || pl.idAt < 0 {
			return nil, fmt.Errorf("cannot locate the request-id in an inform")
		}
	case kindV3:
		if count > maxV3Messages {
			return nil, fmt.Errorf("--count %d: v3 messages are unique and pre-encoded, at most %d", count, maxV3Messages)
		}
		k := localize(p)
		pl.msgs = make([][]byte, count)
		for i := range count {
			m, err := encodeV3(p, k, i)
			if err != nil {
				return nil, err
			}
			pl.msgs[i] = m
		}
	default:
		return nil, fmt.Errorf("unknown --kind %q (one of %v)", kind, kinds)
	}
	return pl, nil
}

// maxTrapTypes bounds --trap-types.
const maxTrapTypes = 1024

// oidPlaypen is NET-SNMP-MIB::netSnmpPlaypen, an arc for experiments that no
// MIB names further: --trap-types traps are counted under numeric OIDs.
const oidPlaypen = "1.3.6.1.4.1.8072.9999.9999"

// trapTypesPool pre-encodes n v2c traps, the k-th of type
// netSnmpPlaypen.0.(k+1), so that one source sending n messages in a row
// makes n device × trap series (the scrape benchmark fills the store so).
func trapTypesPool(community []byte, n int) *pool {
	pl := &pool{idAt: -1, arcAt: -1}
	for k := range n {
		vbs := append([]snmp.Varbind{
			{OID: oidSysUpTime0, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(360000)},
			{OID: oidSnmpTrapOID0, Type: snmp.TagObjectIdentifier, Value: snmp.MustParseOID(oidPlaypen + ".0." + strconv.Itoa(k+1))},
		}, ifVarbinds(k%interfaces+1, false)...)
		pl.msgs = append(pl.msgs, snmp.AppendTrapV2(nil, snmp.V2c, community, snmp.PDUTrapV2, int32(k+1), vbs))
	}
	return pl
}

// setRequestID rewrites the request-id of an inform from pool p.
func (p *pool) setRequestID(msg []byte, seq uint64) {
	binary.BigEndian.PutUint32(msg[p.idAt:], uint32(informIDBase+seq%(0x7f000000)))
}

// Bounds of --long-oids: the playpen prefix (9 arcs) and the unique last
// arc at least, and at most the 128 arcs an SNMP OID may have.
const (
	minLongOIDArcs = 10
	maxLongOIDArcs = 128
)

// longArcBase is the smallest arc that BER encodes in 5 octets; the unique
// last arc of a --long-oids trap is longArcBase + seq modulo longArcSpan,
// so every value has the same encoded length and is rewritten in place.
const (
	longArcBase = 1 << 28
	longArcSpan = 1<<32 - longArcBase
)

// longOID returns the text of a trap OID of n arcs: netSnmpPlaypen, then
// n-10 arcs of 2^32-1 (the longest an arc may print), then last.
func longOID(n int, last uint32) string {
	var b strings.Builder
	b.WriteString(oidPlaypen)
	for range n - minLongOIDArcs {
		b.WriteString(".4294967295")
	}
	b.WriteString("." + strconv.FormatUint(uint64(last), 10))
	return b.String()
}

// longOIDsPool pre-encodes batch copies of a v2c trap whose trap OID has n
// arcs, and finds the offset of its last arc: setArc makes the OID of each
// message sent a new one (a new device x trap series at the exporter).
func longOIDsPool(community []byte, n, batch int) (*pool, error) {
	enc := func(last uint32) []byte {
		vbs := append([]snmp.Varbind{
			{OID: oidSysUpTime0, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(360000)},
			{OID: oidSnmpTrapOID0, Type: snmp.TagObjectIdentifier, Value: snmp.MustParseOID(longOID(n, last))},
		}, ifVarbinds(1, false)...)
		return snmp.AppendTrapV2(nil, snmp.V2c, community, snmp.PDUTrapV2, 1, vbs)
	}
	pl := &pool{idAt: -1, arcAt: -1}
	// The last arc is the only 5 octets that differ between two values.
	a, b := enc(longArcBase), enc(longArcBase+1)
	for j := range a {
		if a[j] != b[j] {
			pl.arcAt = j - 4
			break
		}
	}
	if len(a) != len(b) || pl.arcAt < 0 {
		return nil, fmt.Errorf("cannot locate the last arc of a long trap OID")
	}
	for range max(batch, 1) {
		pl.msgs = append(pl.msgs, bytes.Clone(a))
	}
	return pl, nil
}

// setArc rewrites the last trap OID arc of a --long-oids message to
// longArcBase + seq modulo longArcSpan (5 octets, base 128, high bit set on
// all but the last).
func (p *pool) setArc(msg []byte, seq uint64) {
	v := uint64(longArcBase) + seq%longArcSpan
	for k := 4; k >= 0; k-- {
		o := byte(v & 0x7f)
		if k < 4 {
			o |= 0x80
		}
		msg[p.arcAt+k] = o
		v >>= 7
	}
}
