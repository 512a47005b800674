package collector

import (
	"testing"
	"time"
)

// A reload sets the new families on the store before the processor swaps in
// the new rules (reload.go), so traps handled in between still apply the old
// rule set, whose family pointers the store no longer has. When the family
// kept its shape, such an update must not be lost: a linkDown received during
// a reload would otherwise leave snmptrap_interface_up at 1 for good.
func TestReviewUpdateDuringReloadKept(t *testing.T) {
	s := NewStore(0, 0, nil)
	up := ifUp()
	if err := s.SetFamilies([]*Family{up}); err != nil {
		t.Fatal(err)
	}
	s.Update(up, OpSet, srcA, "sw1", []string{"3"}, 1, time.Time{}, up.TTL)

	up2 := ifUp() // the reloaded configuration's family, same shape
	if err := s.SetFamilies([]*Family{up2}); err != nil {
		t.Fatal(err)
	}
	// The old rules, still in use for a moment: linkDown on ifIndex 3 and 4.
	if !s.Update(up, OpSet, srcA, "sw1", []string{"3"}, 0, time.Time{}, up.TTL) {
		t.Error("an update of an existing series through the old, same-shaped family was lost")
	}
	if !s.Update(up, OpSet, srcA, "sw1", []string{"4"}, 0, time.Time{}, up.TTL) {
		t.Error("a new series through the old, same-shaped family was lost")
	}
	got := s.DerivedSnapshot()
	if len(got) != 2 || got[0].Value != 0 || got[1].Value != 0 || got[0].Family != up2 || got[1].Family != up2 {
		t.Errorf("after the reload: %+v, want ifIndex 3 and 4 at 0 under the new family", got)
	}

	// A family that changed shape or is gone still takes nothing.
	reshaped := ifUp()
	reshaped.Labels = []string{"ifName"}
	if err := s.SetFamilies([]*Family{reshaped}); err != nil {
		t.Fatal(err)
	}
	if s.Update(up2, OpSet, srcA, "sw1", []string{"3"}, 1, time.Time{}, up2.TTL) {
		t.Error("an update through a family whose labels changed was taken")
	}
	if err := s.SetFamilies(nil); err != nil {
		t.Fatal(err)
	}
	if s.Update(reshaped, OpSet, srcA, "sw1", []string{"x"}, 1, time.Time{}, reshaped.TTL) {
		t.Error("an update through a removed family was taken")
	}
	if n := s.Len(); n != 0 {
		t.Errorf("Len() = %d, want 0", n)
	}
}
