package usm

import "testing"

// PasswordToKey is slow by design (a megabyte hashed); it runs once per
// configured password.
func BenchmarkPasswordToKey(b *testing.B) {
	pw := []byte("authpass123")
	for _, p := range allAuth {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(passwordToKeyBytes)
			b.ReportAllocs()
			for b.Loop() {
				PasswordToKey(p, pw)
			}
		})
	}
}

// LocalizeKey runs once per (user, engine): per trap sender.
func BenchmarkLocalizeKey(b *testing.B) {
	engine := []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa, 0xbb, 0xcc, 0xdd}
	for _, p := range []AuthProtocol{AuthMD5, AuthSHA, AuthSHA256, AuthSHA512} {
		ku := PasswordToKey(p, []byte("authpass123"))
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				LocalizeKey(p, ku, engine)
			}
		})
	}
}

// LocalizePrivKey with an extension: Blumenthal is one more hash, Reeder
// one more PasswordToKey.
func BenchmarkLocalizePrivKey(b *testing.B) {
	engine := []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa, 0xbb, 0xcc, 0xdd}
	ku := PasswordToKey(AuthSHA, []byte("privpass123"))
	for _, p := range []PrivProtocol{PrivAES, PrivAES256, PrivAES256C} {
		b.Run("SHA-"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				LocalizePrivKey(AuthSHA, p, ku, engine)
			}
		})
	}
}

// Verify runs once per authenticated message.
func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 200)
	for i := range msg {
		msg[i] = byte(i)
	}
	for _, p := range []AuthProtocol{AuthSHA, AuthSHA256} {
		key := LocalizeKey(p, PasswordToKey(p, []byte("authpass123")), []byte{0x80, 0, 0, 0, 1})
		mac := p.AppendMAC(nil, key, msg)
		b.Run(p.String()+"-200B", func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if !p.Verify(key, msg, mac) {
					b.Fatal("not verified")
				}
			}
		})
	}
}

// Decrypt runs once per encrypted message: a 150-octet scopedPDU (152 for
// DES, whose ciphertext is a multiple of 8), into a reused buffer.
func BenchmarkDecrypt(b *testing.B) {
	for _, tc := range []struct {
		p PrivProtocol
		n int
	}{{PrivAES, 150}, {PrivAES256, 150}, {PrivDES, 152}} {
		key := testKey(tc.p.KeyLen())
		ct, pp, err := Encrypt(tc.p, key, 7, 12345, [8]byte{1, 2, 3}, make([]byte, tc.n), nil)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, 2048)
		b.Run(tc.p.String()+"-150B", func(b *testing.B) {
			b.SetBytes(int64(len(ct)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decrypt(tc.p, key, 7, 12345, pp[:], ct, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Encrypt runs once per inform acknowledgement or Report we send encrypted.
func BenchmarkEncrypt(b *testing.B) {
	plain := make([]byte, 150)
	buf := make([]byte, 0, 2048)
	key := testKey(16)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Encrypt(PrivAES, key, 7, 12345, [8]byte{1}, plain, buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// AuthKey.VerifyMsg is Verify with the HMAC kept keyed between messages
// and the MAC's octets hashed as zeros in place: what a receiver does per
// message once it has seen a sender.
func BenchmarkAuthKeyVerifyMsg(b *testing.B) {
	msg := make([]byte, 200)
	for i := range msg {
		msg[i] = byte(i)
	}
	const at = 60
	for _, p := range []AuthProtocol{AuthSHA, AuthSHA256} {
		key := LocalizeKey(p, PasswordToKey(p, []byte("authpass123")), []byte{0x80, 0, 0, 0, 1})
		k := NewAuthKey(p, key)
		clear(msg[at : at+p.MACLen()])
		copy(msg[at:], k.AppendMAC(nil, msg))
		b.Run(p.String()+"-200B", func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if !k.VerifyMsg(msg, at) {
					b.Fatal("not verified")
				}
			}
		})
	}
}

// PrivKey.Decrypt is Decrypt with the key schedule computed once.
func BenchmarkPrivKeyDecrypt(b *testing.B) {
	for _, p := range []PrivProtocol{PrivAES, PrivAES256, PrivDES} {
		key := testKey(p.KeyLen())
		k, err := NewPrivKey(p, key)
		if err != nil {
			b.Fatal(err)
		}
		ct, pp, err := k.Encrypt(7, 12345, [8]byte{1, 2, 3}, make([]byte, 152), nil)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, 2048)
		b.Run(p.String()+"-152B", func(b *testing.B) {
			b.SetBytes(int64(len(ct)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Decrypt(7, 12345, pp[:], ct, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
