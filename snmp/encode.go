package snmp

import "slices"

// The encoders write DER-style minimal lengths and integers. Sizes are
// computed first, bottom up, so that each header is written once, in order,
// and dst grows at most once.
//
// They do not validate their input: OIDs and values are written as given,
// so the caller must pass valid OID content (see ParseOID) and value content
// that suits the type (see IntegerValue and UnsignedValue).

// AppendResponse appends the Response-PDU that acknowledges the
// InformRequest in m (RFC 3416 §4.2.7): the same version, community and
// request-id, error-status and error-index 0, and the received varbinds
// re-encoded verbatim. It does not allocate when dst has room.
func AppendResponse(dst []byte, m *Message) []byte {
	return appendMessage(dst, m.Version, m.Community, PDUResponse, m.RequestID, m.Varbinds)
}

// AppendTrapV2 appends a v1 or v2c message holding a PDU with the shared
// layout of RFC 3416 §3; pdu is meant to be PDUTrapV2 or PDUInformRequest.
// error-status and error-index are 0. An SNMPv2-Trap should start with
// sysUpTime.0 and snmpTrapOID.0 (RFC 3416 §4.2.6); that is left to the
// caller, so that tests can build messages that break the rule.
func AppendTrapV2(dst []byte, version Version, community []byte, pdu PDUType, requestID int32, vbs []Varbind) []byte {
	return appendMessage(dst, version, community, pdu, requestID, vbs)
}

// AppendTrapV1 appends an SNMPv1 message holding a Trap-PDU (RFC 1157
// §4.1.6). enterprise is OID content.
func AppendTrapV1(dst []byte, community []byte, enterprise []byte, agent [4]byte, generic, specific int32, timestamp uint32, vbs []Varbind) []byte {
	vbl := varbindsSize(vbs)
	pdu := tlvSize(len(enterprise)) + tlvSize(len(agent)) +
		intSize(int64(generic)) + intSize(int64(specific)) + uintSize(uint64(timestamp)) +
		tlvSize(vbl)
	msg := intSize(int64(V1)) + tlvSize(len(community)) + tlvSize(pdu)

	dst = slices.Grow(dst, tlvSize(msg))
	dst = appendHeader(dst, TagSequence, msg)
	dst = appendInt(dst, TagInteger, int64(V1))
	dst = appendTLV(dst, TagOctetString, community)
	dst = appendHeader(dst, byte(PDUTrapV1), pdu)
	dst = appendTLV(dst, TagObjectIdentifier, enterprise)
	dst = appendTLV(dst, TagIPAddress, agent[:])
	dst = appendInt(dst, TagInteger, int64(generic))
	dst = appendInt(dst, TagInteger, int64(specific))
	dst = appendUint(dst, TagTimeTicks, uint64(timestamp))
	return appendVarbinds(dst, vbs, vbl)
}

// IntegerValue returns the content octets of an INTEGER (TagInteger) with
// value v, in the fewest octets. It allocates; it is meant for building
// messages, not for hot paths.
func IntegerValue(v int64) []byte {
	return appendIntContent(make([]byte, 0, 8), v)
}

// UnsignedValue returns the content octets of an unsigned type (Counter32,
// Gauge32, TimeTicks, Counter64) with value v: the fewest octets, plus a
// leading 0x00 when the top bit would otherwise be set, since the encoding
// is two's complement. It allocates, like IntegerValue.
func UnsignedValue(v uint64) []byte {
	return appendUintContent(make([]byte, 0, 9), v)
}

// appendMessage appends a message holding a PDU with the RFC 3416 §3 layout
// and error-status and error-index 0.
func appendMessage(dst []byte, version Version, community []byte, pduType PDUType, requestID int32, vbs []Varbind) []byte {
	vbl := varbindsSize(vbs)
	pdu := intSize(int64(requestID)) + intSize(0) + intSize(0) + tlvSize(vbl)
	msg := intSize(int64(version)) + tlvSize(len(community)) + tlvSize(pdu)

	dst = slices.Grow(dst, tlvSize(msg))
	dst = appendHeader(dst, TagSequence, msg)
	dst = appendInt(dst, TagInteger, int64(version))
	dst = appendTLV(dst, TagOctetString, community)
	dst = appendHeader(dst, byte(pduType), pdu)
	dst = appendInt(dst, TagInteger, int64(requestID))
	dst = appendInt(dst, TagInteger, 0) // error-status
	dst = appendInt(dst, TagInteger, 0) // error-index
	return appendVarbinds(dst, vbs, vbl)
}

// varbindsSize returns the content length of the variable-bindings SEQUENCE.
func varbindsSize(vbs []Varbind) int {
	n := 0
	for _, vb := range vbs {
		n += tlvSize(varbindSize(vb))
	}
	return n
}

// varbindSize returns the content length of one varbind SEQUENCE.
func varbindSize(vb Varbind) int {
	return tlvSize(len(vb.OID)) + tlvSize(len(vb.Value))
}

// appendVarbinds appends the variable-bindings SEQUENCE, whose content
// length size the caller has computed with varbindsSize.
func appendVarbinds(dst []byte, vbs []Varbind, size int) []byte {
	dst = appendHeader(dst, TagSequence, size)
	for _, vb := range vbs {
		dst = appendHeader(dst, TagSequence, varbindSize(vb))
		dst = appendTLV(dst, TagObjectIdentifier, vb.OID)
		dst = appendTLV(dst, vb.Type, vb.Value)
	}
	return dst
}

// tlvSize returns the size of an element with n content octets.
func tlvSize(n int) int {
	return 1 + lengthSize(n) + n
}

// lengthSize returns the size of the minimal length encoding of n.
func lengthSize(n int) int {
	size := 1
	if n >= 0x80 {
		for ; n > 0; n >>= 8 {
			size++
		}
	}
	return size
}

// appendHeader appends a tag and the minimal encoding of length n.
func appendHeader(dst []byte, tag byte, n int) []byte {
	dst = append(dst, tag)
	if n < 0x80 {
		return append(dst, byte(n))
	}
	octets := lengthSize(n) - 1
	dst = append(dst, 0x80|byte(octets))
	for i := octets - 1; i >= 0; i-- {
		dst = append(dst, byte(n>>(8*i)))
	}
	return dst
}

// appendTLV appends a whole primitive element.
func appendTLV(dst []byte, tag byte, content []byte) []byte {
	return append(appendHeader(dst, tag, len(content)), content...)
}

// intContentSize returns the fewest two's-complement octets that hold v.
func intContentSize(v int64) int {
	n := 1
	// Each extra octet is needed while v does not fit in the signed range
	// of the octets so far.
	for v < -0x80 || v > 0x7f {
		v >>= 8
		n++
	}
	return n
}

// intSize returns the size of an INTEGER element holding v.
func intSize(v int64) int {
	return tlvSize(intContentSize(v))
}

func appendIntContent(dst []byte, v int64) []byte {
	for i := intContentSize(v) - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

func appendInt(dst []byte, tag byte, v int64) []byte {
	dst = appendHeader(dst, tag, intContentSize(v))
	return appendIntContent(dst, v)
}

// uintContentSize returns the fewest octets that hold v as a non-negative
// two's-complement number.
func uintContentSize(v uint64) int {
	n := 1
	for v > 0x7f {
		v >>= 8
		n++
	}
	return n
}

// uintSize returns the size of an unsigned element holding v.
func uintSize(v uint64) int {
	return tlvSize(uintContentSize(v))
}

func appendUintContent(dst []byte, v uint64) []byte {
	n := uintContentSize(v)
	for i := n - 1; i >= 0; i-- {
		// For n == 9 the first octet is v>>64, which Go defines as 0.
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

func appendUint(dst []byte, tag byte, v uint64) []byte {
	dst = appendHeader(dst, tag, uintContentSize(v))
	return appendUintContent(dst, v)
}
