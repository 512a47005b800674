package snmp

import (
	"bytes"
	"errors"
	"testing"
)

func TestV3RoundTrip(t *testing.T) {
	vbs := []Varbind{
		{OID: MustParseOID("1.3.6.1.2.1.1.3.0"), Type: TagTimeTicks, Value: UnsignedValue(42)},
		{OID: MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: TagObjectIdentifier, Value: MustParseOID("1.3.6.1.6.3.1.1.5.3")},
	}
	engine := []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 1, 2, 3, 4}
	scoped := AppendScopedPDU(nil, engine, []byte("ctx"), PDUInformRequest, 77, 0, 0, vbs)

	for _, tc := range []struct {
		name  string
		flags byte
		mac   int
		priv  []byte
	}{
		{"noAuthNoPriv", FlagReportable, 0, nil},
		{"authNoPriv", FlagAuth | FlagReportable, 12, nil},
		{"authPriv", FlagAuth | FlagPriv | FlagReportable, 24, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &V3Header{MsgID: 1234, MaxSize: 65507, Flags: tc.flags, EngineID: engine, Boots: 3, Time: 456789,
				UserName: []byte("ops"), MACLen: tc.mac, PrivParams: tc.priv}
			data := scoped
			if tc.flags&FlagPriv != 0 {
				data = []byte("ciphertext standing in for the scoped PDU")
			}
			b, macAt := AppendV3(nil, h, data)
			copy(b[macAt:], bytes.Repeat([]byte{0xaa}, tc.mac))

			var m Message
			if err := m.Decode(b); err != nil {
				t.Fatal(err)
			}
			v := &m.V3
			if m.Version != V3 || v.MsgID != 1234 || v.MaxSize != 65507 || v.Flags != tc.flags || v.SecurityModel != SecurityModelUSM ||
				!bytes.Equal(v.EngineID, engine) || v.EngineBoots != 3 || v.EngineTime != 456789 || string(v.UserName) != "ops" ||
				!bytes.Equal(v.PrivParams, tc.priv) || v.AuthOffset != macAt || !bytes.Equal(v.AuthParams, bytes.Repeat([]byte{0xaa}, tc.mac)) {
				t.Fatalf("decoded %+v (mac at %d)", v, macAt)
			}
			if tc.flags&FlagPriv != 0 {
				if !bytes.Equal(v.Encrypted, data) || m.PDU != nil {
					t.Fatalf("encrypted = %q, PDU % x", v.Encrypted, m.PDU)
				}
				// As if decrypted, with DES-style padding after the ScopedPDU.
				if err := m.DecodeScopedPDU(append(append([]byte{}, scoped...), 0, 0, 0)); err != nil {
					t.Fatal(err)
				}
			}
			if m.PDUType != PDUInformRequest || m.RequestID != 77 || len(m.Varbinds) != 2 ||
				!bytes.Equal(v.ContextEngineID, engine) || string(v.ContextName) != "ctx" {
				t.Fatalf("PDU %v request-id %d varbinds %d context %x/%q", m.PDUType, m.RequestID, len(m.Varbinds), v.ContextEngineID, v.ContextName)
			}
			id, err := m.TrapOID(nil)
			if err != nil || !bytes.Equal(id, MustParseOID("1.3.6.1.6.3.1.1.5.3")) {
				t.Errorf("TrapOID = %x, %v", id, err)
			}
		})
	}
}

func TestV3Errors(t *testing.T) {
	engine := []byte{0x80, 0, 0, 0, 1}
	build := func(flags byte, user string) []byte {
		b, _ := AppendV3(nil, &V3Header{MsgID: 1, MaxSize: 1500, Flags: flags, EngineID: engine, UserName: []byte(user)},
			AppendScopedPDU(nil, engine, nil, PDUTrapV2, 1, 0, 0, nil))
		return b
	}
	for _, tc := range []struct {
		name   string
		in     []byte
		kind   ErrorKind
		reason string
	}{
		{"priv without auth", build(FlagPriv, "u"), Malformed, ReasonBadMsgFlags},
		{"user name of 33 octets", build(0, "abcdefghijklmnopqrstuvwxyz0123456"), Malformed, ReasonUserNameTooLong},
	} {
		var m Message
		err := m.Decode(tc.in)
		var de *DecodeError
		if !errors.As(err, &de) || de.Kind != tc.kind || de.Reason != tc.reason || m.Version != V3 {
			t.Errorf("%s: %v (version %v), want %v %q", tc.name, err, m.Version, tc.kind, tc.reason)
		}
	}
	// Every prefix of a valid message is refused without panicking.
	full := build(FlagAuth, "user")
	for i := range full {
		var m Message
		if err := m.Decode(full[:i]); err == nil {
			t.Fatalf("prefix of %d bytes decoded", i)
		}
	}
	// A decrypted scoped PDU that is not a SEQUENCE is refused.
	var m Message
	if err := m.DecodeScopedPDU([]byte{0x04, 0x00}); err == nil {
		t.Error("DecodeScopedPDU accepted an OCTET STRING")
	}
}

// TestV3MsgMaxSize: RFC 3412 §6 defines msgMaxSize as INTEGER
// (484..2147483647); a message outside that range is malformed, and the
// error points at the msgMaxSize element.
func TestV3MsgMaxSize(t *testing.T) {
	engine := []byte{0x80, 0, 0, 0, 1}
	scoped := AppendScopedPDU(nil, engine, nil, PDUTrapV2, 1, 0, 0, nil)
	for _, tc := range []struct {
		size int32
		ok   bool
	}{
		{483, false},
		{484, true},
		{0, false},
		{-1, false},
		{-2147483648, false},
		{100, false},
		{1500, true},
		{65507, true},
		{2147483647, true},
	} {
		b, _ := AppendV3(nil, &V3Header{MsgID: 1, MaxSize: tc.size, Flags: FlagReportable, EngineID: engine}, scoped)
		var m Message
		err := m.Decode(b)
		if tc.ok {
			if err != nil || m.V3.MaxSize != tc.size {
				t.Errorf("msgMaxSize %d: %v (decoded %d), want accepted", tc.size, err, m.V3.MaxSize)
			}
			continue
		}
		// Where msgMaxSize starts: after the message header, msgVersion,
		// the msgGlobalData header and msgID.
		msg, _ := readElement(b, 0, len(b))
		ver, _ := readElement(b, msg.content, msg.end)
		global, _ := readElement(b, ver.end, msg.end)
		id, _ := readElement(b, global.content, global.end)
		var de *DecodeError
		if !errors.As(err, &de) || de.Kind != Malformed || de.Reason != ReasonBadMsgMaxSize || de.Offset != id.end || m.Version != V3 {
			t.Errorf("msgMaxSize %d: %v (version %v), want Malformed %q at offset %d", tc.size, err, m.Version, ReasonBadMsgMaxSize, id.end)
		}
	}
}
