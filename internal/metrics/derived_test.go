package metrics

import (
	"net/netip"
	"testing"
	"time"
)

var (
	srcA = netip.MustParseAddr("192.0.2.1")
	srcB = netip.MustParseAddr("192.0.2.2")
)

func ifUp() *Family {
	return &Family{Name: "snmptrap_interface_up", Help: "Interface state.", Type: Gauge, Labels: []string{"ifIndex"}, KeyLabels: 1}
}

func ifInfo() *Family {
	return &Family{Name: "snmptrap_interface_info", Help: "Interface names.", Type: Gauge, Labels: []string{"ifIndex", "ifDescr"}, KeyLabels: 1}
}

func restarts() *Family {
	return &Family{Name: "snmptrap_device_restarts_total", Help: "Restarts.", Type: Counter, TTL: TTLSeries}
}

func TestDerivedFamiliesReplaced(t *testing.T) {
	s := NewStore(0, 0, nil)
	up, rs := ifUp(), restarts()
	s.SetFamilies([]*Family{up, rs})
	s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 1, At: time.Time{}, TTL: up.TTL})
	s.Update(Update{Family: rs, Op: OpAdd, Src: srcA, Device: "sw1", Values: nil, Value: 1, At: time.Time{}, TTL: rs.TTL})

	up2 := ifUp()
	rs2 := restarts()
	rs2.Labels = []string{"reason"} // reshaped
	if err := s.SetFamilies([]*Family{up2, rs2}); err != nil {
		t.Fatal(err)
	}
	if s.Update(Update{Family: rs, Op: OpAdd, Src: srcA, Device: "sw1", Values: nil, Value: 1, At: time.Time{}, TTL: rs.TTL}) {
		t.Error("an update of an old family whose labels changed was taken")
	}
	got := s.DerivedSnapshot()
	if len(got) != 1 || got[0].Family != up2 || got[0].Values[0] != "3" {
		t.Errorf("after reload: %+v", got)
	}
	if d := s.Dropped()[DropReasonRuleRemoved]; d != 1 {
		t.Errorf("rule_removed = %d, want 1", d)
	}
	if err := s.SetFamilies([]*Family{ifUp(), ifUp()}); err == nil {
		t.Error("a family defined twice was accepted")
	}
	if err := s.SetFamilies([]*Family{{Name: "bad-name"}}); err == nil {
		t.Error("an invalid metric name was accepted")
	}
}

// State series keep their own TTL (0: kept); counters follow the store's.
func TestDerivedTTL(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewStore(0, time.Hour, func() time.Time { return now })
	up, rs := ifUp(), restarts()
	short := &Family{Name: "snmptrap_alarm_active", Help: "x", Labels: []string{"alarm"}, KeyLabels: 1, TTL: 10 * time.Minute}
	s.SetFamilies([]*Family{up, rs, short})
	s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"1"}, Value: 0, At: time.Time{}, TTL: up.TTL})
	s.Update(Update{Family: rs, Op: OpAdd, Src: srcA, Device: "sw1", Values: nil, Value: 1, At: time.Time{}, TTL: rs.TTL})
	s.Update(Update{Family: short, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"fan"}, Value: 1, At: time.Time{}, TTL: short.TTL})
	s.Observe(srcA, "sw1", "IF-MIB::linkDown", time.Time{})

	now = now.Add(11 * time.Minute)
	if n := s.Expire(); n != 1 {
		t.Errorf("after 11m expired %d, want 1 (the alarm)", n)
	}
	now = now.Add(time.Hour)
	if n := s.Expire(); n != 2 {
		t.Errorf("after 1h11m expired %d, want 2 (the counter and the trap series)", n)
	}
	if got := s.DerivedSnapshot(); len(got) != 1 || got[0].Family != up {
		t.Errorf("left: %+v, want the interface state only", got)
	}
	if d := s.Dropped()[DropReasonExpired]; d != 3 {
		t.Errorf("expired = %d, want 3", d)
	}
	if got := s.Devices(); len(got) != 1 || got[0] != "sw1" {
		t.Errorf("Devices() = %v", got)
	}
}

func TestPerDeviceLimit(t *testing.T) {
	s := NewStore(0, 0, nil)
	s.SetLimits(Limits{PerDevice: 2})
	up := ifUp()
	s.SetFamilies([]*Family{up})
	s.Observe(srcA, "sw1", "a", time.Time{})
	s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"1"}, Value: 1, At: time.Time{}, TTL: up.TTL})
	if s.Observe(srcA, "sw1", "b", time.Time{}) {
		t.Error("third series of sw1 admitted")
	}
	if s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"2"}, Value: 1, At: time.Time{}, TTL: up.TTL}) {
		t.Error("third series of sw1 admitted")
	}
	if !s.Observe(srcA, "sw1", "a", time.Time{}) || !s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"1"}, Value: 0, At: time.Time{}, TTL: up.TTL}) {
		t.Error("an existing series of a full device was refused")
	}
	if !s.Observe(srcA, "sw2", "b", time.Time{}) {
		t.Error("another device was refused")
	}
	if d := s.Dropped()[DropReasonDeviceLimit]; d != 2 {
		t.Errorf("device_limit = %d, want 2", d)
	}
	// The refused trap is in the overflow series: totals stay exact.
	var total uint64
	for _, x := range s.Snapshot() {
		total += x.Count
	}
	if total != 4 {
		t.Errorf("sum of trap counts %d, want 4", total)
	}
}

func TestSourceRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewStore(0, 0, func() time.Time { return now })
	s.SetLimits(Limits{NewPerSourcePerMinute: 3})
	admitted := 0
	for i := range 10 {
		if s.Observe(srcA, "sw1", string(rune('a'+i)), time.Time{}) {
			admitted++
		}
	}
	if admitted != 3 {
		t.Errorf("admitted %d new series in a burst, want 3", admitted)
	}
	if !s.Observe(srcB, "sw2", "a", time.Time{}) {
		t.Error("another source was refused")
	}
	now = now.Add(20 * time.Second) // one token back
	if !s.Observe(srcA, "sw1", "x", time.Time{}) || s.Observe(srcA, "sw1", "y", time.Time{}) {
		t.Error("after 20s, want exactly one more new series")
	}
	if d := s.Dropped()[DropReasonSourceRate]; d != 8 {
		t.Errorf("source_rate = %d, want 8", d)
	}
	// Updates of existing series are never limited.
	if !s.Observe(srcA, "sw1", "a", time.Time{}) {
		t.Error("an existing series was refused")
	}
}

// The overall cap counts both kinds of series.
func TestCapCountsDerived(t *testing.T) {
	s := NewStore(2, 0, nil)
	up := ifUp()
	s.SetFamilies([]*Family{up})
	s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"1"}, Value: 1, At: time.Time{}, TTL: up.TTL})
	s.Observe(srcA, "sw1", "a", time.Time{})
	if s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"2"}, Value: 1, At: time.Time{}, TTL: up.TTL}) || s.Observe(srcA, "sw1", "b", time.Time{}) {
		t.Error("a series past the cap was admitted")
	}
	if d := s.Dropped()[DropReasonLimit]; d != 2 {
		t.Errorf("limit = %d, want 2", d)
	}
}

// A reload sets the new families on the store before the processor swaps in
// the new rules (internal/reload), so traps handled in between still apply the old
// rule set, whose family pointers the store no longer has. When the family
// kept its shape, such an update must not be lost: a linkDown received during
// a reload would otherwise leave snmptrap_interface_up at 1 for good.
func TestUpdateDuringReloadKept(t *testing.T) {
	s := NewStore(0, 0, nil)
	up := ifUp()
	if err := s.SetFamilies([]*Family{up}); err != nil {
		t.Fatal(err)
	}
	s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 1, At: time.Time{}, TTL: up.TTL})

	up2 := ifUp() // the reloaded configuration's family, same shape
	if err := s.SetFamilies([]*Family{up2}); err != nil {
		t.Fatal(err)
	}
	// The old rules, still in use for a moment: linkDown on ifIndex 3 and 4.
	if !s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 0, At: time.Time{}, TTL: up.TTL}) {
		t.Error("an update of an existing series through the old, same-shaped family was lost")
	}
	if !s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"4"}, Value: 0, At: time.Time{}, TTL: up.TTL}) {
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
	if s.Update(Update{Family: up2, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 1, At: time.Time{}, TTL: up2.TTL}) {
		t.Error("an update through a family whose labels changed was taken")
	}
	if err := s.SetFamilies(nil); err != nil {
		t.Fatal(err)
	}
	if s.Update(Update{Family: reshaped, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"x"}, Value: 1, At: time.Time{}, TTL: reshaped.TTL}) {
		t.Error("an update through a removed family was taken")
	}
	if n := s.Len(); n != 0 {
		t.Errorf("Len() = %d, want 0", n)
	}
}

// UpdateChange says what an update did: a new series, a changed value.
func TestUpdateChange(t *testing.T) {
	s := NewStore(0, 0, nil)
	up, rs := ifUp(), restarts()
	s.SetFamilies([]*Family{up, rs})
	set := func(v float64) Change {
		return s.UpdateChange(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"2"}, Value: v})
	}
	if c := set(1); c != (Change{OK: true, New: 1}) {
		t.Errorf("new series: %+v", c)
	}
	if c := set(0); c != (Change{OK: true, Existed: true, Old: 1, New: 0}) {
		t.Errorf("down: %+v", c)
	}
	s.UpdateChange(Update{Family: rs, Op: OpAdd, Src: srcA, Device: "sw1", Value: 1})
	if c := s.UpdateChange(Update{Family: rs, Op: OpAdd, Src: srcA, Device: "sw1", Value: 1}); c != (Change{OK: true, Existed: true, Old: 1, New: 2}) {
		t.Errorf("counter: %+v", c)
	}
}
