package snmp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// FuzzDecode feeds arbitrary datagrams to Decode. Besides never panicking,
// it checks that errors are well formed, and that a decoded message can be
// identified, answered and re-encoded, with the results decoding back to the
// same fields.
//
// Seeds: the messages below, and in testdata/fuzz/FuzzDecode packets copied
// from the shared fixture captures (see testdata/README.md).
func FuzzDecode(f *testing.F) {
	for _, b := range [][]byte{
		linkDownV2c(),
		linkDownV1(),
		AppendTrapV2(nil, V2c, []byte("public"), PDUInformRequest, 5, testfixtures.LinkDownVarbinds[Varbind]()),
		message(1, "public", v2PDU(PDUGetBulkRequest, 10, 1, 25, vb("1.3.6.1.2.1.2.2.1.2", tlv(TagNull)))),
		message(1, "public", v2PDU(PDUResponse, 11, 2, 1,
			vb("1.3.6.1.2.1.31.1.1.1.6.1", tlv(TagCounter64, hx("00 ff ff ff ff ff ff ff ff"))),
			vb("1.3.6.1.2.1.1.9.0", tlv(TagNoSuchObject)))),
		hx("30 82 00 2e 02 01 01 04 81 01 63 a6 84 00 00 00 21 02 02 00 07 02 01 00 02 01 00 30 81 14" +
			"30 12 06 0a 2b 06 01 06 03 01 01 04 01 00 06 83 00 00 01 2b"),
		tlv(TagSequence, integer(3), tlv(TagSequence, integer(1), integer(1500), octets("\x04"), integer(3)), octets(""), tlv(TagSequence)),
		hx("30 84 7f ff ff ff 02 01 01"),
		// An engine-discovery probe with msgMaxSize 100 (refused: below
		// 484), and the same at 483 and 484, the edge of the range.
		v3Probe(100), v3Probe(483), v3Probe(484),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		err := m.Decode(b)
		if err != nil {
			checkDecodeError(t, b, &m, err)
			return
		}
		if m.Version == V3 {
			checkV3(t, b, &m)
			return
		}
		if m.Version != V1 && m.Version != V2c {
			t.Fatalf("decoded version %v", m.Version)
		}
		if len(m.PDU) == 0 || m.PDU[0] != byte(m.PDUType) {
			t.Fatalf("PDU % x does not start with its type %#x", m.PDU, byte(m.PDUType))
		}
		checkTrapOID(t, &m)
		checkResponse(t, &m)
		checkReencode(t, &m)
	})
}

// v3Probe is an SNMPv3 engine-discovery probe as net-snmp sends it (empty
// engine ID and user, noAuthNoPriv, reportable, an empty GetRequest) with
// the given msgMaxSize.
func v3Probe(maxSize int32) []byte {
	b, _ := AppendV3(nil, &V3Header{MsgID: 100, MaxSize: maxSize, Flags: FlagReportable},
		AppendScopedPDU(nil, nil, nil, PDUGetRequest, 100, 0, 0, nil))
	return b
}

func checkDecodeError(t *testing.T, b []byte, m *Message, err error) {
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is a %T", err, err)
	}
	if de.Offset < 0 || de.Offset > len(b) {
		t.Fatalf("offset %d outside the %d-byte input: %v", de.Offset, len(b), err)
	}
	switch de.Kind {
	case NotSNMP:
		if m.Version != VersionUnknown {
			t.Fatalf("NotSNMP with version %v", m.Version)
		}
	case Malformed, Unsupported:
		if m.Version < V1 || m.Version > V3 {
			t.Fatalf("%v with version %v", de.Kind, m.Version)
		}
	default:
		t.Fatalf("unknown kind in %v", err)
	}
}

// checkTrapOID: a notification's identity, when found, is a valid OID.
func checkTrapOID(t *testing.T, m *Message) {
	id, err := m.TrapOID(nil)
	if err != nil {
		return
	}
	if _, err := AppendOID(nil, id); err != nil {
		t.Fatalf("TrapOID % x is not an OID: %v", id, err)
	}
}

// checkResponse: the response decodes, and echoes the request.
func checkResponse(t *testing.T, m *Message) {
	resp := AppendResponse(nil, m)
	var r Message
	if err := r.Decode(resp); err != nil {
		t.Fatalf("response % x does not decode: %v", resp, err)
	}
	if r.Version != m.Version || !bytes.Equal(r.Community, m.Community) || r.PDUType != PDUResponse ||
		r.RequestID != m.RequestID || r.ErrorStatus != 0 || r.ErrorIndex != 0 {
		t.Fatalf("response header differs: %+v for %+v", r, m)
	}
	sameVarbinds(t, r.Varbinds, m.Varbinds)
}

// checkReencode: encoding the decoded fields again gives a message that
// decodes to the same fields.
func checkReencode(t *testing.T, m *Message) {
	var b []byte
	if m.PDUType == PDUTrapV1 {
		b = AppendTrapV1(nil, m.Community, m.Enterprise, m.AgentAddr, m.GenericTrap, m.SpecificTrap, m.TimeStamp, m.Varbinds)
	} else {
		b = AppendTrapV2(nil, m.Version, m.Community, m.PDUType, m.RequestID, m.Varbinds)
	}
	var r Message
	if err := r.Decode(b); err != nil {
		t.Fatalf("re-encoded % x does not decode: %v", b, err)
	}
	// AppendTrapV1 always writes an SNMPv1 message, even for a Trap-PDU
	// that came in a v2c one.
	wantVersion := m.Version
	if m.PDUType == PDUTrapV1 {
		wantVersion = V1
	}
	if r.Version != wantVersion || !bytes.Equal(r.Community, m.Community) || r.PDUType != m.PDUType ||
		r.RequestID != m.RequestID || !bytes.Equal(r.Enterprise, m.Enterprise) || r.AgentAddr != m.AgentAddr ||
		r.GenericTrap != m.GenericTrap || r.SpecificTrap != m.SpecificTrap || r.TimeStamp != m.TimeStamp {
		t.Fatalf("re-encoded header differs: %+v for %+v", r, m)
	}
	sameVarbinds(t, r.Varbinds, m.Varbinds)
}

func sameVarbinds(t *testing.T, got, want []Varbind) {
	if len(got) != len(want) {
		t.Fatalf("%d varbinds, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].OID, want[i].OID) || got[i].Type != want[i].Type || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Fatalf("varbind %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// checkV3: a decoded SNMPv3 message has either an encrypted scoped PDU or a
// decoded PDU, and its MAC offset points at its authentication parameters.
func checkV3(t *testing.T, b []byte, m *Message) {
	v := &m.V3
	if v.MaxSize < minMsgMaxSize {
		t.Fatalf("decoded msgMaxSize %d, below %d", v.MaxSize, minMsgMaxSize)
	}
	if v.AuthOffset < 0 || v.AuthOffset+len(v.AuthParams) > len(b) ||
		!bytes.Equal(b[v.AuthOffset:v.AuthOffset+len(v.AuthParams)], v.AuthParams) {
		t.Fatalf("AuthOffset %d does not locate the authentication parameters", v.AuthOffset)
	}
	if v.Priv() {
		if !v.Auth() || m.PDU != nil {
			t.Fatalf("encrypted message: flags %#x, PDU % x", v.Flags, m.PDU)
		}
		return
	}
	if len(m.PDU) == 0 || m.PDU[0] != byte(m.PDUType) {
		t.Fatalf("PDU % x does not start with its type %#x", m.PDU, byte(m.PDUType))
	}
	checkTrapOID(t, m)
}
