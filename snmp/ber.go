package snmp

// This file reads BER (X.690) as SNMP uses it (RFC 3417 §8): single-octet
// tags and definite lengths. Readers work on offsets into the whole message
// so that errors can say where in the datagram decoding stopped.

// element is one BER TLV of the buffer being decoded: buf[start:end] is the
// whole encoding and buf[content:end] its content octets.
type element struct {
	tag     byte
	start   int
	content int
	end     int
}

// maxLengthOctets bounds the long form of a length. Four octets describe
// 4 GiB, far more than a UDP datagram holds, and the bound keeps the
// arithmetic in range on 32-bit platforms.
const maxLengthOctets = 4

// readElement reads the element that starts at buf[pos] and must end at or
// before limit. Errors carry the offset of the element's first octet.
//
// Any definite length is accepted, minimal or not (`81 05`, `82 00 2c`): X.690
// §8.1.3.2 lets a BER sender choose, and agents do send such lengths. The
// indefinite form is refused because RFC 3417 §8 forbids it in SNMP.
func readElement(buf []byte, pos, limit int) (element, *DecodeError) {
	if pos >= limit {
		return element{}, malformed(ReasonTruncated, pos)
	}
	tag := buf[pos]
	if tag&0x1f == 0x1f {
		// The high-tag-number form (X.690 §8.1.2.4) is reserved for tag
		// numbers >= 31 (§8.1.2.2), and SNMP defines none. tshark accepts a
		// low number written in that form (`bf 04` as the Trap-PDU tag, as in
		// the PROTOS c06 test suite); we refuse it: SNMP defines no tag
		// that needs it, so only a broken or hostile sender writes it.
		return element{}, malformed(ReasonHighTag, pos)
	}
	if pos+1 >= limit {
		return element{}, malformed(ReasonTruncated, pos)
	}
	first := buf[pos+1]
	content := pos + 2
	var length uint64
	switch {
	case first < 0x80:
		length = uint64(first)
	case first == 0x80:
		return element{}, malformed(ReasonIndefiniteLength, pos)
	default:
		n := int(first & 0x7f)
		if n > maxLengthOctets {
			return element{}, malformed(ReasonLengthOfLength, pos)
		}
		if n > limit-content {
			return element{}, malformed(ReasonTruncated, pos)
		}
		for _, c := range buf[content : content+n] {
			length = length<<8 | uint64(c)
		}
		content += n
	}
	if length > uint64(limit-content) {
		return element{}, malformed(ReasonLengthPastEnd, pos)
	}
	return element{tag: tag, start: pos, content: content, end: content + int(length)}, nil
}

// seq walks the elements inside the content of a constructed element,
// buf[pos:end].
type seq struct {
	buf []byte
	pos int
	end int
}

// next reads the next element and moves past it.
func (s *seq) next() (element, *DecodeError) {
	e, err := readElement(s.buf, s.pos, s.end)
	if err != nil {
		return element{}, err
	}
	s.pos = e.end
	return e, nil
}

// expect reads the next element and requires its tag. The tag is checked
// before the length so that a misplaced element is reported as such, which
// says more than a length error would.
func (s *seq) expect(tag byte, reason string) (element, *DecodeError) {
	if s.pos < s.end && s.buf[s.pos] != tag {
		return element{}, malformed(reason, s.pos)
	}
	return s.next()
}

// finish requires that every element has been read.
func (s *seq) finish() *DecodeError {
	if s.pos != s.end {
		return malformed(ReasonTrailingBytes, s.pos)
	}
	return nil
}

// contentOf returns the content octets of e.
func (s *seq) contentOf(e element) []byte {
	return s.buf[e.content:e.end]
}

// int32 reads an INTEGER that must fit in 32 bits (request-id, error-status,
// generic-trap, ...).
func (s *seq) int32() (int32, *DecodeError) {
	e, err := s.expect(TagInteger, ReasonExpectedInteger)
	if err != nil {
		return 0, err
	}
	v, reason := parseInt32(s.contentOf(e))
	if reason != "" {
		return 0, malformed(reason, e.start)
	}
	return v, nil
}

// parseInt32 decodes two's-complement INTEGER content. Redundant leading
// octets are tolerated as long as the content fits in four octets; more than
// four cannot be an Integer32 (RFC 2578 §7.1.1). It returns a reason when the
// content is invalid.
func parseInt32(c []byte) (int32, string) {
	if len(c) == 0 {
		return 0, ReasonEmptyInteger
	}
	if len(c) > 4 {
		return 0, ReasonIntegerTooLarge
	}
	v := int32(int8(c[0])) // sign-extends the first octet
	for _, b := range c[1:] {
		v = v<<8 | int32(b)
	}
	return v, ""
}

// parseUint decodes the content of an unsigned type of at most size octets
// (Counter32, Gauge32, TimeTicks, Unsigned32: 4; Counter64: 8). One extra
// leading 0x00 is allowed because a value with its top bit set needs it to
// stay positive in two's complement.
//
// A value whose top bit is set without that 0x00 is, strictly, negative and
// out of range. It is read as the unsigned value of its octets, as gosnmp and
// net-snmp do: agents that write it mean the large value.
func parseUint(c []byte, size int) (uint64, string) {
	if len(c) == 0 {
		return 0, ReasonEmptyInteger
	}
	if len(c) == size+1 && c[0] == 0 {
		c = c[1:]
	}
	if len(c) > size {
		return 0, ReasonIntegerTooLarge
	}
	var v uint64
	for _, b := range c {
		v = v<<8 | uint64(b)
	}
	return v, ""
}
