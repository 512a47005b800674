package snmp

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

func TestDecodePDUKinds(t *testing.T) {
	ip := tlv(TagIPAddress, []byte{10, 0, 0, 1})
	tests := []struct {
		name string
		in   []byte
		want msgSum
	}{
		{
			name: "v1 Trap-PDU, SynOptics enterprise-specific",
			in: message(0, "public", tlv(byte(PDUTrapV1),
				oidElem(oidSynOptics), ip, integer(6), integer(4), tlv(TagTimeTicks, hx("01 00")),
				tlv(TagSequence, vb("1.3.6.1.4.1.45.1.6.3.1.0", integer(5))))),
			want: msgSum{
				Version: V1, Community: "public", PDUType: PDUTrapV1,
				Enterprise: oidSynOptics, AgentAddr: [4]byte{10, 0, 0, 1},
				GenericTrap: 6, SpecificTrap: 4, TimeStamp: 256,
				Varbinds: []vbSum{{"1.3.6.1.4.1.45.1.6.3.1.0", TagInteger, "\x05"}},
			},
		},
		{
			name: "v1 Trap-PDU without varbinds, TimeTicks with a sign octet",
			in: message(0, "public", tlv(byte(PDUTrapV1),
				oidElem("1.3.6.1.4.1.8072.3.2.10"), ip, integer(0), integer(0),
				tlv(TagTimeTicks, hx("00 ff ff ff ff")), tlv(TagSequence))),
			want: msgSum{
				Version: V1, Community: "public", PDUType: PDUTrapV1,
				Enterprise: "1.3.6.1.4.1.8072.3.2.10", AgentAddr: [4]byte{10, 0, 0, 1},
				TimeStamp: 0xffffffff,
			},
		},
		{
			name: "v2c SNMPv2-Trap linkDown",
			in: message(1, "public", v2PDU(PDUTrapV2, 1234, 0, 0,
				vb(oidSysUpTime0, tlv(TagTimeTicks, hx("01 02 03"))),
				vb(oidSnmpTrapOID0, oidElem(oidLinkDown)),
				vb(oidIfIndex2, integer(2)),
				vb(oidIfDescr2, octets("eth0")))),
			want: msgSum{
				Version: V2c, Community: "public", PDUType: PDUTrapV2, RequestID: 1234,
				Varbinds: []vbSum{
					{oidSysUpTime0, TagTimeTicks, "\x01\x02\x03"},
					{oidSnmpTrapOID0, TagObjectIdentifier, oidLinkDown},
					{oidIfIndex2, TagInteger, "\x02"},
					{oidIfDescr2, TagOctetString, "eth0"},
				},
			},
		},
		{
			name: "v2c InformRequest, negative request-id",
			in: message(1, "private", v2PDU(PDUInformRequest, -2147483648, 0, 0,
				vb(oidSysUpTime0, tlv(TagTimeTicks, hx("00"))),
				vb(oidSnmpTrapOID0, oidElem("1.3.6.1.4.1.8072.2.3.0.1")))),
			want: msgSum{
				Version: V2c, Community: "private", PDUType: PDUInformRequest, RequestID: -2147483648,
				Varbinds: []vbSum{
					{oidSysUpTime0, TagTimeTicks, "\x00"},
					{oidSnmpTrapOID0, TagObjectIdentifier, "1.3.6.1.4.1.8072.2.3.0.1"},
				},
			},
		},
		{
			name: "v2c GetRequest",
			in:   message(1, "public", v2PDU(PDUGetRequest, 7, 0, 0, vb(oidSysUpTime0, tlv(TagNull)))),
			want: msgSum{
				Version: V2c, Community: "public", PDUType: PDUGetRequest, RequestID: 7,
				Varbinds: []vbSum{{oidSysUpTime0, TagNull, ""}},
			},
		},
		{
			name: "v1 GetNextRequest",
			in:   message(0, "public", v2PDU(PDUGetNextRequest, 0x7fffffff, 0, 0, vb("1.3.6.1.2.1.1", tlv(TagNull)))),
			want: msgSum{
				Version: V1, Community: "public", PDUType: PDUGetNextRequest, RequestID: 0x7fffffff,
				Varbinds: []vbSum{{"1.3.6.1.2.1.1", TagNull, ""}},
			},
		},
		{
			name: "v2c SetRequest",
			in: message(1, "private", v2PDU(PDUSetRequest, 9, 0, 0,
				vb("1.3.6.1.2.1.1.6.0", octets("rack 4")),
				vb("1.3.6.1.2.1.2.2.1.7.3", integer(2)))),
			want: msgSum{
				Version: V2c, Community: "private", PDUType: PDUSetRequest, RequestID: 9,
				Varbinds: []vbSum{
					{"1.3.6.1.2.1.1.6.0", TagOctetString, "rack 4"},
					{"1.3.6.1.2.1.2.2.1.7.3", TagInteger, "\x02"},
				},
			},
		},
		{
			name: "v2c GetBulkRequest: non-repeaters and max-repetitions",
			in:   message(1, "public", v2PDU(PDUGetBulkRequest, 10, 1, 25, vb("1.3.6.1.2.1.2.2.1.2", tlv(TagNull)))),
			want: msgSum{
				Version: V2c, Community: "public", PDUType: PDUGetBulkRequest, RequestID: 10,
				ErrorStatus: 1, ErrorIndex: 25,
				Varbinds: []vbSum{{"1.3.6.1.2.1.2.2.1.2", TagNull, ""}},
			},
		},
		{
			name: "v2c Response with every value type",
			in: message(1, "public", v2PDU(PDUResponse, 11, 2, 1,
				vb("1.3.6.1.2.1.4.20.1.1.10.0.0.1", tlv(TagIPAddress, []byte{10, 0, 0, 1})),
				vb("1.3.6.1.2.1.2.2.1.10.1", tlv(TagCounter32, hx("00 ff ff ff ff"))),
				vb("1.3.6.1.2.1.2.2.1.5.1", tlv(TagGauge32, hx("3b 9a ca 00"))),
				vb("1.3.6.1.2.1.31.1.1.1.6.1", tlv(TagCounter64, hx("00 ff ff ff ff ff ff ff ff"))),
				vb("1.3.6.1.4.1.2021.10.1.6.1", tlv(TagOpaque, hx("9f 78 04 3f 80 00 00"))),
				vb("1.3.6.1.4.1.9.9.1", tlv(TagNsapAddress, hx("47 00 05"))),
				vb("1.3.6.1.4.1.9.9.2", tlv(TagUInteger32, hx("07"))),
				vb("1.3.6.1.2.1.1.2.0", oidElem("1.3.6.1.4.1.8072.3.2.10")),
				vb("1.3.6.1.2.1.1.9.0", tlv(TagNoSuchObject)),
				vb("1.3.6.1.2.1.1.9.1", tlv(TagNoSuchInstance)),
				vb("1.3.6.1.2.1.1.9.2", tlv(TagEndOfMibView)),
				vb("1.3.6.1.4.1.9.9.3", tlv(0x03, hx("00 c0"))), // BIT STRING: kept raw
				vb("1.3.6.1.4.1.9.9.4", tlv(0x87, hx("01"))),    // unknown context tag: kept raw
				vb("1.3.6.1.4.1.9.9.5", tlv(TagIPAddress, nil)), // IpAddress length is not checked
			)),
			want: msgSum{
				Version: V2c, Community: "public", PDUType: PDUResponse, RequestID: 11,
				ErrorStatus: 2, ErrorIndex: 1,
				Varbinds: []vbSum{
					{"1.3.6.1.2.1.4.20.1.1.10.0.0.1", TagIPAddress, "\x0a\x00\x00\x01"},
					{"1.3.6.1.2.1.2.2.1.10.1", TagCounter32, "\x00\xff\xff\xff\xff"},
					{"1.3.6.1.2.1.2.2.1.5.1", TagGauge32, "\x3b\x9a\xca\x00"},
					{"1.3.6.1.2.1.31.1.1.1.6.1", TagCounter64, "\x00\xff\xff\xff\xff\xff\xff\xff\xff"},
					{"1.3.6.1.4.1.2021.10.1.6.1", TagOpaque, "\x9f\x78\x04\x3f\x80\x00\x00"},
					{"1.3.6.1.4.1.9.9.1", TagNsapAddress, "\x47\x00\x05"},
					{"1.3.6.1.4.1.9.9.2", TagUInteger32, "\x07"},
					{"1.3.6.1.2.1.1.2.0", TagObjectIdentifier, "1.3.6.1.4.1.8072.3.2.10"},
					{"1.3.6.1.2.1.1.9.0", TagNoSuchObject, ""},
					{"1.3.6.1.2.1.1.9.1", TagNoSuchInstance, ""},
					{"1.3.6.1.2.1.1.9.2", TagEndOfMibView, ""},
					{"1.3.6.1.4.1.9.9.3", 0x03, "\x00\xc0"},
					{"1.3.6.1.4.1.9.9.4", 0x87, "\x01"},
					{"1.3.6.1.4.1.9.9.5", TagIPAddress, ""},
				},
			},
		},
		{
			name: "v2c Response with an empty varbind list",
			in:   message(1, "public", v2PDU(PDUResponse, 12, 1, 0)),
			want: msgSum{Version: V2c, Community: "public", PDUType: PDUResponse, RequestID: 12, ErrorStatus: 1},
		},
		{
			name: "v2c Report",
			in: message(1, "public", v2PDU(PDUReport, 13, 0, 0,
				vb("1.3.6.1.6.3.15.1.1.4.0", tlv(TagCounter32, hx("05"))))),
			want: msgSum{
				Version: V2c, Community: "public", PDUType: PDUReport, RequestID: 13,
				Varbinds: []vbSum{{"1.3.6.1.6.3.15.1.1.4.0", TagCounter32, "\x05"}},
			},
		},
		{
			name: "v1 message with an SNMPv2-Trap PDU is left to the caller",
			in:   message(0, "public", v2PDU(PDUTrapV2, 1, 0, 0)),
			want: msgSum{Version: V1, Community: "public", PDUType: PDUTrapV2, RequestID: 1},
		},
		{
			name: "empty community, largest OID arcs",
			in: message(1, "", v2PDU(PDUTrapV2, 1, 0, 0,
				vb("2.4294967295.4294967295", tlv(TagNull)))),
			want: msgSum{
				Version: V2c, PDUType: PDUTrapV2, RequestID: 1,
				Varbinds: []vbSum{{"2.4294967295.4294967295", TagNull, ""}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := m.Decode(tt.in); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := summarize(t, &m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode:\n got %+v\nwant %+v", got, tt.want)
			}
			// The PDU is the last element of the message.
			if !bytes.HasSuffix(tt.in, m.PDU) || len(m.PDU) == 0 || m.PDU[0] != byte(m.PDUType) {
				t.Errorf("PDU = % x, not the PDU element of % x", m.PDU, tt.in)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := v2cTrap(vb(oidSnmpTrapOID0, oidElem(oidLinkDown)))
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), valid...))
	}
	pdu := v2PDU(PDUTrapV2, 1, 0, 0)
	ip := tlv(TagIPAddress, []byte{127, 0, 0, 1})
	nullVB := func(value []byte) []byte { return v2cTrap(tlv(TagSequence, oidElem("1.3"), value)) }

	tests := []struct {
		name    string
		in      []byte
		kind    ErrorKind
		reason  string
		offset  int
		version Version
	}{
		// Not SNMP: no version could be read.
		{"empty input", nil, NotSNMP, ReasonNotSequence, 0, VersionUnknown},
		{"HTTP request", []byte("GET / HTTP/1.1\r\n\r\n"), NotSNMP, ReasonNotSequence, 0, VersionUnknown},
		{"SET instead of SEQUENCE", hx("31 03 02 01 01"), NotSNMP, ReasonNotSequence, 0, VersionUnknown},
		{"lone SEQUENCE tag", hx("30"), NotSNMP, ReasonNoVersion, 1, VersionUnknown},
		{"long length cut short", hx("30 84 00"), NotSNMP, ReasonNoVersion, 3, VersionUnknown},
		{"SEQUENCE with no content", hx("30 00"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"first element not INTEGER", hx("30 03 04 01 01"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"version 4", hx("30 03 02 01 04"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"negative version", hx("30 03 02 01 ff"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"empty version", hx("30 02 02 00"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"version over 4 octets", hx("30 07 02 05 00 00 00 00 01"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"version cut short", hx("30 03 02 01"), NotSNMP, ReasonNoVersion, 2, VersionUnknown},
		{"huge length, no version", hx("30 84 7f ff ff ff"), NotSNMP, ReasonNoVersion, 6, VersionUnknown},

		// Malformed outer framing, version known.
		{"huge length", hx("30 84 7f ff ff ff 02 01 01"), Malformed, ReasonLengthPastEnd, 0, V2c},
		{"outer length one past the end", mutate(func(b []byte) []byte { b[1]++; return b }), Malformed, ReasonLengthPastEnd, 0, V2c},
		{"indefinite outer length", hx("30 80 02 01 01 04 01 63 a7 00 00 00"), Malformed, ReasonIndefiniteLength, 0, V2c},
		{"length of length 5", hx("30 85 00 00 00 00 03 02 01 01"), Malformed, ReasonLengthOfLength, 0, V2c},
		{"trailing byte after the message", append(append([]byte(nil), valid...), 0), Malformed, ReasonTrailingBytes, len(valid), V2c},
		{"trailing element after the PDU", tlv(TagSequence, integer(1), octets("c"), pdu, tlv(TagNull)), Malformed, ReasonTrailingBytes, 8 + len(pdu), V2c},
		{"v1 trailing bytes", append(message(0, "c", pdu), 0, 0), Malformed, ReasonTrailingBytes, 8 + len(pdu), V1},

		// Community and PDU.
		{"missing community", hx("30 03 02 01 01"), Malformed, ReasonTruncated, 5, V2c},
		{"community not OCTET STRING", hx("30 06 02 01 01 02 01 00"), Malformed, ReasonExpectedOctetString, 5, V2c},
		{"community length past end", hx("30 06 02 01 01 04 05 63"), Malformed, ReasonLengthPastEnd, 5, V2c},
		{"missing PDU", hx("30 06 02 01 01 04 01 63"), Malformed, ReasonTruncated, 8, V2c},
		{"PDU cut in its length", hx("30 07 02 01 01 04 01 63 a7"), Malformed, ReasonTruncated, 8, V2c},
		{"PDU is a SEQUENCE", message(1, "c", tlv(TagSequence, integer(1))), Malformed, ReasonExpectedPDU, 8, V2c},
		{"PDU tag primitive", message(1, "c", tlv(0x87)), Malformed, ReasonExpectedPDU, 8, V2c},
		{"PDU tag in high-tag form", tlv(TagSequence, integer(1), octets("c"), hx("bf 04 00")), Malformed, ReasonHighTag, 8, V2c},
		{"PDU indefinite length", tlv(TagSequence, integer(1), octets("c"), hx("a7 80 02 01 01 00 00")), Malformed, ReasonIndefiniteLength, 8, V2c},
		{"PDU length past the message", tlv(TagSequence, integer(1), octets("c"), hx("a7 05 02 01 01")), Malformed, ReasonLengthPastEnd, 8, V2c},
		{"PDU long length cut short", tlv(TagSequence, integer(1), octets("c"), hx("a7 82 00")), Malformed, ReasonTruncated, 8, V2c},
		{"PDU length of length 5", tlv(TagSequence, integer(1), octets("c"), hx("a7 85 00 00 00 00 00")), Malformed, ReasonLengthOfLength, 8, V2c},
		{"unknown PDU tag 0xa9", v2cPDU(0xa9, integer(1)), Unsupported, ReasonUnknownPDU, 8, V2c},
		{"unknown PDU tag 0xbe", message(0, "c", tlv(0xbe)), Unsupported, ReasonUnknownPDU, 8, V1},
		{"unknown PDU tag, bad length", tlv(TagSequence, integer(1), octets("c"), hx("a9 05 00")), Malformed, ReasonLengthPastEnd, 8, V2c},

		// The RFC 3416 PDU layout.
		{"request-id not INTEGER", v2cPDU(0xa7, octets("x"), integer(0), integer(0), tlv(TagSequence)), Malformed, ReasonExpectedInteger, 10, V2c},
		{"empty request-id", v2cPDU(0xa7, hx("02 00"), integer(0), integer(0), tlv(TagSequence)), Malformed, ReasonEmptyInteger, 10, V2c},
		{"request-id over 4 octets", v2cPDU(0xa7, hx("02 05 00 80 00 00 00"), integer(0), integer(0), tlv(TagSequence)), Malformed, ReasonIntegerTooLarge, 10, V2c},
		{"error-status not INTEGER", v2cPDU(0xa7, integer(1), tlv(TagNull), integer(0), tlv(TagSequence)), Malformed, ReasonExpectedInteger, 13, V2c},
		{"missing error-index", v2cPDU(0xa7, integer(1), integer(0)), Malformed, ReasonTruncated, 16, V2c},
		{"missing varbind list", v2cPDU(0xa7, integer(1), integer(0), integer(0)), Malformed, ReasonTruncated, 19, V2c},
		{"varbind list not SEQUENCE", v2cPDU(0xa7, integer(1), integer(0), integer(0), octets("")), Malformed, ReasonExpectedSequence, 19, V2c},
		{"element after the varbind list", v2cPDU(0xa7, integer(1), integer(0), integer(0), tlv(TagSequence), tlv(TagNull)), Malformed, ReasonTrailingBytes, 21, V2c},

		// Varbinds.
		{"varbind not SEQUENCE", v2cTrap(oidElem("1.3")), Malformed, ReasonExpectedSequence, 21, V2c},
		{"empty varbind", v2cTrap(tlv(TagSequence)), Malformed, ReasonTruncated, 23, V2c},
		{"varbind name not OID", v2cTrap(tlv(TagSequence, octets("x"), tlv(TagNull))), Malformed, ReasonExpectedOID, 23, V2c},
		{"empty OID name", v2cTrap(tlv(TagSequence, tlv(TagObjectIdentifier), tlv(TagNull))), Malformed, ReasonEmptyOID, 25, V2c},
		{"OID subidentifier of 2^32", v2cTrap(tlv(TagSequence, tlv(TagObjectIdentifier, hx("2b 90 80 80 80 00")), tlv(TagNull))), Malformed, ReasonOIDOverflow, 30, V2c},
		{"OID first subidentifier of 2^32+80", v2cTrap(tlv(TagSequence, tlv(TagObjectIdentifier, hx("90 80 80 80 50")), tlv(TagNull))), Malformed, ReasonOIDOverflow, 29, V2c},
		{"OID subidentifier unterminated", v2cTrap(tlv(TagSequence, tlv(TagObjectIdentifier, hx("2b 86")), tlv(TagNull))), Malformed, ReasonOIDUnterminated, 26, V2c},
		{"OID subidentifier not minimal", v2cTrap(tlv(TagSequence, tlv(TagObjectIdentifier, hx("2b 80 01")), tlv(TagNull))), Malformed, ReasonOIDNotMinimal, 26, V2c},
		{"missing value", v2cTrap(tlv(TagSequence, oidElem("1.3"))), Malformed, ReasonTruncated, 26, V2c},
		{"extra element in varbind", v2cTrap(tlv(TagSequence, oidElem("1.3"), tlv(TagNull), tlv(TagNull))), Malformed, ReasonTrailingBytes, 28, V2c},
		{"value length past the varbind", nullVB(hx("04 05 61")), Malformed, ReasonLengthPastEnd, 26, V2c},
		{"constructed value", nullVB(tlv(TagSequence)), Malformed, ReasonConstructedValue, 26, V2c},
		{"value in high-tag form", nullVB(hx("5f 01 00")), Malformed, ReasonHighTag, 26, V2c},
		{"value with indefinite length", nullVB(hx("04 80")), Malformed, ReasonIndefiniteLength, 26, V2c},
		{"NULL with content", nullVB(hx("05 01 00")), Malformed, ReasonNullWithContent, 26, V2c},
		{"noSuchObject with content", nullVB(hx("80 01 00")), Malformed, ReasonNullWithContent, 26, V2c},
		{"endOfMibView with content", nullVB(hx("82 01 00")), Malformed, ReasonNullWithContent, 26, V2c},
		{"empty INTEGER value", nullVB(hx("02 00")), Malformed, ReasonEmptyInteger, 26, V2c},
		{"INTEGER value over 4 octets", nullVB(hx("02 05 00 ff ff ff ff")), Malformed, ReasonIntegerTooLarge, 26, V2c},
		{"empty Gauge32", nullVB(hx("42 00")), Malformed, ReasonEmptyInteger, 26, V2c},
		{"Counter32 of 5 octets, first not 0", nullVB(hx("41 05 01 00 00 00 00")), Malformed, ReasonIntegerTooLarge, 26, V2c},
		{"TimeTicks of 6 octets", nullVB(hx("43 06 00 00 00 00 00 01")), Malformed, ReasonIntegerTooLarge, 26, V2c},
		{"UInteger32 of 5 octets, first not 0", nullVB(hx("47 05 80 00 00 00 00")), Malformed, ReasonIntegerTooLarge, 26, V2c},
		{"Counter64 of 9 octets, first not 0", nullVB(hx("46 09 01 00 00 00 00 00 00 00 00")), Malformed, ReasonIntegerTooLarge, 26, V2c},
		{"empty OID value", nullVB(hx("06 00")), Malformed, ReasonEmptyOID, 28, V2c},
		{"OID value unterminated", nullVB(hx("06 03 2b 06 81")), Malformed, ReasonOIDUnterminated, 30, V2c},

		// The v1 Trap-PDU.
		{"enterprise not OID", v1TrapPDU(octets("x")), Malformed, ReasonExpectedOID, 10, V1},
		{"empty enterprise", v1TrapPDU(tlv(TagObjectIdentifier), ip), Malformed, ReasonEmptyOID, 12, V1},
		{"enterprise not minimal", v1TrapPDU(tlv(TagObjectIdentifier, hx("2b 80 06")), ip), Malformed, ReasonOIDNotMinimal, 13, V1},
		{"agent-addr of 5 octets", v1TrapPDU(oidElem("1.3"), tlv(TagIPAddress, []byte{1, 2, 3, 4, 5})), Malformed, ReasonBadIPAddress, 13, V1},
		{"empty agent-addr", v1TrapPDU(oidElem("1.3"), tlv(TagIPAddress)), Malformed, ReasonBadIPAddress, 13, V1},
		{"agent-addr as OCTET STRING", v1TrapPDU(oidElem("1.3"), octets("abcd")), Malformed, ReasonExpectedIPAddress, 13, V1},
		{"generic-trap not INTEGER", v1TrapPDU(oidElem("1.3"), ip, tlv(TagNull)), Malformed, ReasonExpectedInteger, 19, V1},
		{"specific-trap over 4 octets", v1TrapPDU(oidElem("1.3"), ip, integer(6), hx("02 05 00 80 00 00 00")), Malformed, ReasonIntegerTooLarge, 22, V1},
		{"time-stamp as INTEGER", v1TrapPDU(oidElem("1.3"), ip, integer(0), integer(0), integer(5), tlv(TagSequence)), Malformed, ReasonExpectedTimeTicks, 25, V1},
		{"time-stamp over 5 octets", v1TrapPDU(oidElem("1.3"), ip, integer(0), integer(0), tlv(TagTimeTicks, hx("01 00 00 00 00")), tlv(TagSequence)), Malformed, ReasonIntegerTooLarge, 25, V1},
		{"empty time-stamp", v1TrapPDU(oidElem("1.3"), ip, integer(0), integer(0), tlv(TagTimeTicks), tlv(TagSequence)), Malformed, ReasonEmptyInteger, 25, V1},
		{"v1 missing varbind list", v1TrapPDU(oidElem("1.3"), ip, integer(0), integer(0), tlv(TagTimeTicks, hx("05"))), Malformed, ReasonTruncated, 28, V1},

		// Version 2 is recognised, not decoded.
		{"version 2 (SNMPv2u/v2*)", message(2, "c", pdu), Unsupported, ReasonUnsupportedVersion, 0, Version(2)},
		{"version 3 with empty security parameters", tlv(TagSequence, integer(3),
			tlv(TagSequence, integer(1), integer(1500), octets("\x04"), integer(3)),
			octets(""), tlv(TagSequence)), Malformed, ReasonTruncated, 22, V3},
		{"version 3 with another security model", tlv(TagSequence, integer(3),
			tlv(TagSequence, integer(1), integer(1500), octets("\x04"), integer(2)),
			octets(""), tlv(TagSequence)), Unsupported, ReasonUnsupportedSecurityModel, 5, V3},
		{"version 3 cut short", hx("30 10 02 01 03 30 00"), Malformed, ReasonLengthPastEnd, 0, V3},
		{"version 3 with trailing bytes", hx("30 03 02 01 03 00"), Malformed, ReasonTrailingBytes, 5, V3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			err := m.Decode(tt.in)
			if err == nil {
				t.Fatalf("Decode(% x) succeeded: %+v", tt.in, summarize(t, &m))
			}
			de := decodeError(t, err)
			if de.Kind != tt.kind || de.Reason != tt.reason || de.Offset != tt.offset {
				t.Errorf("Decode(% x) = %v (%s, %q, %d), want (%s, %q, %d)",
					tt.in, err, de.Kind, de.Reason, de.Offset, tt.kind, tt.reason, tt.offset)
			}
			if m.Version != tt.version {
				t.Errorf("Version = %v, want %v", m.Version, tt.version)
			}
		})
	}
}

// TestDecodeTruncated decodes every proper prefix of valid messages whose
// outer length uses the long form. A prefix that still holds the version is
// Malformed; a shorter one is NotSNMP.
func TestDecodeTruncated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		msg     []byte
		version Version
	}{
		{"v2c trap", linkDownV2c(), V2c},
		{"v1 trap", linkDownV1(), V1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msg[1] != 0x81 {
				t.Fatalf("fixture has no long-form outer length: % x", tc.msg[:4])
			}
			const headerLen = 3 + 3 // 30 81 xx, 02 01 vv
			var m Message
			if err := m.Decode(tc.msg); err != nil {
				t.Fatalf("whole message: %v", err)
			}
			for n := 0; n < len(tc.msg); n++ {
				err := m.Decode(tc.msg[:n])
				if err == nil {
					t.Fatalf("prefix of %d bytes decoded", n)
				}
				de := decodeError(t, err)
				want := DecodeError{Kind: Malformed, Reason: ReasonLengthPastEnd, Offset: 0}
				wantVersion := tc.version
				switch {
				case n == 0:
					want = DecodeError{Kind: NotSNMP, Reason: ReasonNotSequence, Offset: 0}
					wantVersion = VersionUnknown
				case n < headerLen:
					// The offset is where the version should start (3), or
					// the end of the input when that comes first.
					want = DecodeError{Kind: NotSNMP, Reason: ReasonNoVersion, Offset: min(n, 3)}
					wantVersion = VersionUnknown
				}
				if *de != want || m.Version != wantVersion {
					t.Errorf("prefix of %d bytes: %v, version %v; want %v, version %v", n, de, m.Version, &want, wantVersion)
				}
			}
		})
	}
}

// TestDecodeNonMinimalLengths checks that BER's non-minimal definite lengths
// are accepted, and decode like the minimal ones.
func TestDecodeNonMinimalLengths(t *testing.T) {
	minimal := v2cTrap(vb(oidSnmpTrapOID0, oidElem(oidLinkDown)))
	var want Message
	if err := want.Decode(minimal); err != nil {
		t.Fatal(err)
	}
	// long writes an element with its length in exactly n octets.
	long := func(tag byte, n int, parts ...[]byte) []byte {
		var content []byte
		for _, p := range parts {
			content = append(content, p...)
		}
		out := []byte{tag, 0x80 | byte(n)}
		for i := n - 1; i >= 0; i-- {
			out = append(out, byte(len(content)>>(8*i)))
		}
		return append(out, content...)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"outer 30 82 00 xx", long(TagSequence, 2, integer(1), octets("c"), v2PDU(PDUTrapV2, 1, 0, 0, vb(oidSnmpTrapOID0, oidElem(oidLinkDown))))},
		{"outer 30 84 00 00 00 xx", long(TagSequence, 4, integer(1), octets("c"), v2PDU(PDUTrapV2, 1, 0, 0, vb(oidSnmpTrapOID0, oidElem(oidLinkDown))))},
		{"every element 81 xx", long(TagSequence, 1,
			long(TagInteger, 1, []byte{1}),
			long(TagOctetString, 1, []byte("c")),
			long(byte(PDUTrapV2), 1,
				long(TagInteger, 1, []byte{1}), long(TagInteger, 1, []byte{0}), long(TagInteger, 1, []byte{0}),
				long(TagSequence, 1, long(TagSequence, 1,
					long(TagObjectIdentifier, 1, MustParseOID(oidSnmpTrapOID0)),
					long(TagObjectIdentifier, 1, MustParseOID(oidLinkDown))))))},
		{"non-minimal integers", message(1, "c", tlv(byte(PDUTrapV2),
			hx("02 02 00 01"), hx("02 03 00 00 00"), hx("02 04 00 00 00 00"),
			tlv(TagSequence, vb(oidSnmpTrapOID0, oidElem(oidLinkDown)))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := m.Decode(tt.in); err != nil {
				t.Fatalf("Decode(% x): %v", tt.in, err)
			}
			if got, want := summarize(t, &m), summarize(t, &want); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestDecodeIntegers checks the values read from integer fields at their
// limits.
func TestDecodeIntegers(t *testing.T) {
	tests := []struct {
		name      string
		requestID []byte
		timeStamp []byte
		wantID    int32
		wantTS    uint32
	}{
		{"zero", hx("02 01 00"), hx("43 01 00"), 0, 0},
		{"minus one", hx("02 01 ff"), hx("43 02 00 ff"), -1, 255},
		{"32-bit limits", hx("02 04 80 00 00 00"), hx("43 05 00 ff ff ff ff"), -2147483648, 4294967295},
		{"redundant sign octets", hx("02 04 ff ff ff ff"), hx("43 04 00 00 00 01"), -1, 1},
		{"unsigned top bit without sign octet", hx("02 04 7f ff ff ff"), hx("43 04 80 00 00 00"), 2147483647, 2147483648},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v1 := v1TrapPDU(oidElem("1.3"), tlv(TagIPAddress, []byte{1, 2, 3, 4}), integer(0), integer(0), tt.timeStamp, tlv(TagSequence))
			v2 := v2cPDU(byte(PDUTrapV2), tt.requestID, integer(0), integer(0), tlv(TagSequence))
			var m Message
			if err := m.Decode(v1); err != nil {
				t.Fatalf("v1: %v", err)
			}
			if m.TimeStamp != tt.wantTS {
				t.Errorf("TimeStamp = %d, want %d", m.TimeStamp, tt.wantTS)
			}
			if err := m.Decode(v2); err != nil {
				t.Fatalf("v2c: %v", err)
			}
			if m.RequestID != tt.wantID {
				t.Errorf("RequestID = %d, want %d", m.RequestID, tt.wantID)
			}
		})
	}
}

// TestDecodeReuse checks that Decode resets the fields a previous message set
// and keeps the varbind slice's storage.
func TestDecodeReuse(t *testing.T) {
	var m Message
	if err := m.Decode(linkDownV1()); err != nil {
		t.Fatal(err)
	}
	if m.GenericTrap != 2 || len(m.Varbinds) != 4 {
		t.Fatalf("v1 decode: %+v", summarize(t, &m))
	}
	storage := &m.Varbinds[:1][0]

	if err := m.Decode(v2cTrap(vb(oidSnmpTrapOID0, oidElem(oidLinkDown)))); err != nil {
		t.Fatal(err)
	}
	want := msgSum{Version: V2c, Community: "c", PDUType: PDUTrapV2, RequestID: 1,
		Varbinds: []vbSum{{oidSnmpTrapOID0, TagObjectIdentifier, oidLinkDown}}}
	if got := summarize(t, &m); !reflect.DeepEqual(got, want) {
		t.Errorf("after reuse got %+v, want %+v", got, want)
	}
	if &m.Varbinds[0] != storage {
		t.Error("Decode did not reuse the varbind storage")
	}
	// Slots past the new length no longer point at the old message.
	if old := m.Varbinds[:4][3]; old.OID != nil || old.Value != nil {
		t.Errorf("stale varbind kept: %+v", old)
	}

	err := m.Decode([]byte("junk"))
	if de := decodeError(t, err); de.Kind != NotSNMP {
		t.Fatalf("junk: %v", err)
	}
	if got := summarize(t, &m); !reflect.DeepEqual(got, msgSum{Version: VersionUnknown}) {
		t.Errorf("after an error the message was not reset: %+v", got)
	}
}

// TestDecodeDoesNotCopy checks that the message's slices point into the
// input.
func TestDecodeDoesNotCopy(t *testing.T) {
	b := linkDownV2c()
	var m Message
	if err := m.Decode(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	for name, s := range map[string][]byte{
		"Community": m.Community, "PDU": m.PDU,
		"OID": m.Varbinds[5].OID, "Value": m.Varbinds[5].Value,
	} {
		if !bytes.Contains(b, s) {
			t.Errorf("%s = % x is a copy", name, s)
		}
	}
	if string(m.Community) == "public" {
		t.Error("Community is a copy")
	}
}

func TestDecodeZeroAllocs(t *testing.T) {
	for name, msg := range map[string][]byte{"v2c": linkDownV2c(), "v1": linkDownV1()} {
		var m Message
		buf := make([]byte, 0, 64)
		if err := m.Decode(msg); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if err := m.Decode(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := m.TrapOID(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Decode+TrapOID allocated %v times per run", name, allocs)
		}
	}
}

func TestDecodeErrorString(t *testing.T) {
	err := (&Message{}).Decode(hx("30 03 02 01 01"))
	if got, want := err.Error(), "malformed: truncated at byte 5"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestDecodeErrorLeavesNoVarbindsBehind: Decode relies on the slots
// of m.Varbinds beyond its length being zero, so that clearing m.Varbinds
// drops every reference to the previous buffer. A message whose varbind
// list breaks after some good varbinds must not leave those varbinds in the
// backing array past len, where no later Decode clears them and they keep
// the buffer (a pooled scratch's, a TCP connection's) alive.
func TestDecodeErrorLeavesNoVarbindsBehind(t *testing.T) {
	vbs := testfixtures.LinkDownVarbinds[Varbind]()
	good := AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1, vbs)
	// Break the last octet: the last varbind's value content. Making the
	// whole message one octet shorter would change the outer lengths, so
	// instead the last varbind's value becomes a NULL with content.
	last := vbs[len(vbs)-1]
	bad := AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1,
		append(vbs[:len(vbs)-1:len(vbs)-1], Varbind{OID: last.OID, Type: TagNull, Value: []byte{1}}))

	m := Message{Varbinds: make([]Varbind, 0, 32)}
	if err := m.Decode(bad); err == nil {
		t.Fatal("the broken message decoded")
	}
	// The varbinds read before the error are within len (the caller may
	// not use them), so the next Decode, whatever it decodes, drops them.
	if err := m.Decode([]byte{0x04, 0x00}); err == nil {
		t.Fatal("not SNMP decoded")
	}
	for i, vb := range m.Varbinds[:cap(m.Varbinds)] {
		if vb.OID != nil || vb.Value != nil {
			t.Fatalf("after a failed Decode and another Decode, slot %d of the varbinds (len %d) still points into the first message", i, len(m.Varbinds))
		}
	}
	// And the next Decode still sees exactly its own varbinds.
	if err := m.Decode(good); err != nil {
		t.Fatal(err)
	}
	if len(m.Varbinds) != len(vbs) {
		t.Fatalf("%d varbinds, want %d", len(m.Varbinds), len(vbs))
	}
}
