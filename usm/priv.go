package usm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// PrivProtocol is a USM privacy protocol: the cipher that encrypts the
// scopedPDU, and for AES-192/256 the rule that makes a key long enough.
//
// AES-192 and AES-256 come in two variants that differ only in how a
// localized key shorter than the cipher key (MD5 gives 16 octets, SHA-1 20,
// SHA-224 28) is extended; the cipher and the IV are those of RFC 3826:
//
//   - PrivAES192 and PrivAES256 follow draft-blumenthal-aes-usm-04 §3.1.2.1:
//     repeat Kul = Kul || H(Kul) until it is long enough, H being the user's
//     authentication hash over the whole key so far. This is net-snmp's
//     "AES-192"/"AES-256" (-x AES-256; snmplib/keytools.c
//     _kul_extend_blumenthal) and gosnmp's AES192/AES256.
//   - PrivAES192C and PrivAES256C follow draft-reeder-snmpv3-usm-3desede-00
//     §2.1: repeat Kul = Kul || LocalizeKey(PasswordToKey(Kul), engineID),
//     treating the key so far as a password. This is what Cisco calls
//     AES-192/AES-256, net-snmp's "AES-192-C"/"AES-256-C"
//     (_kul_extend_reeder) and gosnmp's AES192C/AES256C.
//
// A key longer than the cipher needs is truncated: the cipher takes its
// first octets (RFC 3414 §8.1.1.1 for DES, RFC 3826 §3.1.2.1 for AES).
type PrivProtocol int

// The privacy protocols. The zero value is PrivNone.
const (
	PrivNone    PrivProtocol = iota // usmNoPrivProtocol
	PrivDES                         // usmDESPrivProtocol, CBC-DES, RFC 3414 §8
	PrivAES                         // usmAesCfb128Protocol, RFC 3826
	PrivAES192                      // AES-192-CFB, Blumenthal key extension
	PrivAES256                      // AES-256-CFB, Blumenthal key extension
	PrivAES192C                     // AES-192-CFB, Reeder key extension (Cisco)
	PrivAES256C                     // AES-256-CFB, Reeder key extension (Cisco)
)

type privInfo struct {
	name   string
	keyLen int
}

var privInfos = [...]privInfo{
	PrivNone:    {"none", 0},
	PrivDES:     {"DES", 16}, // 8 octets of DES key, then 8 of pre-IV
	PrivAES:     {"AES", 16},
	PrivAES192:  {"AES192", 24},
	PrivAES256:  {"AES256", 32},
	PrivAES192C: {"AES192C", 24},
	PrivAES256C: {"AES256C", 32},
}

func (p PrivProtocol) info() privInfo {
	if p < 0 || int(p) >= len(privInfos) {
		return privInfo{}
	}
	return privInfos[p]
}

// PrivProtocolNames lists the names ParsePrivProtocol takes, for messages.
const PrivProtocolNames = "DES, AES, AES192, AES256, AES192C, AES256C"

// ParsePrivProtocol returns the privacy protocol with a configuration name:
// DES, AES (also AES128), AES192, AES256 (Blumenthal, as net-snmp), AES192C,
// AES256C (Reeder, as Cisco). Case is ignored, and so are hyphens and
// underscores, so net-snmp's spellings "AES-256" and "AES-256-C" work. It
// never returns PrivNone.
func ParsePrivProtocol(s string) (PrivProtocol, error) {
	switch normalize(s) {
	case "DES":
		return PrivDES, nil
	case "AES", "AES128":
		return PrivAES, nil
	case "AES192":
		return PrivAES192, nil
	case "AES256":
		return PrivAES256, nil
	case "AES192C":
		return PrivAES192C, nil
	case "AES256C":
		return PrivAES256C, nil
	}
	return PrivNone, fmt.Errorf("usm: unknown privacy protocol %q (valid: %s)", s, PrivProtocolNames)
}

// String returns the configuration name of p, as ParsePrivProtocol takes
// it; PrivNone is "none".
func (p PrivProtocol) String() string {
	if int(p) >= 0 && int(p) < len(privInfos) {
		return privInfos[p].name
	}
	return fmt.Sprintf("PrivProtocol(%d)", int(p))
}

// KeyLen returns the length of the localized privacy key p uses: 16 for DES
// (key and pre-IV) and AES, 24 and 32 for the AES-192 and AES-256 variants,
// 0 for PrivNone.
func (p PrivProtocol) KeyLen() int { return p.info().keyLen }

// CiphertextLen returns the length of the encryptedPDU that Encrypt makes
// from a scopedPDU of n octets: n rounded up to a multiple of 8 for DES, n
// for AES.
func (p PrivProtocol) CiphertextLen(n int) int {
	if p == PrivDES {
		return (n + des.BlockSize - 1) &^ (des.BlockSize - 1)
	}
	return n
}

// LocalizePrivKey returns the localized privacy key of a user for one
// engine: privKu is PasswordToKey(auth, privPassword), computed once; the
// result is LocalizeKey(auth, privKu, engineID) extended to priv.KeyLen()
// octets by priv's rule if it is shorter (only the AES-192/256 variants
// ever need it) and truncated if it is longer. The Reeder rule hashes a
// megabyte per extension step, like PasswordToKey, so cache the result per
// engine. It returns nil for AuthNone, PrivNone or a privKu of the wrong
// length.
func LocalizePrivKey(auth AuthProtocol, priv PrivProtocol, privKu, engineID []byte) []byte {
	need := priv.KeyLen()
	key := LocalizeKey(auth, privKu, engineID)
	if key == nil || need == 0 {
		return nil
	}
	for len(key) < need {
		var more []byte
		switch priv {
		case PrivAES192, PrivAES256:
			// Blumenthal: Kul = Kul || H(Kul).
			h := auth.info().newH()
			h.Write(key)
			more = h.Sum(nil)
		case PrivAES192C, PrivAES256C:
			// Reeder: Kul = Kul || Kul(Ku(Kul)), the key so far hashed as
			// a password and localized again.
			more = LocalizeKey(auth, PasswordToKey(auth, key), engineID)
		default:
			// DES and AES-128 need 16 octets; every hash gives at least 16.
			return nil
		}
		key = append(key, more...)
	}
	out := make([]byte, need)
	copy(out, key)
	return out
}

// Errors from Decrypt and Encrypt. RFC 3414 §3.2 step 8 counts all of them
// as usmStatsDecryptionErrors.
var (
	// ErrProtocol: PrivNone or an unknown protocol.
	ErrProtocol = errors.New("usm: no such privacy protocol")
	// ErrKeyLength: the key is not p.KeyLen() octets.
	ErrKeyLength = errors.New("usm: wrong privacy key length")
	// ErrPrivParams: msgPrivacyParameters is not 8 octets (RFC 3414 §8.3.2
	// step 1, RFC 3826 §3.3.2 step 1).
	ErrPrivParams = errors.New("usm: msgPrivacyParameters is not 8 octets")
	// ErrLength: empty input, or DES ciphertext not a multiple of 8 octets
	// (RFC 3414 §8.3.2 step 3).
	ErrLength = errors.New("usm: bad encrypted data length")
)

// Decrypt decrypts an encryptedPDU (the contents of the OCTET STRING) and
// appends the plaintext scopedPDU to dst, returning the extended slice.
// key is the localized privacy key (LocalizePrivKey) and must be exactly
// p.KeyLen() octets; privParams is msgPrivacyParameters and engineBoots and
// engineTime are msgAuthoritativeEngineBoots and -Time of the same message.
//
//   - DES (RFC 3414 §8.1.1.3, §8.3.2): CBC with the first 8 key octets as the
//     DES key and IV = key[8:16] XOR privParams. The ciphertext must be a
//     non-empty multiple of 8. The plaintext keeps the sender's padding, so
//     the caller reads the scopedPDU SEQUENCE by its own length and ignores
//     what follows it.
//   - AES (RFC 3826 §3.1.4, §3.3.2): CFB with 128-bit feedback, IV =
//     engineBoots || engineTime || privParams (big-endian); any non-empty
//     length, and the plaintext is exactly as long as the ciphertext.
//
// A wrong key does not fail here (the cipher is unauthenticated): it gives
// garbage, which the caller's BER decoding refuses. dst may be
// ciphertext[:0] to decrypt in place; no other overlap is allowed. Decrypt
// returns an error, never panics, on bad input. A receiver that decrypts
// many messages under one key makes a [PrivKey] once instead.
func Decrypt(p PrivProtocol, key []byte, engineBoots, engineTime uint32, privParams, ciphertext, dst []byte) ([]byte, error) {
	k, err := NewPrivKey(p, key)
	if err != nil {
		return dst, err
	}
	return k.Decrypt(engineBoots, engineTime, privParams, ciphertext, dst)
}

// Encrypt encrypts a scopedPDU for a message we send (an inform's Response,
// a Report) and appends the encryptedPDU to dst, returning the extended
// slice and the msgPrivacyParameters to put in the message, which is salt.
// key is the localized privacy key, exactly p.KeyLen() octets. The caller
// picks salt so that it never repeats under one key: for DES (RFC 3414
// §8.1.1.1) our snmpEngineBoots followed by a 32-bit counter; for AES (RFC
// 3826 §3.1.2.1) a 64-bit counter. engineBoots and engineTime are the
// msgAuthoritativeEngineBoots and -Time of the message and only enter the
// AES IV. DES pads the plaintext with zeros to a multiple of 8 (see
// CiphertextLen). dst must not overlap plaintext.
func Encrypt(p PrivProtocol, key []byte, engineBoots, engineTime uint32, salt [8]byte, plaintext, dst []byte) (ciphertext []byte, privParams [8]byte, err error) {
	k, err := NewPrivKey(p, key)
	if err != nil {
		return dst, privParams, err
	}
	return k.Encrypt(engineBoots, engineTime, salt, plaintext, dst)
}

// newCipher checks p and the key length and returns p's block cipher.
func newCipher(p PrivProtocol, key []byte) (cipher.Block, error) {
	want := p.KeyLen()
	if want == 0 {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, p)
	}
	if len(key) != want {
		return nil, fmt.Errorf("%w: %s needs %d octets, got %d", ErrKeyLength, p, want, len(key))
	}
	if p == PrivDES {
		return des.NewCipher(key[:8])
	}
	return aes.NewCipher(key)
}

// aesIV returns the RFC 3826 §3.1.2.1 IV: boots, time, salt.
func aesIV(boots, time uint32, salt []byte) [aes.BlockSize]byte {
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint32(iv[0:4], boots)
	binary.BigEndian.PutUint32(iv[4:8], time)
	copy(iv[8:], salt)
	return iv
}

// cfb128 is CFB mode with 128-bit segments (NIST SP 800-38A §6.3), as RFC
// 3826 uses it: each block of keystream is the encryption of the previous
// ciphertext block, the IV for the first. dst and src have the same length
// and are the same slice or do not overlap. (crypto/cipher's CFB is
// deprecated, and allocates a stream and two blocks per message.)
func cfb128(block cipher.Block, iv *[aes.BlockSize]byte, dst, src []byte, decrypt bool) {
	w := cfbBlocks.Get().(*[2 * aes.BlockSize]byte)
	feedback, ks := w[:aes.BlockSize], w[aes.BlockSize:]
	copy(feedback, iv[:])
	for len(src) > 0 {
		block.Encrypt(ks, feedback)
		n := min(len(src), aes.BlockSize)
		if decrypt {
			// Save the ciphertext before dst (maybe src) is overwritten.
			copy(feedback, src[:n])
			subtle.XORBytes(dst[:n], src[:n], ks[:n])
		} else {
			subtle.XORBytes(dst[:n], src[:n], ks[:n])
			copy(feedback, dst[:n])
		}
		src, dst = src[n:], dst[n:]
	}
	clear(w[:])
	cfbBlocks.Put(w)
}

// cfbBlocks holds cfb128's feedback and keystream blocks. Passed to
// cipher.Block, an interface, they would escape to the heap: two
// allocations per message, which the pool saves (BenchmarkPrivKeyDecrypt,
// AES-128, 152 octets, medians of 8 runs alternating with the version
// without the pool: 200 ns against 224, and no allocation against 2).
var cfbBlocks = sync.Pool{New: func() any { return new([2 * aes.BlockSize]byte) }}

// grow appends n octets to dst and returns the whole slice and the new
// part (which, like append's, may hold old data).
func grow(dst []byte, n int) (whole, tail []byte) {
	total := len(dst) + n
	if cap(dst) >= total {
		whole = dst[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, dst)
	}
	return whole, whole[len(dst):]
}
