package mib

import (
	"encoding/hex"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// oidBufSize holds the dotted form of any usual OID on the stack; longer
// ones (up to 128 arcs of 10 digits) make the renderer allocate.
const oidBufSize = 256

// AppendVarbind appends a one-line rendering of a varbind for logs and
// views to dst and returns it: the name with its index, " = ", the value.
// oid is the BER content of the name, typ the value's tag and value its
// content octets, as in snmp.Varbind.
//
//	IF-MIB::ifIndex.3 = 3
//	IF-MIB::ifOperStatus.3 = down(2)
//	IF-MIB::ifDescr.3 = "eth0"
//	IF-MIB::ifPhysAddress.3 = 00:1a:2b:3c:4d:5e    (DISPLAY-HINT "1x:")
//	1.3.6.1.4.1.9.2.2.1.1.20.2 = 0x0a0b             (unknown name, binary string)
//	SNMPv2-MIB::sysUpTime.0 = (12345) 0:02:03.45
//	SNMPv2-MIB::snmpTrapOID.0 = IF-MIB::linkDown
//
// Names are translated when the longest named prefix is a scalar or column
// (or the OID is exactly a named node); otherwise the OID stays numeric.
// Octet strings are quoted text when they are valid UTF-8 made of printable
// characters (and tab, CR, LF, shown escaped), formatted by the object's
// DISPLAY-HINT when it has a non-text one, and hex otherwise. Values that do
// not decode are shown as <invalid TYPE 0x...>. It does not allocate when
// dst has room.
func (t *Table) AppendVarbind(dst []byte, oid []byte, typ byte, value []byte) []byte {
	dst, obj := t.appendName(dst, oid)
	dst = append(dst, " = "...)
	return t.appendValue(dst, obj, typ, value)
}

// AppendVarbindParts renders a varbind's parts as AppendVarbind does, for
// a view that shows them apart: it appends the name with its index
// (IF-MIB::ifOperStatus.3) and then the value (down(2)) to dst, and returns
// where the value starts and the value's type as SMI names it (INTEGER,
// OCTET STRING, TimeTicks, ...). It does not allocate when dst has room:
// the trap log renders every record it writes this way.
func (t *Table) AppendVarbindParts(dst []byte, oid []byte, typ byte, value []byte) (out []byte, valueStart int, typeName string) {
	dst, obj := t.appendName(dst, oid)
	valueStart = len(dst)
	return t.appendValue(dst, obj, typ, value), valueStart, TypeName(typ)
}

// Printable reports whether an OCTET STRING's octets show as text:
// valid UTF-8 of printable characters, tab, CR and LF.
func Printable(v []byte) bool { return printable(v) }

// appendName appends the varbind's name, translated when the longest named
// prefix is a scalar or column (then obj is that object) or the OID is
// exactly a named node, else numeric.
func (t *Table) appendName(dst []byte, oid []byte) ([]byte, *Object) {
	var buf [oidBufSize]byte
	d, err := snmp.AppendOID(buf[:0], oid)
	if err != nil {
		return appendInvalid(dst, "OBJECT IDENTIFIER", oid), nil
	}
	o, n := t.lookupObject(d)
	switch {
	case o != nil && o.HasInstances():
		dst = appendQualified(dst, o)
		return append(dst, d[n:]...), o
	case o != nil && n == len(d):
		return appendQualified(dst, o), nil
	}
	return append(dst, d...), nil
}

// TypeName returns the SMI name of a value's BER tag.
func TypeName(typ byte) string {
	switch typ {
	case snmp.TagInteger:
		return "INTEGER"
	case snmp.TagOctetString:
		return "OCTET STRING"
	case snmp.TagNull:
		return "NULL"
	case snmp.TagObjectIdentifier:
		return "OBJECT IDENTIFIER"
	case snmp.TagIPAddress:
		return "IpAddress"
	case snmp.TagTimeTicks:
		return "TimeTicks"
	case snmp.TagOpaque:
		return "Opaque"
	case snmp.TagNsapAddress:
		return "NsapAddress"
	case snmp.TagNoSuchObject:
		return "noSuchObject"
	case snmp.TagNoSuchInstance:
		return "noSuchInstance"
	case snmp.TagEndOfMibView:
		return "endOfMibView"
	}
	if n := tagName(typ); n != "value" {
		return n
	}
	return "tag 0x" + hex.EncodeToString([]byte{typ})
}

func appendQualified(dst []byte, o *Object) []byte {
	dst = append(dst, o.Module...)
	dst = append(dst, "::"...)
	return append(dst, o.Name...)
}

// appendValue renders a value; obj, if not nil, is the object the varbind
// names.
func (t *Table) appendValue(dst []byte, obj *Object, typ byte, value []byte) []byte {
	vb := snmp.Varbind{Type: typ, Value: value}
	switch typ {
	case snmp.TagInteger:
		n, ok := vb.Int64()
		if !ok {
			return appendInvalid(dst, "INTEGER", value)
		}
		if obj != nil && obj.Syntax != SyntaxBits {
			if label, ok := obj.Enums[n]; ok {
				dst = append(dst, label...)
				dst = append(dst, '(')
				dst = strconv.AppendInt(dst, n, 10)
				return append(dst, ')')
			}
		}
		return strconv.AppendInt(dst, n, 10)
	case snmp.TagCounter32, snmp.TagGauge32, snmp.TagUInteger32, snmp.TagCounter64:
		n, ok := vb.Uint64()
		if !ok {
			return appendInvalid(dst, tagName(typ), value)
		}
		return strconv.AppendUint(dst, n, 10)
	case snmp.TagTimeTicks:
		n, ok := vb.Uint64()
		if !ok {
			return appendInvalid(dst, "TimeTicks", value)
		}
		return appendTimeTicks(dst, n)
	case snmp.TagOctetString:
		return appendOctets(dst, obj, value)
	case snmp.TagNull:
		return append(dst, "NULL"...)
	case snmp.TagObjectIdentifier:
		return t.appendOIDValue(dst, value)
	case snmp.TagIPAddress:
		if len(value) != 4 {
			return appendInvalid(dst, "IpAddress", value)
		}
		for i, b := range value {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = strconv.AppendUint(dst, uint64(b), 10)
		}
		return dst
	case snmp.TagOpaque:
		dst = append(dst, "Opaque: "...)
		return appendHex(dst, value)
	case snmp.TagNsapAddress:
		dst = append(dst, "NsapAddress: "...)
		return appendHex(dst, value)
	case snmp.TagNoSuchObject:
		return append(dst, "noSuchObject"...)
	case snmp.TagNoSuchInstance:
		return append(dst, "noSuchInstance"...)
	case snmp.TagEndOfMibView:
		return append(dst, "endOfMibView"...)
	}
	dst = append(dst, "[tag 0x"...)
	dst = hex.AppendEncode(dst, []byte{typ})
	dst = append(dst, "] "...)
	return appendHex(dst, value)
}

func tagName(typ byte) string {
	switch typ {
	case snmp.TagCounter32:
		return "Counter32"
	case snmp.TagGauge32:
		return "Gauge32"
	case snmp.TagUInteger32:
		return "UInteger32"
	case snmp.TagCounter64:
		return "Counter64"
	}
	return "value"
}

// appendOIDValue renders an OBJECT IDENTIFIER value: a notification name
// (aliases applied), a named node, an object instance, or the number.
func (t *Table) appendOIDValue(dst []byte, content []byte) []byte {
	var buf [oidBufSize]byte
	d, err := snmp.AppendOID(buf[:0], content)
	if err != nil {
		return appendInvalid(dst, "OBJECT IDENTIFIER", content)
	}
	if e, ok := t.index().entries[string(d)]; ok {
		name := e.name
		return append(dst, name...)
	}
	o, n := t.lookupObject(d)
	if o != nil && (n == len(d) || o.HasInstances()) {
		dst = appendQualified(dst, o)
		return append(dst, d[n:]...)
	}
	return append(dst, d...)
}

// appendTimeTicks renders hundredths of a second as net-snmp does:
// "(12345) 0:02:03.45", "(8640000) 1 day, 0:00:00.00".
func appendTimeTicks(dst []byte, n uint64) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, ") "...)
	cs := n % 100
	s := n / 100
	days := s / 86400
	s %= 86400
	if days > 0 {
		dst = strconv.AppendUint(dst, days, 10)
		if days == 1 {
			dst = append(dst, " day, "...)
		} else {
			dst = append(dst, " days, "...)
		}
	}
	dst = strconv.AppendUint(dst, s/3600, 10)
	dst = append(dst, ':')
	dst = append2(dst, s/60%60)
	dst = append(dst, ':')
	dst = append2(dst, s%60)
	dst = append(dst, '.')
	return append2(dst, cs)
}

// append2 appends n (< 100) as two digits.
func append2(dst []byte, n uint64) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

func appendHex(dst []byte, v []byte) []byte {
	dst = append(dst, "0x"...)
	return hex.AppendEncode(dst, v)
}

func appendInvalid(dst []byte, what string, v []byte) []byte {
	dst = append(dst, "<invalid "...)
	dst = append(dst, what...)
	dst = append(dst, ' ')
	dst = appendHex(dst, v)
	return append(dst, '>')
}

// appendOctets renders an OCTET STRING (or BITS) value.
func appendOctets(dst []byte, obj *Object, v []byte) []byte {
	if obj != nil {
		if obj.Syntax == SyntaxBits {
			return appendBits(dst, obj.Enums, v)
		}
		if obj.Hint != "" && !textHint(obj.Hint) {
			if out, ok := appendHint(dst, obj.Hint, v); ok {
				return out
			}
		}
	}
	if printable(v) {
		return strconv.AppendQuote(dst, string(v)) // no allocation: the conversion does not escape
	}
	return appendHex(dst, v)
}

// printable reports whether v is valid UTF-8 made of printable characters,
// tab, CR and LF.
func printable(v []byte) bool {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}

// appendBits renders a BITS value: the octets in hex, then the labels of
// the bits that are set ("0xc0 up(0) down(1)"); a set bit without a label
// shows as its number.
func appendBits(dst []byte, labels map[int64]string, v []byte) []byte {
	dst = appendHex(dst, v)
	for i, b := range v {
		for j := 0; j < 8; j++ {
			if b&(0x80>>j) == 0 {
				continue
			}
			bit := int64(i*8 + j)
			dst = append(dst, ' ')
			if label, ok := labels[bit]; ok {
				dst = append(dst, label...)
				dst = append(dst, '(')
				dst = strconv.AppendInt(dst, bit, 10)
				dst = append(dst, ')')
			} else {
				dst = strconv.AppendInt(dst, bit, 10)
			}
		}
	}
	return dst
}

// textHint reports whether an octet-string DISPLAY-HINT is a single text
// field ("255a", "255t"), for which the quoted form is better.
func textHint(h string) bool {
	if len(h) < 2 {
		return false
	}
	if last := h[len(h)-1]; last != 'a' && last != 't' {
		return false
	}
	for i := 0; i < len(h)-1; i++ {
		if h[i] < '0' || h[i] > '9' {
			return false
		}
	}
	return true
}

// hintSpec is one octet-format specification of a DISPLAY-HINT.
type hintSpec struct {
	star   bool // the first octet is a repeat count
	length int  // octets per application
	format byte // 'x', 'd', 'o', 'a' or 't'
	sep    byte // display separator, 0 if none
	term   byte // repeat terminator, 0 if none
}

// parseHintSpec parses the specification that starts at h[i] and returns
// it with the index of the next one.
func parseHintSpec(h string, i int) (hintSpec, int, bool) {
	var s hintSpec
	if i < len(h) && h[i] == '*' {
		s.star = true
		i++
	}
	start := i
	for i < len(h) && h[i] >= '0' && h[i] <= '9' {
		s.length = s.length*10 + int(h[i]-'0')
		if s.length > 1<<16 {
			return s, i, false
		}
		i++
	}
	if i == start || s.length == 0 || i >= len(h) {
		return s, i, false
	}
	switch s.format = h[i]; s.format {
	case 'x', 'd', 'o', 'a', 't':
	default:
		return s, i, false
	}
	if (s.format == 'd' || s.format == 'o') && s.length > 8 {
		return s, i, false // more than a uint64
	}
	i++
	isDigitOrStar := func(c byte) bool { return c == '*' || c >= '0' && c <= '9' }
	if i < len(h) && !isDigitOrStar(h[i]) {
		s.sep = h[i]
		i++
	}
	if s.star && i < len(h) && !isDigitOrStar(h[i]) {
		s.term = h[i]
		i++
	}
	return s, i, true
}

// appendHint formats v by an octet-string DISPLAY-HINT (RFC 2579 section
// 3.1): "1x:" gives 00:1a:2b:3c:4d:5e, "2d-1d-1d,1d:1d:1d.1d,1a1d:1d" a
// DateAndTime. The last specification repeats until v is used up. ok is
// false, with dst unchanged, if the hint does not parse.
func appendHint(dst []byte, h string, v []byte) ([]byte, bool) {
	orig := len(dst)
	var s hintSpec
	hi, pos := 0, 0
	for pos < len(v) {
		if hi < len(h) {
			var ok bool
			if s, hi, ok = parseHintSpec(h, hi); !ok {
				return dst[:orig], false
			}
		} else if s.format == 0 {
			return dst[:orig], false
		}
		reps := 1
		if s.star {
			reps = int(v[pos])
			pos++
		}
		for r := 0; r < reps && pos < len(v); r++ {
			n := min(s.length, len(v)-pos)
			chunk := v[pos : pos+n]
			pos += n
			switch s.format {
			case 'x':
				dst = hex.AppendEncode(dst, chunk)
			case 'd', 'o':
				var u uint64
				for _, b := range chunk {
					u = u<<8 | uint64(b)
				}
				base := 10
				if s.format == 'o' {
					base = 8
				}
				dst = strconv.AppendUint(dst, u, base)
			case 'a', 't':
				for _, b := range chunk {
					if b < 0x20 || b >= 0x7f && s.format == 'a' {
						b = '.'
					}
					dst = append(dst, b)
				}
			}
			lastRep := r == reps-1
			if pos < len(v) && s.sep != 0 && !(lastRep && s.term != 0) {
				dst = append(dst, s.sep)
			}
		}
		if s.star && s.term != 0 && pos < len(v) {
			dst = append(dst, s.term)
		}
	}
	return dst, true
}
