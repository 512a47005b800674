package usm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// testKey returns a key of n octets.
func testKey(n int) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = byte(0xa0 + i*3)
	}
	return k
}

// Encrypt then Decrypt gives the plaintext back, for every protocol and
// lengths around the block sizes; AES against crypto/cipher's CFB and DES
// against its CBC, independently of our code.
func TestRoundTrip(t *testing.T) {
	salt := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	const boots, engineTime = 0x01020304, 0xa0b0c0d0
	for _, p := range allPriv {
		key := testKey(p.KeyLen())
		for n := 1; n <= 70; n++ {
			plain := make([]byte, n)
			for i := range plain {
				plain[i] = byte(i * 11)
			}
			ct, pp, err := Encrypt(p, key, boots, engineTime, salt, plain, []byte("hdr"))
			if err != nil {
				t.Fatalf("%v, %d octets: %v", p, n, err)
			}
			if pp != salt || string(ct[:3]) != "hdr" || len(ct)-3 != p.CiphertextLen(n) {
				t.Fatalf("%v, %d octets: privParams %x, %d octets out", p, n, pp, len(ct)-3)
			}
			ct = ct[3:]

			// The reference.
			want := make([]byte, len(ct))
			copy(want, plain)
			if p == PrivDES {
				b, _ := des.NewCipher(key[:8])
				iv := make([]byte, 8)
				for i := range iv {
					iv[i] = key[8+i] ^ salt[i]
				}
				cipher.NewCBCEncrypter(b, iv).CryptBlocks(want, want)
			} else {
				b, _ := aes.NewCipher(key)
				iv := make([]byte, 16)
				binary.BigEndian.PutUint32(iv, boots)
				binary.BigEndian.PutUint32(iv[4:], engineTime)
				copy(iv[8:], salt[:])
				// The standard library's CFB is the independent reference
				// cfb128 is checked against (usm does not use it).
				//lint:ignore SA1019 deprecated as a mode to choose, not as a correct implementation of one
				cipher.NewCFBEncrypter(b, iv).XORKeyStream(want, want)
			}
			if !bytes.Equal(ct, want) {
				t.Fatalf("%v, %d octets: ciphertext % x\nwant % x", p, n, ct, want)
			}

			got, err := Decrypt(p, key, boots, engineTime, pp[:], ct, nil)
			if err != nil {
				t.Fatalf("%v, %d octets: Decrypt: %v", p, n, err)
			}
			if !bytes.Equal(got[:n], plain) || !allZero(got[n:]) {
				t.Fatalf("%v, %d octets: round trip % x", p, n, got)
			}
			// In place.
			inPlace := bytes.Clone(ct)
			got2, err := Decrypt(p, key, boots, engineTime, pp[:], inPlace, inPlace[:0])
			if err != nil || !bytes.Equal(got2, got) || &got2[0] != &inPlace[0] {
				t.Fatalf("%v, %d octets: in place: %v, % x", p, n, err, got2)
			}
			// Other boots/time (AES only) or salt change the result.
			if p != PrivDES {
				other, _ := Decrypt(p, key, boots, engineTime+1, pp[:], ct, nil)
				if bytes.Equal(other, got) {
					t.Fatalf("%v: engineTime is not in the IV", p)
				}
				other, _ = Decrypt(p, key, boots+1, engineTime, pp[:], ct, nil)
				if bytes.Equal(other, got) {
					t.Fatalf("%v: engineBoots is not in the IV", p)
				}
			}
			otherSalt := pp
			otherSalt[7] ^= 1
			if other, _ := Decrypt(p, key, boots, engineTime, otherSalt[:], ct, nil); bytes.Equal(other, got) {
				t.Fatalf("%v: the salt is not in the IV", p)
			}
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Decrypt appends to dst and leaves its contents alone.
func TestDecryptAppends(t *testing.T) {
	key := testKey(16)
	ct, pp, err := Encrypt(PrivAES, key, 1, 2, [8]byte{9}, []byte("scoped"), nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 2, 64)
	dst[0], dst[1] = 'a', 'b'
	out, err := Decrypt(PrivAES, key, 1, 2, pp[:], ct, dst)
	if err != nil || string(out) != "abscoped" || &out[0] != &dst[0] {
		t.Fatalf("%q, %v", out, err)
	}
}

// Bad input is an error, never a panic, and dst comes back unchanged.
func TestDecryptErrors(t *testing.T) {
	pp := make([]byte, 8)
	for _, tc := range []struct {
		name       string
		p          PrivProtocol
		key        []byte
		privParams []byte
		ct         []byte
		want       error
	}{
		{"PrivNone", PrivNone, testKey(16), pp, make([]byte, 16), ErrProtocol},
		{"unknown protocol", PrivProtocol(17), testKey(16), pp, make([]byte, 16), ErrProtocol},
		{"negative protocol", PrivProtocol(-1), testKey(16), pp, make([]byte, 16), ErrProtocol},
		{"DES nil key", PrivDES, nil, pp, make([]byte, 16), ErrKeyLength},
		{"DES 8-octet key", PrivDES, testKey(8), pp, make([]byte, 16), ErrKeyLength},
		{"DES 20-octet key", PrivDES, testKey(20), pp, make([]byte, 16), ErrKeyLength},
		{"AES 24-octet key", PrivAES, testKey(24), pp, make([]byte, 16), ErrKeyLength},
		{"AES192 16-octet key", PrivAES192, testKey(16), pp, make([]byte, 16), ErrKeyLength},
		{"AES256C 24-octet key", PrivAES256C, testKey(24), pp, make([]byte, 16), ErrKeyLength},
		{"DES privParams 7", PrivDES, testKey(16), pp[:7], make([]byte, 16), ErrPrivParams},
		{"DES privParams 9", PrivDES, testKey(16), make([]byte, 9), make([]byte, 16), ErrPrivParams},
		{"AES privParams empty", PrivAES, testKey(16), nil, make([]byte, 16), ErrPrivParams},
		{"AES privParams 16", PrivAES, testKey(16), make([]byte, 16), make([]byte, 16), ErrPrivParams},
		{"DES empty", PrivDES, testKey(16), pp, nil, ErrLength},
		{"AES empty", PrivAES, testKey(16), pp, []byte{}, ErrLength},
		{"AES256 empty", PrivAES256, testKey(32), pp, nil, ErrLength},
		{"DES 1 octet", PrivDES, testKey(16), pp, make([]byte, 1), ErrLength},
		{"DES 7 octets", PrivDES, testKey(16), pp, make([]byte, 7), ErrLength},
		{"DES 15 octets", PrivDES, testKey(16), pp, make([]byte, 15), ErrLength},
		{"DES 1 MiB + 3", PrivDES, testKey(16), pp, make([]byte, 1<<20+3), ErrLength},
	} {
		dst := []byte("keep")
		out, err := Decrypt(tc.p, tc.key, 1, 2, tc.privParams, tc.ct, dst)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if string(out) != "keep" {
			t.Errorf("%s: dst became %q", tc.name, out)
		}
	}
	// Odd but valid: one octet of AES, a megabyte and three of AES.
	for _, n := range []int{1, 1<<20 + 3} {
		out, err := Decrypt(PrivAES, testKey(16), 1, 2, pp, make([]byte, n), nil)
		if err != nil || len(out) != n {
			t.Errorf("AES of %d octets: %d octets, %v", n, len(out), err)
		}
	}
}

func TestEncryptErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     PrivProtocol
		key   []byte
		plain []byte
		want  error
	}{
		{"PrivNone", PrivNone, testKey(16), []byte("x"), ErrProtocol},
		{"unknown", PrivProtocol(99), testKey(16), []byte("x"), ErrProtocol},
		{"DES short key", PrivDES, testKey(15), []byte("x"), ErrKeyLength},
		{"AES256 AES-128 key", PrivAES256, testKey(16), []byte("x"), ErrKeyLength},
		{"DES empty", PrivDES, testKey(16), nil, ErrLength},
		{"AES empty", PrivAES, testKey(16), nil, ErrLength},
	} {
		out, _, err := Encrypt(tc.p, tc.key, 1, 2, [8]byte{}, tc.plain, []byte("keep"))
		if !errors.Is(err, tc.want) || string(out) != "keep" {
			t.Errorf("%s: %q, %v; want %v", tc.name, out, err, tc.want)
		}
	}
}

// FuzzDecrypt: Decrypt never panics and says nothing wrong about what it
// accepts; Encrypt then Decrypt is the identity (up to DES padding), in
// place or not.
func FuzzDecrypt(f *testing.F) {
	f.Add(uint8(PrivDES), testKey(16), uint32(1), uint32(2), make([]byte, 8), make([]byte, 16))
	f.Add(uint8(PrivAES), testKey(16), uint32(0), uint32(0), make([]byte, 8), []byte{1})
	f.Add(uint8(PrivAES256C), testKey(32), uint32(1<<31), uint32(5), make([]byte, 8), make([]byte, 33))
	f.Add(uint8(PrivDES), testKey(16), uint32(1), uint32(2), make([]byte, 7), make([]byte, 15))
	f.Add(uint8(PrivNone), []byte{}, uint32(0), uint32(0), []byte{}, []byte{})
	f.Add(uint8(200), testKey(24), uint32(9), uint32(9), make([]byte, 8), make([]byte, 8))
	// Real encrypted PDUs from net-snmp.
	for _, name := range []string{"sha-des.bin", "sha256-aes.bin", "md5-aes256.bin", "sha-aes192c.bin"} {
		msg, err := os.ReadFile(filepath.Join("testdata", "netsnmp", name))
		if err != nil {
			f.Fatal(err)
		}
		m, err := parseV3(msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(PrivAES), testKey(16), m.boots, m.time, m.privParams, m.data)
		f.Add(uint8(PrivDES), testKey(16), m.boots, m.time, m.privParams, m.data)
	}
	f.Fuzz(func(t *testing.T, proto uint8, key []byte, boots, engineTime uint32, privParams, data []byte) {
		p := PrivProtocol(proto % 8) // mostly real protocols, and one unknown
		out, err := Decrypt(p, key, boots, engineTime, privParams, data, nil)
		if err == nil {
			if p.KeyLen() == 0 || len(key) != p.KeyLen() || len(privParams) != 8 || len(data) == 0 ||
				(p == PrivDES && len(data)%8 != 0) {
				t.Fatalf("%v accepted key %d, privParams %d, data %d", p, len(key), len(privParams), len(data))
			}
			if len(out) != len(data) {
				t.Fatalf("%d octets from %d", len(out), len(data))
			}
		} else if out != nil {
			t.Fatalf("error %v with output", err)
		}

		// Round trip under a valid key and salt made from the input.
		if p.KeyLen() == 0 || len(data) == 0 {
			return
		}
		k := make([]byte, p.KeyLen())
		copy(k, key)
		var salt [8]byte
		copy(salt[:], privParams)
		ct, pp, err := Encrypt(p, k, boots, engineTime, salt, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != p.CiphertextLen(len(data)) {
			t.Fatalf("%d octets of ciphertext for %d", len(ct), len(data))
		}
		plain, err := Decrypt(p, k, boots, engineTime, pp[:], ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain[:len(data)], data) || !allZero(plain[len(data):]) {
			t.Fatalf("round trip: % x, want % x", plain, data)
		}
		inPlace, err := Decrypt(p, k, boots, engineTime, pp[:], ct, ct[:0])
		if err != nil || !bytes.Equal(inPlace, plain) {
			t.Fatalf("in place: %v % x", err, inPlace)
		}
	})
}
