package rules

import "strconv"

// appendArcs appends the dotted form of the BER subidentifiers in c to dst
// ("3.1.0"): the instance index that follows an object's OID in a varbind
// name. Unlike an OID's content, an index has no packed first arc. ok is
// false when c does not end a subidentifier, a subidentifier is not
// minimal (starts with 0x80) or an arc exceeds 32 bits; dst is then
// returned unchanged. It does not allocate when dst has room.
func appendArcs(dst, c []byte) (out []byte, ok bool) {
	start := len(dst)
	var v uint64
	inArc := false
	for _, b := range c {
		if !inArc && b == 0x80 {
			return dst[:start], false
		}
		v = v<<7 | uint64(b&0x7f)
		if v > 1<<32-1 {
			return dst[:start], false
		}
		if b&0x80 != 0 {
			inArc = true
			continue
		}
		if len(dst) > start {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, v, 10)
		v, inArc = 0, false
	}
	if inArc {
		return dst[:start], false
	}
	return dst, true
}

// indexText returns the instance index in c as dotted text.
func indexText(c []byte) (string, bool) {
	if len(c) == 0 {
		return "", true
	}
	var buf [64]byte
	b, ok := appendArcs(buf[:0], c)
	if !ok {
		return "", false
	}
	return string(b), true
}
