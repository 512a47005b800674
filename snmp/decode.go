package snmp

// Decode decodes the SNMP message that fills b exactly. It resets m first,
// reusing (and overwriting) the array behind m.Varbinds, and makes every
// slice of m point into b: nothing is copied, and steady-state decoding does
// not allocate.
//
// Errors are *DecodeError:
//   - NotSNMP when b does not start with a SEQUENCE whose first element is an
//     INTEGER version 0..3;
//   - Malformed when the version was read but the rest breaks BER or the
//     message grammar;
//   - Unsupported for versions 2 (SNMPv2u/v2*) and 3, which are recognised
//     but not decoded further, and for unknown PDU tags in a well-formed
//     message.
//
// m.Version is set whenever the version was read, so the caller can label
// a refused message; the other fields of m are unspecified after an error.
//
// Both v1 and v2c messages may carry any PDU. Strictly, SNMPv1 (RFC 1157)
// has no GetBulk, Inform, SNMPv2-Trap or Report, and RFC 3416 marks the v1
// Trap-PDU tag obsolete, but each layout is unambiguous, so the choice is
// left to the caller, which sees Version and PDUType.
//
// Varbind values are kept raw, with these checks on their content:
//   - the value must be a primitive element with a single-octet tag;
//   - INTEGER holds 1..4 octets; Counter32, Gauge32, TimeTicks and
//     UInteger32 (0x47) 1..4, or 5 with a leading 0x00; Counter64 1..8, or 9
//     with a leading 0x00;
//   - OBJECT IDENTIFIER content is well formed (see AppendOID);
//   - NULL and the exceptions noSuchObject, noSuchInstance and endOfMibView
//     are empty.
//
// Other types are not checked: OCTET STRING, Opaque and NsapAddress hold any
// octets, and IpAddress any length, since agents send 0 or 16 octets and
// the trap is still worth counting. Consumers must check an IpAddress's length.
func (m *Message) Decode(b []byte) error {
	// Clearing the old varbinds drops their references to the previous
	// buffer; the slots beyond len are already zero.
	clear(m.Varbinds)
	*m = Message{Version: VersionUnknown, Varbinds: m.Varbinds[:0]}
	if err := m.decode(b); err != nil {
		return err // a non-nil *DecodeError, never a typed nil
	}
	return nil
}

func (m *Message) decode(b []byte) *DecodeError {
	version, afterVersion, err := readVersion(b)
	if err != nil {
		return err
	}
	m.Version = version

	msg, err := readElement(b, 0, len(b))
	if err != nil {
		return err
	}
	if msg.end != len(b) {
		return malformed(ReasonTrailingBytes, msg.end)
	}
	s := seq{buf: b, pos: afterVersion, end: msg.end}
	switch version {
	case V3:
		return m.decodeV3(b, &s)
	case V1, V2c:
	default:
		return unsupported(ReasonUnsupportedVersion, msg.start)
	}

	community, err := s.expect(TagOctetString, ReasonExpectedOctetString)
	if err != nil {
		return err
	}
	m.Community = s.contentOf(community)
	pdu, err := s.next()
	if err != nil {
		return err
	}
	if err := s.finish(); err != nil {
		return err
	}
	return m.decodePDU(b, pdu)
}

// readVersion recognises an SNMP message: a SEQUENCE whose first element is
// an INTEGER 0..3 (RFC 3412 §6 and its predecessors). It returns the version
// and the offset just past it.
//
// It looks past the outer length without judging it, so that a message with
// a broken outer length, or one cut short, still counts as SNMP: the caller
// then reports it as Malformed, with the version set.
func readVersion(b []byte) (Version, int, *DecodeError) {
	if len(b) == 0 || b[0] != TagSequence {
		return VersionUnknown, 0, notSNMP(ReasonNotSequence, 0)
	}
	pos := 2 // past the tag and the first length octet
	if len(b) > 1 && b[1] > 0x80 {
		pos += int(b[1] & 0x7f) // the long form's length octets
	}
	// Where the version should be; the input may end before that.
	off := min(pos, len(b))
	e, err := readElement(b, pos, len(b))
	if err != nil || e.tag != TagInteger {
		return VersionUnknown, 0, notSNMP(ReasonNoVersion, off)
	}
	v, reason := parseInt32(b[e.content:e.end])
	if reason != "" || v < 0 || v > 3 {
		return VersionUnknown, 0, notSNMP(ReasonNoVersion, off)
	}
	return Version(v), e.end, nil
}

// decodePDU decodes the PDU element that ends the message.
func (m *Message) decodePDU(b []byte, pdu element) *DecodeError {
	// PDUs are context-specific and constructed: 0xa0 | tag number.
	if pdu.tag&0xe0 != 0xa0 {
		return malformed(ReasonExpectedPDU, pdu.start)
	}
	m.PDUType = PDUType(pdu.tag)
	m.PDU = b[pdu.start:pdu.end]
	s := seq{buf: b, pos: pdu.content, end: pdu.end}
	switch m.PDUType {
	case PDUTrapV1:
		return m.decodeTrapV1(&s)
	case PDUGetRequest, PDUGetNextRequest, PDUResponse, PDUSetRequest,
		PDUGetBulkRequest, PDUInformRequest, PDUTrapV2, PDUReport:
		return m.decodeV2PDU(&s)
	}
	return unsupported(ReasonUnknownPDU, pdu.start)
}

// decodeV2PDU decodes the layout shared by every PDU but the v1 Trap-PDU
// (RFC 3416 §3). In a GetBulkRequest the second and third INTEGERs are
// non-repeaters and max-repetitions; they land in ErrorStatus and ErrorIndex.
func (m *Message) decodeV2PDU(s *seq) *DecodeError {
	var err *DecodeError
	if m.RequestID, err = s.int32(); err != nil {
		return err
	}
	if m.ErrorStatus, err = s.int32(); err != nil {
		return err
	}
	if m.ErrorIndex, err = s.int32(); err != nil {
		return err
	}
	return m.decodeVarbinds(s)
}

// decodeTrapV1 decodes the SNMPv1 Trap-PDU (RFC 1157 §4.1.6).
func (m *Message) decodeTrapV1(s *seq) *DecodeError {
	enterprise, err := s.expect(TagObjectIdentifier, ReasonExpectedOID)
	if err != nil {
		return err
	}
	if m.Enterprise, err = s.oid(enterprise); err != nil {
		return err
	}

	agent, err := s.expect(TagIPAddress, ReasonExpectedIPAddress)
	if err != nil {
		return err
	}
	if agent.end-agent.content != len(m.AgentAddr) {
		return malformed(ReasonBadIPAddress, agent.start)
	}
	copy(m.AgentAddr[:], s.contentOf(agent))

	if m.GenericTrap, err = s.int32(); err != nil {
		return err
	}
	if m.SpecificTrap, err = s.int32(); err != nil {
		return err
	}

	ts, err := s.expect(TagTimeTicks, ReasonExpectedTimeTicks)
	if err != nil {
		return err
	}
	v, reason := parseUint(s.contentOf(ts), 4)
	if reason != "" {
		return malformed(reason, ts.start)
	}
	m.TimeStamp = uint32(v)

	return m.decodeVarbinds(s)
}

// decodeVarbinds decodes the variable-bindings SEQUENCE, which must be the
// last element of the PDU.
func (m *Message) decodeVarbinds(s *seq) *DecodeError {
	list, err := s.expect(TagSequence, ReasonExpectedSequence)
	if err != nil {
		return err
	}
	if err := s.finish(); err != nil {
		return err
	}
	// On an error m.Varbinds keeps the varbinds read so far, as when they
	// were appended through m: the next Decode clears them, so the slots
	// beyond len stay zero and hold no reference to this buffer.
	m.Varbinds, err = decodeVarbindList(m.Varbinds, s.buf, list.content, list.end)
	return err
}

// decodeVarbindList appends the varbinds in buf[pos:end] to vbs. It returns
// those read so far with an error.
//
// The loop works on indices into buf rather than through seq values:
// the same checks in the same order, but building a seq per varbind
// and appending through m cost a third of the decode profile.
func decodeVarbindList(vbs []Varbind, buf []byte, pos, end int) ([]Varbind, *DecodeError) {
	for pos < end {
		if buf[pos] != TagSequence {
			return vbs, malformed(ReasonExpectedSequence, pos)
		}
		vb, err := readElement(buf, pos, end)
		if err != nil {
			return vbs, err
		}
		pos = vb.end
		if vb.content < vb.end && buf[vb.content] != TagObjectIdentifier {
			return vbs, malformed(ReasonExpectedOID, vb.content)
		}
		name, err := readElement(buf, vb.content, vb.end)
		if err != nil {
			return vbs, err
		}
		oid := buf[name.content:name.end]
		if reason, off := checkOID(oid); reason != "" {
			return vbs, malformed(reason, name.content+off)
		}
		value, err := readElement(buf, name.end, vb.end)
		if err != nil {
			return vbs, err
		}
		content := buf[value.content:value.end]
		if err := checkValue(value, content); err != nil {
			return vbs, err
		}
		if value.end != vb.end {
			return vbs, malformed(ReasonTrailingBytes, value.end)
		}
		vbs = append(vbs, Varbind{OID: oid, Type: value.tag, Value: content})
	}
	return vbs, nil
}

// oid returns the content of e after checking that it is a well-formed OID.
func (s *seq) oid(e element) ([]byte, *DecodeError) {
	c := s.contentOf(e)
	if reason, off := checkOID(c); reason != "" {
		return nil, malformed(reason, e.content+off)
	}
	return c, nil
}

// checkValue applies the cheap content checks listed on Decode to a varbind
// value.
func checkValue(e element, c []byte) *DecodeError {
	const constructed = 0x20
	if e.tag&constructed != 0 {
		return malformed(ReasonConstructedValue, e.start)
	}
	reason := ""
	off := e.start
	switch e.tag {
	case TagInteger:
		_, reason = parseInt32(c)
	case TagCounter32, TagGauge32, TagTimeTicks, TagUInteger32:
		_, reason = parseUint(c, 4)
	case TagCounter64:
		_, reason = parseUint(c, 8)
	case TagObjectIdentifier:
		var i int
		reason, i = checkOID(c)
		off = e.content + i
	case TagNull, TagNoSuchObject, TagNoSuchInstance, TagEndOfMibView:
		if len(c) != 0 {
			reason = ReasonNullWithContent
		}
	}
	if reason != "" {
		return malformed(reason, off)
	}
	return nil
}
