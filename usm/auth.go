package usm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
	"strings"
)

// AuthProtocol is a USM authentication protocol: the hash function used to
// derive keys and to compute the HMAC over each message.
type AuthProtocol int

// The authentication protocols. The zero value is AuthNone.
const (
	AuthNone   AuthProtocol = iota // usmNoAuthProtocol
	AuthMD5                        // usmHMACMD5AuthProtocol, RFC 3414 §6
	AuthSHA                        // usmHMACSHAAuthProtocol (SHA-1), RFC 3414 §7
	AuthSHA224                     // usmHMAC128SHA224AuthProtocol, RFC 7860
	AuthSHA256                     // usmHMAC192SHA256AuthProtocol, RFC 7860
	AuthSHA384                     // usmHMAC256SHA384AuthProtocol, RFC 7860
	AuthSHA512                     // usmHMAC384SHA512AuthProtocol, RFC 7860
)

// MinPasswordLength is the shortest password RFC 3414 §11.2 allows; net-snmp
// refuses shorter ones. This package does not enforce it (a configuration
// loader may); it only refuses the empty password.
const MinPasswordLength = 8

type authInfo struct {
	name   string
	newH   func() hash.Hash
	keyLen int // hash output: the length of Ku and Kul
	macLen int // length of msgAuthenticationParameters
}

var authInfos = [...]authInfo{
	AuthNone:   {name: "none"},
	AuthMD5:    {"MD5", md5.New, md5.Size, 12},
	AuthSHA:    {"SHA", sha1.New, sha1.Size, 12},
	AuthSHA224: {"SHA224", sha256.New224, sha256.Size224, 16},
	AuthSHA256: {"SHA256", sha256.New, sha256.Size, 24},
	AuthSHA384: {"SHA384", sha512.New384, sha512.Size384, 32},
	AuthSHA512: {"SHA512", sha512.New, sha512.Size, 48},
}

func (p AuthProtocol) info() authInfo {
	if p < 0 || int(p) >= len(authInfos) {
		return authInfo{}
	}
	return authInfos[p]
}

// AuthProtocolNames lists the names ParseAuthProtocol takes, for messages.
const AuthProtocolNames = "MD5, SHA, SHA224, SHA256, SHA384, SHA512"

// ParseAuthProtocol returns the authentication protocol with a configuration
// name: MD5, SHA (SHA-1), SHA224, SHA256, SHA384 or SHA512. Case is ignored,
// and so are hyphens and underscores, so "sha-256" and "SHA_256" are SHA256;
// SHA1 and SHA-1 are SHA. It never returns AuthNone: a user without
// authentication has no authentication protocol to name.
func ParseAuthProtocol(s string) (AuthProtocol, error) {
	switch normalize(s) {
	case "MD5":
		return AuthMD5, nil
	case "SHA", "SHA1":
		return AuthSHA, nil
	case "SHA224":
		return AuthSHA224, nil
	case "SHA256":
		return AuthSHA256, nil
	case "SHA384":
		return AuthSHA384, nil
	case "SHA512":
		return AuthSHA512, nil
	}
	return AuthNone, fmt.Errorf("usm: unknown authentication protocol %q (valid: %s)", s, AuthProtocolNames)
}

// normalize upper-cases s and drops hyphens, underscores and spaces.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// String returns the configuration name of p, as ParseAuthProtocol takes it;
// AuthNone is "none".
func (p AuthProtocol) String() string {
	if int(p) >= 0 && int(p) < len(authInfos) {
		return authInfos[p].name
	}
	return fmt.Sprintf("AuthProtocol(%d)", int(p))
}

// MACLen returns the length of msgAuthenticationParameters for p: 12 for
// MD5 and SHA, 16, 24, 32 and 48 for SHA224 to SHA512 (RFC 7860 §4.2), 0 for
// AuthNone.
func (p AuthProtocol) MACLen() int { return p.info().macLen }

// KeyLen returns the length of p's keys, Ku and Kul: its hash output size
// (16 for MD5, 20 for SHA, 28 to 64 for SHA224 to SHA512), 0 for AuthNone.
func (p AuthProtocol) KeyLen() int { return p.info().keyLen }

// passwordToKeyBytes is the length of the repeated password that
// PasswordToKey hashes (RFC 3414 A.2.1, RFC 7860 §9.3).
const passwordToKeyBytes = 1 << 20

// passwordChunk is how much of the repeated password is hashed per Write.
const passwordChunk = 4096

// PasswordToKey returns the user key Ku for a password (RFC 3414 A.2; RFC
// 7860 uses the same algorithm with the SHA-2 functions): the hash of the
// first 1,048,576 octets of the password repeated. It is slow on purpose,
// about a megabyte of hashing, and independent of the engine: call it once
// per password and localize the result per engine. The password is any
// octet string; the privacy password is hashed with the AUTHENTICATION
// protocol of the user. It returns nil for AuthNone or an empty password.
//
// The repeated password is never built: a window of the password repeated
// (4 KiB plus the password's length) is hashed a slice at a time.
func PasswordToKey(p AuthProtocol, password []byte) []byte {
	in := p.info()
	if in.newH == nil || len(password) == 0 {
		return nil
	}
	h := in.newH()
	n := len(password)
	if n >= passwordToKeyBytes {
		h.Write(password[:passwordToKeyBytes])
		return h.Sum(nil)
	}
	// window[i] = password[i%n]; so window[off:off+passwordChunk] holds the
	// repeated password from any position ≡ off (mod n).
	window := make([]byte, passwordChunk+n)
	for i := range window {
		window[i] = password[i%n]
	}
	off := 0
	for done := 0; done < passwordToKeyBytes; done += passwordChunk {
		h.Write(window[off : off+passwordChunk])
		off = (off + passwordChunk) % n
	}
	return h.Sum(nil)
}

// LocalizeKey returns the localized key Kul = H(Ku || engineID || Ku) (RFC
// 3414 §2.6 and A.2.2). ku must be p.KeyLen() octets, as PasswordToKey
// returns it; otherwise, and for AuthNone, LocalizeKey returns nil. The
// engineID is used as given; RFC 3411 limits it to 5..32 octets, which the
// caller checks.
func LocalizeKey(p AuthProtocol, ku, engineID []byte) []byte {
	in := p.info()
	if in.newH == nil || len(ku) != in.keyLen {
		return nil
	}
	h := in.newH()
	h.Write(ku)
	h.Write(engineID)
	h.Write(ku)
	return h.Sum(make([]byte, 0, in.keyLen))
}

// AppendMAC appends to dst the message authentication code of wholeMsg: the
// HMAC with p's hash and key (the localized authentication key), truncated
// to p.MACLen() octets (RFC 3414 §6.3.1 and §7.3.1, RFC 7860 §4.2.1). The
// caller zeroes the MAC's place in wholeMsg first and copies the result
// there. For AuthNone it returns dst unchanged.
func (p AuthProtocol) AppendMAC(dst, key, wholeMsg []byte) []byte {
	in := p.info()
	if in.newH == nil {
		return dst
	}
	m := hmac.New(in.newH, key)
	m.Write(wholeMsg)
	n := len(dst)
	return m.Sum(dst)[:n+in.macLen]
}

// Verify reports whether mac is the message authentication code of wholeMsg
// under key (RFC 3414 §6.3.2 and §7.3.2, RFC 7860 §4.2.2). wholeMsg is the
// message as received with the msgAuthenticationParameters octets zeroed;
// mac is what they held. The comparison takes constant time. Verify is false
// for AuthNone, for a key that is not p.KeyLen() octets (so a missing key
// never authenticates) and for a mac that is not p.MACLen() octets.
func (p AuthProtocol) Verify(key, wholeMsg, mac []byte) bool {
	in := p.info()
	if in.newH == nil || len(key) != in.keyLen || len(mac) != in.macLen {
		return false
	}
	var buf [sha512.Size]byte
	want := p.AppendMAC(buf[:0], key, wholeMsg)
	return subtle.ConstantTimeCompare(want, mac) == 1
}
