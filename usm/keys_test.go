package usm

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"runtime"
	"strings"
	"testing"
)

// The engine ID and password of RFC 3414 A.3 and of the drafts' samples.
const rfcPassword = "maplesyrup"

func rfcEngineID(t testing.TB) []byte { return unhex(t, "00 00 00 00 00 00 00 00 00 00 00 02") }

// RFC 3414 Appendix A.3.1 (MD5) and A.3.2 (SHA): Ku from the password and
// Kul localized to engine 00..02. The SHA-2 values are not in RFC 7860 (it
// has no samples); they are the known answers of an independent
// implementation (IMEdge php snmp library, tests/AuthKeyTest.php), and the
// net-snmp captures in netsnmp_test.go check the same derivation
// end to end.
func TestPasswordToKeyAndLocalize(t *testing.T) {
	for _, tc := range []struct {
		p       AuthProtocol
		ku, kul string
	}{
		{AuthMD5, // RFC 3414 A.3.1
			"9f af 32 83 88 4e 92 83 4e bc 98 47 d8 ed d9 63",
			"52 6f 5e ed 9f cc e2 6f 89 64 c2 93 07 87 d8 2b"},
		{AuthSHA, // RFC 3414 A.3.2
			"9f b5 cc 03 81 49 7b 37 93 52 89 39 ff 78 8d 5d 79 14 52 11",
			"66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84 97 b3 8f 3f"},
		{AuthSHA224,
			"28 2a 58 67 ee 9a ac 63 9a d5 9d f9 57 2c 7d 3a c0 fb c1 3a 90 5b 6d f0 7d bb f0 0b",
			"0b d8 82 7c 6e 29 f8 06 5e 08 e0 92 37 f1 77 e4 10 f6 9b 90 e1 78 2b e6 82 07 56 74"},
		{AuthSHA256,
			"ab 51 01 4d 1e 07 7f 60 17 df 2b 12 be e5 f5 aa 72 99 31 77 e9 bb 56 9c 4d ff 5a 4c a0 b4 af ac",
			"89 82 e0 e5 49 e8 66 db 36 1a 6b 62 5d 84 cc cc 11 16 2d 45 3e e8 ce 3a 64 45 c2 d6 77 6f 0f 8b"},
		{AuthSHA384,
			`e0 6e cc df 2c 68 a0 6e d0 34 72 3c 9c 26 e0 db 3b 66 9e 1e 2e fe d4 91
			 50 b5 53 77 a2 e9 8f 38 3c 86 fb 83 68 57 44 46 54 b2 87 c9 3f 51 ff 64`,
			`3b 29 8f 16 16 4a 11 18 42 79 d5 43 2b f1 69 e2 d2 a4 83 07 de 02 b3 d3
			 f7 e2 b4 f3 6e b6 f0 45 5a 53 68 9a 39 37 ee a0 73 19 a6 33 d2 cc ba 78`},
		{AuthSHA512,
			`7e 43 96 de 5a ad c7 7b e8 53 81 9b 98 c9 40 62 65 b3 a9 c3 7c c3 17 65 69 84 7a 4e 4f 6f ba 63
			 dd 3a 73 d0 49 24 d3 1a 63 f9 5a 60 1f 93 85 af 6b e4 ed 1b 37 f8 7d 04 0f 7c 6e d6 f8 d3 8a 91`,
			`22 a5 a3 6c ed fc c0 85 80 7a 12 8d 7b c6 c2 38 21 67 ad 6c 0d bc 5f df f8 56 74 0f 3d 84 c0 99
			 ad 1e a8 7a 8d b0 96 71 4d 97 88 bd 54 40 47 c9 02 1e 42 29 ce 27 e4 c0 a6 92 50 ad fc ff bb 0b`},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			ku := PasswordToKey(tc.p, []byte(rfcPassword))
			if want := unhex(t, tc.ku); !bytes.Equal(ku, want) {
				t.Fatalf("Ku  = % x\nwant  % x", ku, want)
			}
			if len(ku) != tc.p.KeyLen() {
				t.Errorf("len(Ku) = %d, KeyLen %d", len(ku), tc.p.KeyLen())
			}
			kul := LocalizeKey(tc.p, ku, rfcEngineID(t))
			if want := unhex(t, tc.kul); !bytes.Equal(kul, want) {
				t.Fatalf("Kul = % x\nwant  % x", kul, want)
			}
		})
	}
}

// PasswordToKey against the definition, built the slow way, for password
// lengths around the 64-octet block and the 4 KiB window, and ones that do
// not divide 2^20.
func TestPasswordToKeyDefinition(t *testing.T) {
	for _, n := range []int{1, 3, 7, 8, 63, 64, 65, 100, 4095, 4096, 4097, 5000, 1 << 20, 1<<20 + 5} {
		pw := make([]byte, n)
		for i := range pw {
			pw[i] = byte(i*7 + n)
		}
		var full []byte
		for len(full) < 1<<20 {
			full = append(full, pw...)
		}
		full = full[:1<<20]
		for _, p := range []AuthProtocol{AuthMD5, AuthSHA256} {
			h := p.info().newH()
			h.Write(full)
			if got, want := PasswordToKey(p, pw), h.Sum(nil); !bytes.Equal(got, want) {
				t.Errorf("%v, password of %d octets: % x, want % x", p, n, got, want)
			}
		}
	}
}

// PasswordToKey must not build the megabyte it hashes.
func TestPasswordToKeyMemory(t *testing.T) {
	pw := []byte("a-password-of-some-length")
	PasswordToKey(AuthSHA512, pw) // warm up
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const runs = 10
	for range runs {
		PasswordToKey(AuthSHA512, pw)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 16<<10 {
		t.Errorf("PasswordToKey allocates %d bytes per call", per)
	}
}

// The key-extension samples of the drafts (password maplesyrup, engine
// 00..02). Reeder B.1/B.2 (draft-reeder-snmpv3-usm-3desede-00 Appendix B,
// the 3DES draft whose key chaining Cisco's AES-192/256 borrow) are quoted
// by SNMP4J, snmp-rs and the php and python snmp libraries alike;
// Blumenthal A.1 (draft-blumenthal-aes-usm-04, SHA-1 extended for AES-256)
// by the php library. The net-snmp captures check both rules end to end.
func TestLocalizePrivKeyExtension(t *testing.T) {
	const (
		md5Kul = "52 6f 5e ed 9f cc e2 6f 89 64 c2 93 07 87 d8 2b"
		shaKul = "66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84 97 b3 8f 3f"
	)
	for _, tc := range []struct {
		name string
		auth AuthProtocol
		priv PrivProtocol
		want string
	}{
		// No extension needed: truncation only (RFC 3414 §8.1.1.1 takes
		// the first 16 octets of a SHA key for DES; RFC 3826 the first 16
		// for AES).
		{"DES/MD5", AuthMD5, PrivDES, md5Kul},
		{"DES/SHA", AuthSHA, PrivDES, "66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84"},
		{"AES/SHA", AuthSHA, PrivAES, "66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84"},
		// Reeder B.1 and B.2 (32 octets).
		{"AES256C/MD5 Reeder B.1", AuthMD5, PrivAES256C, md5Kul + "79 ef f4 4a 90 65 0e e0 a3 a4 0a bf ac 5a cc 12"},
		{"AES256C/SHA Reeder B.2", AuthSHA, PrivAES256C, shaKul + "9b 8b 6d 78 93 6b a6 e7 d1 9d fd 9c"},
		{"AES192C/MD5 Reeder B.1", AuthMD5, PrivAES192C, md5Kul + "79 ef f4 4a 90 65 0e e0"},
		{"AES192C/SHA Reeder B.2", AuthSHA, PrivAES192C, shaKul + "9b 8b 6d 78"},
		// Blumenthal A.1.
		{"AES256/SHA Blumenthal A.1", AuthSHA, PrivAES256, shaKul + "50 5e 07 eb 9a f2 55 68 fa 1f 5d be"},
		{"AES192/SHA Blumenthal A.1", AuthSHA, PrivAES192, shaKul + "50 5e 07 eb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ku := PasswordToKey(tc.auth, []byte(rfcPassword))
			got := LocalizePrivKey(tc.auth, tc.priv, ku, rfcEngineID(t))
			if want := unhex(t, tc.want); !bytes.Equal(got, want) {
				t.Fatalf("key = % x\nwant  % x", got, want)
			}
		})
	}
}

// The extension rules by their definitions, for every pair, and the
// truncation of keys longer than needed.
func TestLocalizePrivKeyRules(t *testing.T) {
	engine := unhex(t, "80001f8880aabbccdd")
	for _, auth := range allAuth {
		ku := PasswordToKey(auth, []byte("privpass123"))
		kul := LocalizeKey(auth, ku, engine)
		h := auth.info().newH()
		h.Write(kul)
		blumenthal := append(bytes.Clone(kul), h.Sum(nil)...)
		reeder := append(bytes.Clone(kul), LocalizeKey(auth, PasswordToKey(auth, kul), engine)...)
		for _, priv := range allPriv {
			got := LocalizePrivKey(auth, priv, ku, engine)
			if len(got) != priv.KeyLen() {
				t.Fatalf("%v/%v: %d octets, want %d", auth, priv, len(got), priv.KeyLen())
			}
			want := kul
			switch priv {
			case PrivAES192, PrivAES256:
				want = blumenthal
			case PrivAES192C, PrivAES256C:
				want = reeder
			}
			if !bytes.Equal(got, want[:priv.KeyLen()]) {
				t.Errorf("%v/%v: % x, want % x", auth, priv, got, want[:priv.KeyLen()])
			}
			// The variants differ exactly when Kul is too short.
			if priv == PrivAES192 || priv == PrivAES256 {
				other := LocalizePrivKey(auth, priv+2, ku, engine)
				if differ := !bytes.Equal(got, other); differ != (len(kul) < priv.KeyLen()) {
					t.Errorf("%v: %v and %v differ=%v with a %d-octet Kul", auth, priv, priv+2, differ, len(kul))
				}
			}
		}
	}
}

var (
	allAuth = []AuthProtocol{AuthMD5, AuthSHA, AuthSHA224, AuthSHA256, AuthSHA384, AuthSHA512}
	allPriv = []PrivProtocol{PrivDES, PrivAES, PrivAES192, PrivAES256, PrivAES192C, PrivAES256C}
)

func TestKeyFunctionsRefuse(t *testing.T) {
	engine := []byte{0x80, 0, 0, 0, 1}
	ku := PasswordToKey(AuthSHA, []byte("password"))
	for _, tc := range []struct {
		name string
		got  []byte
	}{
		{"PasswordToKey AuthNone", PasswordToKey(AuthNone, []byte("password"))},
		{"PasswordToKey unknown", PasswordToKey(AuthProtocol(99), []byte("password"))},
		{"PasswordToKey negative", PasswordToKey(AuthProtocol(-1), []byte("password"))},
		{"PasswordToKey empty password", PasswordToKey(AuthSHA, nil)},
		{"LocalizeKey AuthNone", LocalizeKey(AuthNone, ku, engine)},
		{"LocalizeKey short Ku", LocalizeKey(AuthSHA, ku[:19], engine)},
		{"LocalizeKey MD5 with a SHA Ku", LocalizeKey(AuthMD5, ku, engine)},
		{"LocalizeKey nil Ku", LocalizeKey(AuthSHA, nil, engine)},
		{"LocalizePrivKey PrivNone", LocalizePrivKey(AuthSHA, PrivNone, ku, engine)},
		{"LocalizePrivKey AuthNone", LocalizePrivKey(AuthNone, PrivAES, ku, engine)},
		{"LocalizePrivKey unknown", LocalizePrivKey(AuthSHA, PrivProtocol(42), ku, engine)},
		{"LocalizePrivKey bad Ku", LocalizePrivKey(AuthSHA, PrivAES256, ku[:3], engine)},
	} {
		if tc.got != nil {
			t.Errorf("%s = % x, want nil", tc.name, tc.got)
		}
	}
	// An empty engine ID is still a key (the caller validates engine IDs).
	if LocalizeKey(AuthSHA, ku, nil) == nil {
		t.Error("LocalizeKey with an empty engine ID = nil")
	}
}

func TestParseAuthProtocol(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want AuthProtocol
	}{
		{"MD5", AuthMD5}, {"md5", AuthMD5}, {" Md5 ", AuthMD5},
		{"SHA", AuthSHA}, {"sha", AuthSHA}, {"SHA1", AuthSHA}, {"SHA-1", AuthSHA}, {"sha_1", AuthSHA},
		{"SHA224", AuthSHA224}, {"SHA-224", AuthSHA224},
		{"SHA256", AuthSHA256}, {"sha-256", AuthSHA256}, {"Sha_256", AuthSHA256},
		{"SHA384", AuthSHA384}, {"SHA-384", AuthSHA384},
		{"SHA512", AuthSHA512}, {"SHA-512", AuthSHA512},
	} {
		got, err := ParseAuthProtocol(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAuthProtocol(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "none", "noauth", "SHA2", "SHA-3", "HMAC-MD5", "md4", "SHA 256 x"} {
		got, err := ParseAuthProtocol(in)
		if err == nil {
			t.Errorf("ParseAuthProtocol(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "MD5, SHA, SHA224, SHA256, SHA384, SHA512") {
			t.Errorf("error %q does not list the valid names", err)
		}
	}
	// String is the configuration name, and parses back.
	wantStr := map[AuthProtocol]string{AuthNone: "none", AuthMD5: "MD5", AuthSHA: "SHA", AuthSHA224: "SHA224",
		AuthSHA256: "SHA256", AuthSHA384: "SHA384", AuthSHA512: "SHA512", AuthProtocol(9): "AuthProtocol(9)"}
	for p, s := range wantStr {
		if p.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(p), p.String(), s)
		}
	}
	for _, p := range allAuth {
		if q, err := ParseAuthProtocol(p.String()); err != nil || q != p {
			t.Errorf("ParseAuthProtocol(%v.String()) = %v, %v", p, q, err)
		}
	}
}

func TestParsePrivProtocol(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want PrivProtocol
	}{
		{"DES", PrivDES}, {"des", PrivDES},
		{"AES", PrivAES}, {"aes", PrivAES}, {"AES128", PrivAES}, {"AES-128", PrivAES},
		{"AES192", PrivAES192}, {"AES-192", PrivAES192}, {"aes_192", PrivAES192},
		{"AES256", PrivAES256}, {"AES-256", PrivAES256},
		{"AES192C", PrivAES192C}, {"AES-192-C", PrivAES192C}, {"aes192c", PrivAES192C},
		{"AES256C", PrivAES256C}, {"AES-256-C", PrivAES256C}, {"AES256-C", PrivAES256C},
	} {
		got, err := ParsePrivProtocol(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePrivProtocol(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "none", "3DES", "AES512", "AES-128-C", "blowfish"} {
		got, err := ParsePrivProtocol(in)
		if err == nil {
			t.Errorf("ParsePrivProtocol(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "DES, AES, AES192, AES256, AES192C, AES256C") {
			t.Errorf("error %q does not list the valid names", err)
		}
	}
	wantStr := map[PrivProtocol]string{PrivNone: "none", PrivDES: "DES", PrivAES: "AES", PrivAES192: "AES192",
		PrivAES256: "AES256", PrivAES192C: "AES192C", PrivAES256C: "AES256C", PrivProtocol(-3): "PrivProtocol(-3)"}
	for p, s := range wantStr {
		if p.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(p), p.String(), s)
		}
	}
	for _, p := range allPriv {
		if q, err := ParsePrivProtocol(p.String()); err != nil || q != p {
			t.Errorf("ParsePrivProtocol(%v.String()) = %v, %v", p, q, err)
		}
	}
}

func TestLengths(t *testing.T) {
	for _, tc := range []struct {
		p              AuthProtocol
		macLen, keyLen int
	}{
		{AuthNone, 0, 0}, {AuthMD5, 12, 16}, {AuthSHA, 12, 20}, {AuthSHA224, 16, 28},
		{AuthSHA256, 24, 32}, {AuthSHA384, 32, 48}, {AuthSHA512, 48, 64}, {AuthProtocol(7), 0, 0},
	} {
		if tc.p.MACLen() != tc.macLen || tc.p.KeyLen() != tc.keyLen {
			t.Errorf("%v: MACLen %d KeyLen %d, want %d %d", tc.p, tc.p.MACLen(), tc.p.KeyLen(), tc.macLen, tc.keyLen)
		}
	}
	for _, tc := range []struct {
		p      PrivProtocol
		keyLen int
	}{
		{PrivNone, 0}, {PrivDES, 16}, {PrivAES, 16}, {PrivAES192, 24}, {PrivAES256, 32},
		{PrivAES192C, 24}, {PrivAES256C, 32}, {PrivProtocol(7), 0},
	} {
		if tc.p.KeyLen() != tc.keyLen {
			t.Errorf("%v: KeyLen %d, want %d", tc.p, tc.p.KeyLen(), tc.keyLen)
		}
	}
	for n, want := range map[int]int{1: 8, 7: 8, 8: 8, 9: 16, 150: 152, 152: 152} {
		if got := PrivDES.CiphertextLen(n); got != want {
			t.Errorf("DES CiphertextLen(%d) = %d, want %d", n, got, want)
		}
		if got := PrivAES.CiphertextLen(n); got != n {
			t.Errorf("AES CiphertextLen(%d) = %d", n, got)
		}
	}
}

// AppendMAC is the truncated HMAC, appended; Verify takes exactly it.
func TestMAC(t *testing.T) {
	msg := []byte("a message standing in for a whole SNMPv3 message with a zeroed MAC field")
	for _, p := range allAuth {
		key := LocalizeKey(p, PasswordToKey(p, []byte("authpass123")), []byte{0x80, 0, 0, 0, 1})
		full := hmac.New(p.info().newH, key)
		full.Write(msg)
		want := full.Sum(nil)[:p.MACLen()]

		prefix := []byte("prefix")
		got := p.AppendMAC(prefix, key, msg)
		if !bytes.Equal(got[:6], []byte("prefix")) || !bytes.Equal(got[6:], want) {
			t.Fatalf("%v: AppendMAC = % x, want prefix + % x", p, got, want)
		}
		if !p.Verify(key, msg, want) {
			t.Errorf("%v: Verify(right MAC) = false", p)
		}
		for i := range want {
			bad := bytes.Clone(want)
			bad[i] ^= 0x01
			if p.Verify(key, msg, bad) {
				t.Errorf("%v: Verify with octet %d of the MAC flipped = true", p, i)
			}
		}
		badMsg := bytes.Clone(msg)
		badMsg[len(badMsg)-1] ^= 0x80
		for _, tc := range []struct {
			name          string
			key, msg, mac []byte
		}{
			{"changed message", key, badMsg, want},
			{"short MAC", key, msg, want[:len(want)-1]},
			{"full HMAC", key, msg, full.Sum(nil)},
			{"empty MAC", key, msg, nil},
			{"nil key", nil, msg, want},
			{"short key", key[:len(key)-1], msg, want},
			{"wrong key", LocalizeKey(p, PasswordToKey(p, []byte("authpass124")), []byte{0x80, 0, 0, 0, 1}), msg, want},
		} {
			if p.Verify(tc.key, tc.msg, tc.mac) {
				t.Errorf("%v: Verify with %s = true", p, tc.name)
			}
		}
	}
	// AuthNone authenticates nothing and appends nothing.
	if AuthNone.Verify(nil, msg, nil) || AuthProtocol(50).Verify(nil, msg, nil) {
		t.Error("AuthNone verified")
	}
	if got := AuthNone.AppendMAC([]byte("x"), nil, msg); string(got) != "x" {
		t.Errorf("AuthNone.AppendMAC = %q", got)
	}
	// An empty HMAC key must not verify even when the MAC is right for it.
	m := hmac.New(sha256.New, nil)
	m.Write(msg)
	if AuthSHA256.Verify(nil, msg, m.Sum(nil)[:24]) {
		t.Error("Verify with a nil key accepted the HMAC under the empty key")
	}
}
