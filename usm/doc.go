// Package usm holds the cryptography of the SNMPv3 User-based Security Model:
// key derivation, message authentication and scopedPDU encryption. It parses
// no messages; the caller finds the fields (msgAuthoritativeEngineID,
// -Boots, -Time, msgAuthenticationParameters, msgPrivacyParameters, the
// encryptedPDU) and hands them in.
//
// Standards:
//   - RFC 3414: USM, HMAC-MD5-96 and HMAC-SHA-96, CBC-DES, password to key
//     (A.2) and key localization.
//   - RFC 7860: HMAC-SHA-2 (usmHMAC128SHA224AuthProtocol,
//     usmHMAC192SHA256AuthProtocol, usmHMAC256SHA384AuthProtocol,
//     usmHMAC384SHA512AuthProtocol), whose keys are made the same way.
//   - RFC 3826: CFB128-AES-128, IV = engineBoots || engineTime || salt.
//   - AES-192 and AES-256 are not standardised; two drafts disagree on how
//     a localized key shorter than the cipher key is extended, and both are
//     in use (see [PrivProtocol]).
//
// # Keys
//
// Passwords become keys in two steps. [PasswordToKey] is slow on purpose (it
// hashes a megabyte) and does not depend on the engine, so compute it once
// per configured password. [LocalizeKey] and [LocalizePrivKey] are cheap and
// bind the key to one SNMP engine ID: the authoritative engine of the
// message. For a trap (unconfirmed) the authoritative engine is the sender,
// so a receiver localizes with the msgAuthoritativeEngineID of each trap,
// and may cache the result per (user, engine). For an inform the receiver
// is authoritative and localizes once, with its own engine ID.
//
//	authKu := usm.PasswordToKey(usm.AuthSHA256, authPassword) // once
//	privKu := usm.PasswordToKey(usm.AuthSHA256, privPassword) // once; the AUTH hash
//	authKey := usm.LocalizeKey(usm.AuthSHA256, authKu, engineID)
//	privKey := usm.LocalizePrivKey(usm.AuthSHA256, usm.PrivAES, privKu, engineID)
//
// # Receiving
//
// Copy msgAuthenticationParameters out, zero those octets in the message in
// place, then call [AuthProtocol.Verify] on the whole message; only then
// [Decrypt] the encryptedPDU (RFC 3414 §3.2 steps 6 and 8).
package usm
