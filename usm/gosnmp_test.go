package usm

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// This file checks this package against an independent implementation,
// gosnmp, in both directions: gosnmp sends and we open, we seal and gosnmp
// opens. gosnmp is the reference for the Reeder variants (its AES192C and
// AES256C, Cisco's AES-192/256); net-snmp checks them too (netsnmp_test.go).

var gosnmpAuth = map[AuthProtocol]gosnmp.SnmpV3AuthProtocol{
	AuthMD5: gosnmp.MD5, AuthSHA: gosnmp.SHA, AuthSHA224: gosnmp.SHA224,
	AuthSHA256: gosnmp.SHA256, AuthSHA384: gosnmp.SHA384, AuthSHA512: gosnmp.SHA512,
}

var gosnmpPriv = map[PrivProtocol]gosnmp.SnmpV3PrivProtocol{
	PrivNone: gosnmp.NoPriv, PrivDES: gosnmp.DES, PrivAES: gosnmp.AES,
	PrivAES192: gosnmp.AES192, PrivAES256: gosnmp.AES256,
	PrivAES192C: gosnmp.AES192C, PrivAES256C: gosnmp.AES256C,
}

const (
	gsUser     = "gosnmp-user"
	gsAuthPass = "gosnmp-auth-pass"
	gsPrivPass = "gosnmp-priv-pass"
	gsBoots    = 3
	gsTime     = 98765
)

var gsEngineID = []byte{0x80, 0x00, 0x00, 0x09, 0x03, 0x00, 0xaa, 0xbb, 0xcc, 0x00, 0x01, 0x00} // Cisco-style

func gosnmpParams(c creds) *gosnmp.UsmSecurityParameters {
	sp := &gosnmp.UsmSecurityParameters{
		UserName:                 gsUser,
		AuthenticationProtocol:   gosnmpAuth[c.auth],
		AuthenticationPassphrase: c.authPass,
		PrivacyProtocol:          gosnmpPriv[c.priv],
		AuthoritativeEngineID:    string(gsEngineID),
		AuthoritativeEngineBoots: gsBoots,
		AuthoritativeEngineTime:  gsTime,
	}
	if c.priv != PrivNone {
		sp.PrivacyPassphrase = c.privPass
	}
	return sp
}

func gosnmpFlags(c creds) gosnmp.SnmpV3MsgFlags {
	if c.priv == PrivNone {
		return gosnmp.AuthNoPriv
	}
	return gosnmp.AuthPriv
}

// gosnmpSend has gosnmp send an SNMPv3 trap to a socket on 127.0.0.1 and
// returns the datagram.
func gosnmpSend(t *testing.T, c creds) []byte {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	g := &gosnmp.GoSNMP{
		Target:             "127.0.0.1",
		Port:               uint16(conn.LocalAddr().(*net.UDPAddr).Port),
		Transport:          "udp",
		Version:            gosnmp.Version3,
		Timeout:            2 * time.Second,
		SecurityModel:      gosnmp.UserSecurityModel,
		MsgFlags:           gosnmpFlags(c),
		SecurityParameters: gosnmpParams(c),
	}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	_, err = g.SendTrap(gosnmp.SnmpTrap{Variables: []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(4242)},
		{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.6.3.1.1.5.3"},
		{Name: ".1.3.6.1.2.1.2.2.1.1.7", Type: gosnmp.Integer, Value: 7},
		{Name: ".1.3.6.1.2.1.1.5.0", Type: gosnmp.OctetString, Value: []byte("sent by gosnmp, opened by usm")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// gosnmp sends a trap for every pair of protocols (and authNoPriv); we
// verify and decrypt it.
func TestGosnmpSends(t *testing.T) {
	for _, auth := range allAuth {
		for _, priv := range append([]PrivProtocol{PrivNone}, allPriv...) {
			c := creds{auth, gsAuthPass, priv, gsPrivPass}
			t.Run(auth.String()+"-"+priv.String(), func(t *testing.T) {
				msg := gosnmpSend(t, c)
				m, sp, err := openV3(msg, c)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(m.engineID, gsEngineID) || m.boots != gsBoots || m.time != gsTime || m.user != gsUser {
					t.Errorf("engine %x boots %d time %d user %q", m.engineID, m.boots, m.time, m.user)
				}
				if oid, err := sp.trapOID(); err != nil || oid != "1.3.6.1.6.3.1.1.5.3" {
					t.Errorf("snmpTrapOID.0 = %s, %v; want linkDown", oid, err)
				}
				if len(sp.varbinds) != 4 || string(sp.varbinds[3].value) != "sent by gosnmp, opened by usm" {
					t.Errorf("varbinds %+v", sp.varbinds)
				}
				bad := c
				bad.authPass += "x"
				if _, _, err := openV3(msg, bad); err == nil {
					t.Error("opened with a wrong auth password")
				}
				if priv != PrivNone {
					bad = c
					bad.privPass += "x"
					if _, _, err := openV3(msg, bad); err == nil {
						t.Error("opened with a wrong priv password")
					}
				}
			})
		}
	}
}

// ---- we seal, gosnmp opens -------------------------------------------------

// berTLV encodes one TLV with a definite length.
func berTLV(tag byte, contents ...[]byte) []byte {
	var body []byte
	for _, c := range contents {
		body = append(body, c...)
	}
	out := []byte{tag}
	switch n := len(body); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, body...)
}

// berInt encodes a non-negative INTEGER.
func berInt(v uint32) []byte {
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	for len(b) > 1 && b[0] == 0 && b[1]&0x80 == 0 {
		b = b[1:]
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return berTLV(0x02, b)
}

// sealV3 builds an SNMPv3 message around a scopedPDU with this package's
// functions: Encrypt (if c.priv is set) and AppendMAC.
func sealV3(t *testing.T, c creds, engineID []byte, boots, engineTime uint32, salt [8]byte, scoped []byte) []byte {
	t.Helper()
	flags := byte(0x01)
	var privParams, data []byte
	if c.priv != PrivNone {
		flags = 0x03
		key := LocalizePrivKey(c.auth, c.priv, cachedKu(c.auth, c.privPass), engineID)
		ct, pp, err := Encrypt(c.priv, key, boots, engineTime, salt, scoped, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pp != salt || len(ct) != c.priv.CiphertextLen(len(scoped)) {
			t.Fatalf("privParams %x (salt %x), %d octets of ciphertext", pp, salt, len(ct))
		}
		privParams, data = pp[:], berTLV(0x04, ct)
	} else {
		data = scoped
	}
	secParams := berTLV(0x30,
		berTLV(0x04, engineID), berInt(boots), berInt(engineTime),
		berTLV(0x04, []byte(gsUser)), berTLV(0x04, make([]byte, c.auth.MACLen())), berTLV(0x04, privParams))
	msg := berTLV(0x30,
		berInt(3),
		berTLV(0x30, berInt(424242), berInt(65507), berTLV(0x04, []byte{flags}), berInt(3)),
		berTLV(0x04, secParams),
		data)
	m, err := parseV3(msg)
	if err != nil {
		t.Fatal(err)
	}
	authKey := LocalizeKey(c.auth, cachedKu(c.auth, c.authPass), engineID)
	mac := c.auth.AppendMAC(nil, authKey, msg) // the MAC field is still zero
	copy(msg[m.authOff:], mac)
	return msg
}

// otherVariant returns the other key extension of the same AES cipher.
func otherVariant(p PrivProtocol) (PrivProtocol, bool) {
	switch p {
	case PrivAES192, PrivAES256:
		return p + 2, true
	case PrivAES192C, PrivAES256C:
		return p - 2, true
	}
	return PrivNone, false
}

// gosnmpOpen has gosnmp authenticate, decrypt and decode a message.
func gosnmpOpen(msg []byte, c creds) (*gosnmp.SnmpPacket, error) {
	sp := gosnmpParams(c)
	sp.AuthoritativeEngineID = "" // learnt from the message
	g := &gosnmp.GoSNMP{
		Version:            gosnmp.Version3,
		SecurityModel:      gosnmp.UserSecurityModel,
		MsgFlags:           gosnmpFlags(c),
		SecurityParameters: sp,
	}
	return g.UnmarshalTrap(bytes.Clone(msg), true)
}

// A scopedPDU: an SNMPv2-Trap with snmpTrapOID.0 = linkUp.
func testScopedPDU(engineID []byte, extra int) []byte {
	oid := func(arcs ...byte) []byte { return berTLV(0x06, arcs) }
	vbs := berTLV(0x30,
		berTLV(0x30, oid(0x2b, 6, 1, 2, 1, 1, 3, 0), berTLV(0x43, []byte{0x01, 0x02})),
		berTLV(0x30, oid(0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0), oid(0x2b, 6, 1, 6, 3, 1, 1, 5, 4)),
		berTLV(0x30, oid(0x2b, 6, 1, 2, 1, 1, 5, 0), berTLV(0x04, bytes.Repeat([]byte("z"), extra))))
	pdu := berTLV(0xa7, berInt(77), berInt(0), berInt(0), vbs)
	return berTLV(0x30, berTLV(0x04, engineID), berTLV(0x04, nil), pdu)
}

// We seal a trap for every pair of protocols, with scopedPDU lengths that
// do and do not fill whole blocks; gosnmp opens it. Our own openV3 opens it
// too, and gosnmp refuses it once an octet of the MAC or of the message
// changes.
func TestGosnmpOpens(t *testing.T) {
	salt := [8]byte{0, 0, 0, gsBoots, 0xde, 0xad, 0xbe, 0xef}
	for _, auth := range allAuth {
		for _, priv := range append([]PrivProtocol{PrivNone}, allPriv...) {
			c := creds{auth, gsAuthPass, priv, gsPrivPass}
			t.Run(auth.String()+"-"+priv.String(), func(t *testing.T) {
				for extra := 0; extra < 17; extra += 4 {
					scoped := testScopedPDU(gsEngineID, extra)
					msg := sealV3(t, c, gsEngineID, gsBoots, gsTime, salt, scoped)
					p, err := gosnmpOpen(msg, c)
					if err != nil {
						t.Fatalf("scopedPDU of %d octets: gosnmp: %v", len(scoped), err)
					}
					if p.PDUType != gosnmp.SNMPv2Trap || len(p.Variables) != 3 ||
						p.Variables[1].Value != ".1.3.6.1.6.3.1.1.5.4" ||
						!bytes.Equal(p.Variables[2].Value.([]byte), bytes.Repeat([]byte("z"), extra)) {
						t.Fatalf("gosnmp decoded %v %+v", p.PDUType, p.Variables)
					}
					if _, sp, err := openV3(msg, c); err != nil || sp.requestID != 77 {
						t.Fatalf("openV3: %v", err)
					}
					// gosnmp's other AES-192/256 variant cannot open it when
					// the key had to be extended.
					if other, ok := otherVariant(priv); ok && auth.KeyLen() < priv.KeyLen() {
						wrong := c
						wrong.priv = other
						if p, err := gosnmpOpen(msg, wrong); err == nil {
							t.Errorf("gosnmp opened it as %v: %+v", other, p.Variables)
						}
					}
					m, _ := parseV3(msg)
					for _, off := range []int{m.authOff, m.authOff + m.authLen - 1, len(msg) - 1} {
						bad := bytes.Clone(msg)
						bad[off] ^= 0x10
						if _, err := gosnmpOpen(bad, c); err == nil {
							t.Errorf("gosnmp opened the message with octet %d changed", off)
						}
					}
				}
			})
		}
	}
}
