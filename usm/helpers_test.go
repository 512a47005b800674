package usm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// unhex decodes hex with optional spaces and newlines.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in the test: %v", err)
	}
	return b
}

// ---- a minimal BER reader, for tests only --------------------------------

// tlv reads one BER TLV (single-octet tag, definite length) at b[off:] and
// returns its tag and the bounds of its contents.
func tlv(b []byte, off int) (tag byte, start, end int, err error) {
	if off+2 > len(b) {
		return 0, 0, 0, fmt.Errorf("truncated TLV at %d", off)
	}
	tag = b[off]
	if tag&0x1f == 0x1f {
		return 0, 0, 0, fmt.Errorf("high tag at %d", off)
	}
	l := int(b[off+1])
	start = off + 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || start+n > len(b) {
			return 0, 0, 0, fmt.Errorf("bad length at %d", off)
		}
		l = 0
		for _, c := range b[start : start+n] {
			l = l<<8 | int(c)
		}
		start += n
	}
	end = start + l
	if end > len(b) {
		return 0, 0, 0, fmt.Errorf("TLV at %d overruns (%d > %d)", off, end, len(b))
	}
	return tag, start, end, nil
}

// expect reads a TLV with the given tag.
func expect(b []byte, off int, want byte, what string) (start, end int, err error) {
	tag, start, end, err := tlv(b, off)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	if tag != want {
		return 0, 0, fmt.Errorf("%s: tag %#x, want %#x", what, tag, want)
	}
	return start, end, nil
}

func berUint(c []byte) uint32 {
	var v uint32
	for _, x := range c {
		v = v<<8 | uint32(x)
	}
	return v
}

// v3Msg is what the tests need from an SNMPv3 message.
type v3Msg struct {
	flags          byte
	engineID       []byte
	boots, time    uint32
	user           string
	authOff        int // offset of msgAuthenticationParameters' contents
	authLen        int
	privParams     []byte
	encrypted      bool
	data           []byte // the encryptedPDU's contents, or the scopedPDU TLV
	dataOff, msgID int
}

// parseV3 walks an SNMPv3 message with the USM.
func parseV3(msg []byte) (*v3Msg, error) {
	var m v3Msg
	s, e, err := expect(msg, 0, 0x30, "message")
	if err != nil {
		return nil, err
	}
	if e != len(msg) {
		return nil, fmt.Errorf("%d trailing octets", len(msg)-e)
	}
	vs, ve, err := expect(msg, s, 0x02, "msgVersion")
	if err != nil {
		return nil, err
	}
	if berUint(msg[vs:ve]) != 3 {
		return nil, errors.New("not SNMPv3")
	}
	hs, he, err := expect(msg, ve, 0x30, "msgGlobalData")
	if err != nil {
		return nil, err
	}
	{
		is, ie, err := expect(msg, hs, 0x02, "msgID")
		if err != nil {
			return nil, err
		}
		m.msgID = int(berUint(msg[is:ie]))
		_, me, err := expect(msg, ie, 0x02, "msgMaxSize")
		if err != nil {
			return nil, err
		}
		fs, fe, err := expect(msg, me, 0x04, "msgFlags")
		if err != nil {
			return nil, err
		}
		if fe-fs != 1 {
			return nil, errors.New("msgFlags not 1 octet")
		}
		m.flags = msg[fs]
		ss, se, err := expect(msg, fe, 0x02, "msgSecurityModel")
		if err != nil {
			return nil, err
		}
		if berUint(msg[ss:se]) != 3 || se != he {
			return nil, errors.New("not USM")
		}
	}
	ps, pe, err := expect(msg, he, 0x04, "msgSecurityParameters")
	if err != nil {
		return nil, err
	}
	{
		qs, qe, err := expect(msg, ps, 0x30, "UsmSecurityParameters")
		if err != nil {
			return nil, err
		}
		if qe != pe {
			return nil, errors.New("junk after UsmSecurityParameters")
		}
		a, b, err := expect(msg, qs, 0x04, "msgAuthoritativeEngineID")
		if err != nil {
			return nil, err
		}
		m.engineID = msg[a:b]
		a, b, err = expect(msg, b, 0x02, "msgAuthoritativeEngineBoots")
		if err != nil {
			return nil, err
		}
		m.boots = berUint(msg[a:b])
		a, b, err = expect(msg, b, 0x02, "msgAuthoritativeEngineTime")
		if err != nil {
			return nil, err
		}
		m.time = berUint(msg[a:b])
		a, b, err = expect(msg, b, 0x04, "msgUserName")
		if err != nil {
			return nil, err
		}
		m.user = string(msg[a:b])
		a, b, err = expect(msg, b, 0x04, "msgAuthenticationParameters")
		if err != nil {
			return nil, err
		}
		m.authOff, m.authLen = a, b-a
		a, b, err = expect(msg, b, 0x04, "msgPrivacyParameters")
		if err != nil {
			return nil, err
		}
		m.privParams = msg[a:b]
		if b != qe {
			return nil, errors.New("junk in UsmSecurityParameters")
		}
	}
	tag, ds, de, err := tlv(msg, pe)
	if err != nil {
		return nil, fmt.Errorf("msgData: %w", err)
	}
	if de != e {
		return nil, errors.New("junk after msgData")
	}
	switch tag {
	case 0x04:
		m.encrypted, m.data, m.dataOff = true, msg[ds:de], ds
	case 0x30:
		m.data, m.dataOff = msg[pe:de], pe
	default:
		return nil, fmt.Errorf("msgData tag %#x", tag)
	}
	return &m, nil
}

// zeroedMAC returns a copy of msg with msgAuthenticationParameters zeroed,
// and the MAC it held.
func (m *v3Msg) zeroedMAC(msg []byte) (zeroed, mac []byte) {
	zeroed = bytes.Clone(msg)
	mac = bytes.Clone(msg[m.authOff : m.authOff+m.authLen])
	clear(zeroed[m.authOff : m.authOff+m.authLen])
	return zeroed, mac
}

// varbind is one decoded variable binding.
type varbind struct {
	name  string
	tag   byte
	value []byte
}

// scopedPDU is a decoded scopedPDU.
type scopedPDU struct {
	contextEngineID []byte
	contextName     string
	pduType         byte
	requestID       uint32
	varbinds        []varbind
	trailing        int // octets after the SEQUENCE (DES padding)
}

// decodeScopedPDU decodes a scopedPDU completely; any malformation is an
// error.
func decodeScopedPDU(b []byte) (*scopedPDU, error) {
	var sp scopedPDU
	s, e, err := expect(b, 0, 0x30, "scopedPDU")
	if err != nil {
		return nil, err
	}
	sp.trailing = len(b) - e
	a, c, err := expect(b, s, 0x04, "contextEngineID")
	if err != nil {
		return nil, err
	}
	sp.contextEngineID = b[a:c]
	a, c, err = expect(b, c, 0x04, "contextName")
	if err != nil {
		return nil, err
	}
	sp.contextName = string(b[a:c])
	tag, ps, pe, err := tlv(b, c)
	if err != nil {
		return nil, fmt.Errorf("PDU: %w", err)
	}
	if tag < 0xa0 || tag > 0xa8 || pe != e {
		return nil, fmt.Errorf("PDU tag %#x or junk after the PDU", tag)
	}
	sp.pduType = tag
	a, c, err = expect(b, ps, 0x02, "request-id")
	if err != nil {
		return nil, err
	}
	sp.requestID = berUint(b[a:c])
	if _, c, err = expect(b, c, 0x02, "error-status"); err != nil {
		return nil, err
	}
	if _, c, err = expect(b, c, 0x02, "error-index"); err != nil {
		return nil, err
	}
	ls, le, err := expect(b, c, 0x30, "varbind list")
	if err != nil {
		return nil, err
	}
	if le != pe {
		return nil, errors.New("junk after the varbind list")
	}
	for off := ls; off < le; {
		vs, ve, err := expect(b, off, 0x30, "varbind")
		if err != nil {
			return nil, err
		}
		ns, ne, err := expect(b, vs, 0x06, "name")
		if err != nil {
			return nil, err
		}
		name, err := oidString(b[ns:ne])
		if err != nil {
			return nil, err
		}
		tag, xs, xe, err := tlv(b, ne)
		if err != nil {
			return nil, fmt.Errorf("value: %w", err)
		}
		if xe != ve {
			return nil, errors.New("junk in a varbind")
		}
		sp.varbinds = append(sp.varbinds, varbind{name, tag, b[xs:xe]})
		off = ve
	}
	return &sp, nil
}

// oidString decodes OID contents to dotted form.
func oidString(c []byte) (string, error) {
	if len(c) == 0 || c[len(c)-1]&0x80 != 0 {
		return "", errors.New("bad OID")
	}
	var arcs []string
	var v uint64
	first := true
	for _, x := range c {
		v = v<<7 | uint64(x&0x7f)
		if x&0x80 != 0 {
			if v > 1<<56 {
				return "", errors.New("OID arc too big")
			}
			continue
		}
		if first {
			x1 := min(v/40, 2)
			arcs = append(arcs, strconv.FormatUint(x1, 10), strconv.FormatUint(v-40*x1, 10))
			first = false
		} else {
			arcs = append(arcs, strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return strings.Join(arcs, "."), nil
}

const snmpTrapOID0 = "1.3.6.1.6.3.1.1.4.1.0"

// trapOID returns the value of snmpTrapOID.0, the second varbind of an
// SNMPv2-Trap or InformRequest.
func (sp *scopedPDU) trapOID() (string, error) {
	if len(sp.varbinds) < 2 || sp.varbinds[1].name != snmpTrapOID0 || sp.varbinds[1].tag != 0x06 {
		return "", errors.New("no snmpTrapOID.0 in the second varbind")
	}
	return oidString(sp.varbinds[1].value)
}

// ---- the shared fixtures (internal/testfixtures) ------------------------

var (
	fixture  = testfixtures.Path
	payloads = testfixtures.Payloads
)
