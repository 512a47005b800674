package usm

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

// An AuthKey computes the MACs AuthProtocol's functions compute, for every
// protocol, message length around the hash block and MAC position, and
// refuses what Verify refuses.
func TestAuthKeyAgreesWithVerify(t *testing.T) {
	engine := []byte{0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa, 0xbb, 0xcc, 0xdd}
	for _, p := range allAuth {
		key := LocalizeKey(p, cachedKu(p, "authpass123"), engine)
		k := NewAuthKey(p, key)
		if k == nil || k.Protocol() != p {
			t.Fatalf("%v: NewAuthKey = %v", p, k)
		}
		n := p.MACLen()
		for _, size := range []int{n, n + 1, 55, 64, 119, 200, 1500} {
			for _, at := range []int{0, (size - n) / 2, size - n} {
				msg := make([]byte, size)
				for i := range msg {
					msg[i] = byte(i*31 + size)
				}
				clear(msg[at : at+n])
				want := p.AppendMAC(nil, key, msg)
				if got := k.AppendMAC([]byte{9}, msg); !bytes.Equal(got, append([]byte{9}, want...)) {
					t.Fatalf("%v size %d: AppendMAC % x, want 09 % x", p, size, got, want)
				}
				copy(msg[at:], want)
				orig := bytes.Clone(msg)
				if !k.VerifyMsg(msg, at) {
					t.Fatalf("%v size %d at %d: a good MAC refused", p, size, at)
				}
				if !bytes.Equal(msg, orig) {
					t.Fatalf("%v: VerifyMsg changed the message", p)
				}
				for _, flip := range []int{0, at, at + n - 1, size - 1} {
					msg[flip] ^= 0x40
					if k.VerifyMsg(msg, at) {
						t.Fatalf("%v size %d at %d: accepted with octet %d flipped", p, size, at, flip)
					}
					msg[flip] ^= 0x40
				}
				for _, bad := range []int{-1, size - n + 1, size} {
					if k.VerifyMsg(msg, bad) {
						t.Errorf("%v size %d: MAC at %d accepted", p, size, bad)
					}
				}
			}
		}
	}
	for _, bad := range []struct {
		p   AuthProtocol
		key []byte
	}{{AuthNone, nil}, {AuthSHA, make([]byte, 19)}, {AuthMD5, make([]byte, 20)}, {AuthProtocol(42), make([]byte, 20)}} {
		if k := NewAuthKey(bad.p, bad.key); k != nil {
			t.Errorf("NewAuthKey(%v, %d octets) = %v, want nil", bad.p, len(bad.key), k)
		}
	}
	var none *AuthKey
	if none.VerifyMsg(make([]byte, 40), 0) || len(none.AppendMAC(nil, []byte{1})) != 0 {
		t.Error("a nil AuthKey verified or made a MAC")
	}
}

// NewAuthKey keeps its own copy of the key.
func TestAuthKeyCopiesKey(t *testing.T) {
	key := testKey(20)
	k := NewAuthKey(AuthSHA, key)
	msg := make([]byte, 100)
	want := AuthSHA.AppendMAC(nil, key, msg)
	clear(key)
	if got := k.AppendMAC(nil, msg); !bytes.Equal(got, want) {
		t.Errorf("MAC changed with the caller's key slice")
	}
}

// Goroutines sharing an AuthKey get right answers whether they use the
// kept HMAC or, finding it busy, one of their own (run with -race).
func TestAuthKeyConcurrent(t *testing.T) {
	key := testKey(32)
	k := NewAuthKey(AuthSHA256, key)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				msg := make([]byte, 60+g+i%70)
				msg[0] = byte(g)
				mac := k.AppendMAC(nil, msg)
				if !bytes.Equal(mac, AuthSHA256.AppendMAC(nil, key, msg)) {
					t.Error("wrong MAC under concurrency")
					return
				}
				copy(msg[10:], mac)
				if !k.VerifyMsg(msg, 10) {
					t.Error("good MAC refused under concurrency")
					return
				}
				msg[len(msg)-1] ^= 1
				if k.VerifyMsg(msg, 10) {
					t.Error("bad MAC accepted under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A PrivKey decrypts and encrypts as the package functions do, and refuses
// what they refuse.
func TestPrivKey(t *testing.T) {
	for _, p := range allPriv {
		key := testKey(p.KeyLen())
		k, err := NewPrivKey(p, key)
		if err != nil || k.Protocol() != p {
			t.Fatalf("%v: %v", p, err)
		}
		plain := bytes.Repeat([]byte("scoped PDU "), 9)
		salt := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
		ct, pp, err := k.Encrypt(7, 99, salt, plain, nil)
		want, wpp, werr := Encrypt(p, key, 7, 99, salt, plain, nil)
		if err != nil || werr != nil || !bytes.Equal(ct, want) || pp != wpp {
			t.Fatalf("%v: Encrypt differs: %v %v", p, err, werr)
		}
		got, err := k.Decrypt(7, 99, pp[:], ct, []byte("x"))
		if err != nil || !bytes.Equal(got[1:len(plain)+1], plain) || got[0] != 'x' {
			t.Fatalf("%v: Decrypt: %v % x", p, err, got)
		}
		if _, err := k.Decrypt(7, 99, pp[:7], ct, nil); !errors.Is(err, ErrPrivParams) {
			t.Errorf("%v: 7-octet privParams: %v", p, err)
		}
		if _, err := k.Decrypt(7, 99, pp[:], nil, nil); !errors.Is(err, ErrLength) {
			t.Errorf("%v: empty ciphertext: %v", p, err)
		}
	}
	if _, err := NewPrivKey(PrivNone, nil); !errors.Is(err, ErrProtocol) {
		t.Errorf("PrivNone: %v", err)
	}
	if _, err := NewPrivKey(PrivAES, testKey(15)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
}
