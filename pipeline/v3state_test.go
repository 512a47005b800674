package pipeline

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// macSet against a map, through growth, shrinking and long runs of
// deletions, with keys from a small space so that they repeat, and with a
// fixed seed so that keys share home slots often.
func TestMACSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, space := range []int{8, 100, 5000} {
		var s macSet
		f := newFingerprinter([16]byte{1, 2})
		ref := map[uint64]bool{}
		// Fingerprints of a few MACs, so that they repeat and, in a
		// small table, share home slots.
		key := func() uint64 {
			var mac [12]byte
			binary.LittleEndian.PutUint64(mac[:], uint64(rng.IntN(space)))
			return f.fingerprint(mac[:])
		}
		for i := range 200000 {
			k := key()
			adds := 5 // of 10: the set grows, then shrinks
			if i > 100000 {
				adds = 2
			}
			switch op := rng.IntN(10); {
			case op < adds:
				s.add(k)
				ref[k] = true
			case op < 8:
				s.delete(k)
				delete(ref, k)
			default:
				if s.has(k) != ref[k] {
					t.Fatalf("space %d step %d: has(%x) = %v, want %v", space, i, k, s.has(k), ref[k])
				}
			}
			if s.n != len(ref) {
				t.Fatalf("space %d step %d: %d entries, want %d", space, i, s.n, len(ref))
			}
		}
		for k := range ref {
			if !s.has(k) {
				t.Fatalf("space %d: %#x lost", space, k)
			}
		}
		for k := range ref {
			s.delete(k)
		}
		if s.n != 0 || len(s.slots) > minMACSetSlots {
			t.Errorf("space %d: emptied set has %d entries in %d slots", space, s.n, len(s.slots))
		}
		// Never more than half full, so every run ends.
		if 2*s.n > len(s.slots) && len(s.slots) > 0 {
			t.Errorf("space %d: %d entries in %d slots", space, s.n, len(s.slots))
		}
	}
	var empty macSet
	if empty.has(1) {
		t.Error("zero macSet has a fingerprint")
	}
	empty.delete(1)
}

// TestFingerprintUsesAllBits: fingerprinter's comment puts the odds that
// two distinct remembered messages share a fingerprint (and the later is
// refused as a replay) at about n²/2⁶⁵, which needs fingerprints of 64
// random bits. Forcing the low bit on to keep 0 free left 63, doubling the
// odds of refusing a distinct message.
func TestFingerprintUsesAllBits(t *testing.T) {
	f := randomFingerprinter()
	var mac [12]byte
	even := 0
	for i := range 256 {
		binary.BigEndian.PutUint64(mac[:], uint64(i))
		fp := f.fingerprint(mac[:])
		if fp == 0 {
			t.Fatal("fingerprint 0 is the empty slot")
		}
		if fp&1 == 0 {
			even++
		}
	}
	// 256 fingerprints of 64 random bits are all odd with odds 2⁻²⁵⁶.
	if even == 0 {
		t.Error("every fingerprint is odd: only 63 of its bits tell MACs apart")
	}
}
