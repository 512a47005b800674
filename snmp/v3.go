package snmp

import "slices"

// SNMPv3 (RFC 3412 §6, RFC 3414 §2.4):
//
//	SNMPv3Message ::= SEQUENCE {
//	    msgVersion INTEGER (3),
//	    msgGlobalData SEQUENCE { msgID, msgMaxSize INTEGER, msgFlags OCTET STRING (1),
//	                             msgSecurityModel INTEGER },
//	    msgSecurityParameters OCTET STRING,  -- holds UsmSecurityParameters
//	    msgData CHOICE { plaintext ScopedPDU, encryptedPDU OCTET STRING } }
//	UsmSecurityParameters ::= SEQUENCE {
//	    msgAuthoritativeEngineID OCTET STRING, msgAuthoritativeEngineBoots INTEGER,
//	    msgAuthoritativeEngineTime INTEGER, msgUserName OCTET STRING (0..32),
//	    msgAuthenticationParameters OCTET STRING, msgPrivacyParameters OCTET STRING }
//	ScopedPDU ::= SEQUENCE { contextEngineID OCTET STRING, contextName OCTET STRING, data PDU }

// msgFlags bits (RFC 3412 §6.4).
const (
	FlagAuth       byte = 0x01
	FlagPriv       byte = 0x02
	FlagReportable byte = 0x04
)

// SecurityModelUSM is the User-based Security Model's number (RFC 3411).
const SecurityModelUSM = 3

// minMsgMaxSize is the least msgMaxSize allowed: RFC 3412 §6 defines it as
// INTEGER (484..2147483647). The upper bound is the largest Integer32, which
// decoding into an int32 already enforces.
const minMsgMaxSize = 484

// maxUserName bounds msgUserName (RFC 3414 §2.4: SIZE(0..32)).
const maxUserName = 32

// V3Info holds the SNMPv3 header and USM security parameters of a message
// (Message.Version == V3). Its slices point into the decoded message.
type V3Info struct {
	MsgID         int32
	MaxSize       int32
	Flags         byte
	SecurityModel int32

	EngineID    []byte // msgAuthoritativeEngineID
	EngineBoots int32
	EngineTime  int32
	UserName    []byte
	// AuthParams is msgAuthenticationParameters. AuthOffset is where its
	// content starts in the message: to check the MAC, copy the message,
	// zero len(AuthParams) octets there, and compute the HMAC of the copy.
	AuthParams []byte
	AuthOffset int
	PrivParams []byte

	// Encrypted is the encryptedPDU when Flags has FlagPriv; the scoped
	// PDU is then left undecoded until DecodeScopedPDU is given the
	// plaintext.
	Encrypted []byte

	ContextEngineID []byte
	ContextName     []byte
}

// Auth and Priv report the message's security level flags.
func (v *V3Info) Auth() bool { return v.Flags&FlagAuth != 0 }

// Priv reports whether the scoped PDU is encrypted.
func (v *V3Info) Priv() bool { return v.Flags&FlagPriv != 0 }

// Reportable reports whether the sender asked for a Report on error.
func (v *V3Info) Reportable() bool { return v.Flags&FlagReportable != 0 }

// decodeV3 decodes an SNMPv3 message after its version. A plaintext scoped
// PDU is decoded too; an encrypted one is kept in m.V3.Encrypted.
func (m *Message) decodeV3(b []byte, s *seq) *DecodeError {
	v := &m.V3
	global, err := s.expect(TagSequence, ReasonExpectedSequence)
	if err != nil {
		return err
	}
	g := seq{buf: b, pos: global.content, end: global.end}
	if v.MsgID, err = g.int32(); err != nil {
		return err
	}
	maxSizeAt := g.pos
	if v.MaxSize, err = g.int32(); err != nil {
		return err
	}
	if v.MaxSize < minMsgMaxSize {
		// Refused here rather than left to the caller: a sender that
		// claims it cannot take 484 octets breaks the protocol, and no
		// Report fits in what it claims to accept.
		return malformed(ReasonBadMsgMaxSize, maxSizeAt)
	}
	flags, err := g.expect(TagOctetString, ReasonExpectedOctetString)
	if err != nil {
		return err
	}
	if flags.end-flags.content != 1 {
		return malformed(ReasonBadMsgFlags, flags.start)
	}
	v.Flags = b[flags.content]
	if v.SecurityModel, err = g.int32(); err != nil {
		return err
	}
	if err := g.finish(); err != nil {
		return err
	}
	// RFC 3412 §7.2 step 5: privacy without authentication is invalid.
	if v.Priv() && !v.Auth() {
		return malformed(ReasonBadMsgFlags, flags.start)
	}

	secParams, err := s.expect(TagOctetString, ReasonExpectedOctetString)
	if err != nil {
		return err
	}
	if v.SecurityModel != SecurityModelUSM {
		return unsupported(ReasonUnsupportedSecurityModel, global.start)
	}
	if err := v.decodeUSM(b, secParams); err != nil {
		return err
	}

	data, err := s.next()
	if err != nil {
		return err
	}
	if err := s.finish(); err != nil {
		return err
	}
	if v.Priv() {
		if data.tag != TagOctetString {
			return malformed(ReasonExpectedOctetString, data.start)
		}
		v.Encrypted = b[data.content:data.end]
		return nil
	}
	if data.tag != TagSequence {
		return malformed(ReasonExpectedSequence, data.start)
	}
	return m.decodeScoped(b, data)
}

func (v *V3Info) decodeUSM(b []byte, params element) *DecodeError {
	outer := seq{buf: b, pos: params.content, end: params.end}
	usm, err := outer.expect(TagSequence, ReasonExpectedSequence)
	if err != nil {
		return err
	}
	if err := outer.finish(); err != nil {
		return err
	}
	u := seq{buf: b, pos: usm.content, end: usm.end}
	e, err := u.expect(TagOctetString, ReasonExpectedOctetString)
	if err != nil {
		return err
	}
	v.EngineID = u.contentOf(e)
	if v.EngineBoots, err = u.int32(); err != nil {
		return err
	}
	if v.EngineTime, err = u.int32(); err != nil {
		return err
	}
	if v.EngineBoots < 0 || v.EngineTime < 0 {
		return malformed(ReasonNegativeEngineTime, e.start)
	}
	if e, err = u.expect(TagOctetString, ReasonExpectedOctetString); err != nil {
		return err
	}
	if e.end-e.content > maxUserName {
		return malformed(ReasonUserNameTooLong, e.start)
	}
	v.UserName = u.contentOf(e)
	if e, err = u.expect(TagOctetString, ReasonExpectedOctetString); err != nil {
		return err
	}
	v.AuthParams, v.AuthOffset = u.contentOf(e), e.content
	if e, err = u.expect(TagOctetString, ReasonExpectedOctetString); err != nil {
		return err
	}
	v.PrivParams = u.contentOf(e)
	return u.finish()
}

// DecodeScopedPDU decodes a decrypted scoped PDU into m, which must hold
// the SNMPv3 message it came from. The plaintext may carry padding after
// the ScopedPDU (DES pads to its block size; RFC 3414 §8.3.2 step 4 says to
// ignore it). The PDU's slices point into plaintext.
func (m *Message) DecodeScopedPDU(plaintext []byte) error {
	e, err := readElement(plaintext, 0, len(plaintext))
	if err != nil {
		return err
	}
	if e.tag != TagSequence {
		return malformed(ReasonExpectedSequence, 0)
	}
	if err := m.decodeScoped(plaintext, e); err != nil {
		return err
	}
	return nil
}

func (m *Message) decodeScoped(b []byte, scoped element) *DecodeError {
	s := seq{buf: b, pos: scoped.content, end: scoped.end}
	e, err := s.expect(TagOctetString, ReasonExpectedOctetString)
	if err != nil {
		return err
	}
	m.V3.ContextEngineID = s.contentOf(e)
	if e, err = s.expect(TagOctetString, ReasonExpectedOctetString); err != nil {
		return err
	}
	m.V3.ContextName = s.contentOf(e)
	pdu, err := s.next()
	if err != nil {
		return err
	}
	if err := s.finish(); err != nil {
		return err
	}
	return m.decodePDU(b, pdu)
}

// V3Header is what AppendV3 writes around a scoped PDU.
type V3Header struct {
	MsgID    int32
	MaxSize  int32
	Flags    byte
	EngineID []byte
	Boots    int32
	Time     int32
	UserName []byte
	// MACLen octets of zeros are reserved for msgAuthenticationParameters
	// (0 for noAuthNoPriv); the caller computes the MAC over the whole
	// message and writes it at the returned offset.
	MACLen     int
	PrivParams []byte
}

// AppendV3 appends an SNMPv3 message. data is an encoded ScopedPDU when
// h.Flags lacks FlagPriv, else the encrypted scoped PDU, which is wrapped
// in an OCTET STRING. It returns the message and the offset of the MAC
// placeholder in it (meaningful when h.MACLen > 0).
func AppendV3(dst []byte, h *V3Header, data []byte) ([]byte, int) {
	global := intSize(int64(h.MsgID)) + intSize(int64(h.MaxSize)) + tlvSize(1) + intSize(SecurityModelUSM)
	usm := tlvSize(len(h.EngineID)) + intSize(int64(h.Boots)) + intSize(int64(h.Time)) +
		tlvSize(len(h.UserName)) + tlvSize(h.MACLen) + tlvSize(len(h.PrivParams))
	dataSize := len(data)
	if h.Flags&FlagPriv != 0 {
		dataSize = tlvSize(len(data))
	}
	msg := intSize(int64(V3)) + tlvSize(global) + tlvSize(tlvSize(usm)) + dataSize

	dst = slices.Grow(dst, tlvSize(msg))
	dst = appendHeader(dst, TagSequence, msg)
	dst = appendInt(dst, TagInteger, int64(V3))
	dst = appendHeader(dst, TagSequence, global)
	dst = appendInt(dst, TagInteger, int64(h.MsgID))
	dst = appendInt(dst, TagInteger, int64(h.MaxSize))
	dst = appendTLV(dst, TagOctetString, []byte{h.Flags})
	dst = appendInt(dst, TagInteger, SecurityModelUSM)
	dst = appendHeader(dst, TagOctetString, tlvSize(usm))
	dst = appendHeader(dst, TagSequence, usm)
	dst = appendTLV(dst, TagOctetString, h.EngineID)
	dst = appendInt(dst, TagInteger, int64(h.Boots))
	dst = appendInt(dst, TagInteger, int64(h.Time))
	dst = appendTLV(dst, TagOctetString, h.UserName)
	dst = appendHeader(dst, TagOctetString, h.MACLen)
	macAt := len(dst)
	dst = append(dst, make([]byte, h.MACLen)...)
	dst = appendTLV(dst, TagOctetString, h.PrivParams)
	if h.Flags&FlagPriv != 0 {
		dst = appendTLV(dst, TagOctetString, data)
	} else {
		dst = append(dst, data...)
	}
	return dst, macAt
}

// AppendScopedPDU appends a ScopedPDU holding a PDU with the RFC 3416 §3
// layout (error-status and error-index as given).
func AppendScopedPDU(dst, contextEngineID, contextName []byte, pduType PDUType, requestID, errorStatus, errorIndex int32, vbs []Varbind) []byte {
	vbl := varbindsSize(vbs)
	pdu := intSize(int64(requestID)) + intSize(int64(errorStatus)) + intSize(int64(errorIndex)) + tlvSize(vbl)
	scoped := tlvSize(len(contextEngineID)) + tlvSize(len(contextName)) + tlvSize(pdu)
	dst = slices.Grow(dst, tlvSize(scoped))
	dst = appendHeader(dst, TagSequence, scoped)
	dst = appendTLV(dst, TagOctetString, contextEngineID)
	dst = appendTLV(dst, TagOctetString, contextName)
	dst = appendHeader(dst, byte(pduType), pdu)
	dst = appendInt(dst, TagInteger, int64(requestID))
	dst = appendInt(dst, TagInteger, int64(errorStatus))
	dst = appendInt(dst, TagInteger, int64(errorIndex))
	return appendVarbinds(dst, vbs, vbl)
}
