package snmp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OBJECT IDENTIFIER content (X.690 §8.19) is a list of subidentifiers, each
// written base 128, most significant group first, with the top bit of every
// octet but the last set. The first subidentifier packs the first two arcs
// as 40*X+Y.

// maxSubID is the largest arc SNMP allows (RFC 2578 §7.1.3: 0..4294967295).
const maxSubID = 1<<32 - 1

// maxFirstSubID is the largest first subidentifier: with X=2 the second arc
// Y may itself be any arc, so 40*2 + maxSubID.
const maxFirstSubID = 2*40 + maxSubID

// subidentifier reads the subidentifier that starts at c[i], which must not
// exceed limit, and returns it with the index of the next one. On error it
// returns a reason and the index of the offending octet.
//
// A subidentifier may not start with 0x80 (X.690 §8.19.2): that would be a
// redundant zero group. Refusing it keeps OID content canonical, so two
// contents are the same OID exactly when their bytes are equal, and callers
// can use the bytes as map keys.
func subidentifier(c []byte, i int, limit uint64) (uint64, int, string) {
	if c[i] == 0x80 {
		return 0, i, ReasonOIDNotMinimal
	}
	var v uint64
	for ; i < len(c); i++ {
		// v <= limit < 2^33 before the shift, so this cannot overflow.
		v = v<<7 | uint64(c[i]&0x7f)
		if v > limit {
			return 0, i, ReasonOIDOverflow
		}
		if c[i]&0x80 == 0 {
			return v, i + 1, ""
		}
	}
	return 0, i - 1, ReasonOIDUnterminated
}

// maxArcs is the most arcs an OID may have (RFC 2578 §3.5: "at most 128
// sub-identifiers"). Without the bound one datagram could carry a trap OID
// of 65,000 arcs, which would become a label of a quarter megabyte.
const maxArcs = 128

// checkOID validates OID content octets. On error it returns a reason and the
// index of the offending octet.
func checkOID(c []byte) (string, int) {
	if len(c) == 0 {
		return ReasonEmptyOID, 0
	}
	// Fast path: well-formed when every subidentifier is minimal (does not
	// start with 0x80), at most four octets (28 bits, so no overflow), the
	// last octet ends a subidentifier, and the arcs are few enough -- which
	// is nearly every OID in a trap. Anything else takes the exact path
	// below, which finds the reason and offset. The exact path alone was
	// 13 % of the per-trap profile.
	if len(c) < maxArcs && c[len(c)-1]&0x80 == 0 {
		run := 0 // continuation octets so far in this subidentifier
		fast := true
		for _, b := range c {
			if b&0x80 == 0 {
				run = 0
				continue
			}
			if b == 0x80 && run == 0 {
				fast = false
				break
			}
			if run++; run > 3 {
				fast = false
				break
			}
		}
		if fast {
			return "", 0
		}
	}
	return checkOIDExact(c)
}

// checkOIDExact is checkOID without the fast path.
func checkOIDExact(c []byte) (string, int) {
	limit := uint64(maxFirstSubID)
	arcs := 1 // the first subidentifier holds two arcs
	for i := 0; i < len(c); {
		start := i
		var reason string
		if _, i, reason = subidentifier(c, i, limit); reason != "" {
			return reason, i
		}
		if arcs++; arcs > maxArcs {
			return ReasonOIDTooLong, start
		}
		limit = maxSubID
	}
	return "", 0
}

// AppendOID appends the dotted-decimal form of the OID content octets c to
// dst, without a leading dot: "1.3.6.1.6.3.1.1.5.3". It does not allocate
// when dst has room. Invalid content yields a *DecodeError whose Offset is
// the index in c of the bad octet; dst is then returned unchanged.
func AppendOID(dst []byte, c []byte) ([]byte, error) {
	if reason, off := checkOID(c); reason != "" {
		return dst, malformed(reason, off)
	}
	first, i, _ := subidentifier(c, 0, maxFirstSubID)
	// X.690 §8.19.4: X is 0 or 1 when the packed value is below 80;
	// everything from 80 up belongs to X=2.
	switch {
	case first < 40:
		dst = append(dst, '0', '.')
	case first < 80:
		dst = append(dst, '1', '.')
		first -= 40
	default:
		dst = append(dst, '2', '.')
		first -= 80
	}
	dst = strconv.AppendUint(dst, first, 10)
	for i < len(c) {
		var v uint64
		v, i, _ = subidentifier(c, i, maxSubID)
		dst = append(dst, '.')
		dst = strconv.AppendUint(dst, v, 10)
	}
	return dst, nil
}

// ParseOID returns the content octets of the OID written in dotted-decimal
// form, with or without a leading dot ("1.3.6.1.4.1.45" or ".1.3.6.1.4.1.45").
// It needs at least two arcs; the first must be 0, 1 or 2, the second below
// 40 unless the first is 2 (X.690 §8.19.4), and every arc must fit in 32
// bits.
func ParseOID(s string) ([]byte, error) {
	c, err := parseOID(s)
	if err != nil {
		return nil, fmt.Errorf("snmp: invalid OID %q: %w", s, err)
	}
	return c, nil
}

func parseOID(s string) ([]byte, error) {
	arcs := strings.Split(strings.TrimPrefix(s, "."), ".")
	if len(arcs) < 2 {
		return nil, errors.New("fewer than two arcs")
	}
	if len(arcs) > maxArcs {
		return nil, errors.New("over 128 arcs")
	}
	// Every arc of d digits takes at most d octets, so len(s) is room enough.
	c := make([]byte, 0, len(s))
	var first uint64
	for i, arc := range arcs {
		v, err := parseArc(arc)
		if err != nil {
			return nil, err
		}
		switch i {
		case 0:
			if v > 2 {
				return nil, errors.New("first arc above 2")
			}
			first = v
		case 1:
			if first < 2 && v >= 40 {
				return nil, errors.New("second arc above 39")
			}
			c = appendSubID(c, 40*first+v)
		default:
			c = appendSubID(c, v)
		}
	}
	return c, nil
}

// parseArc parses one decimal arc.
func parseArc(arc string) (uint64, error) {
	if arc == "" {
		return 0, errors.New("empty arc")
	}
	v, err := strconv.ParseUint(arc, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("arc %q is not a number below 2^32", arc)
	}
	return v, nil
}

// MustParseOID is like ParseOID but panics on error. It is meant for
// package-level values written in the source.
func MustParseOID(s string) []byte {
	c, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return c
}

// appendSubID appends v as one base-128 subidentifier, in the fewest octets.
func appendSubID(dst []byte, v uint64) []byte {
	n := 1
	for x := v >> 7; x > 0; x >>= 7 {
		n++
	}
	for i := n - 1; i > 0; i-- {
		dst = append(dst, byte(v>>(7*i))|0x80)
	}
	return append(dst, byte(v)&0x7f)
}
