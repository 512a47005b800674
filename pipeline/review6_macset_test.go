package pipeline

import (
	"encoding/binary"
	"testing"
)

// TestReview6MACFingerprintUsesAllBits: fingerprinter's comment puts the odds that
// two distinct remembered messages share a fingerprint (and the later is
// refused as a replay) at about n²/2⁶⁵, which needs fingerprints of 64
// random bits. Forcing the low bit on to keep 0 free left 63, doubling the
// odds of refusing a distinct message.
func TestReview6MACFingerprintUsesAllBits(t *testing.T) {
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
