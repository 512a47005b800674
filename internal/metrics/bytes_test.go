package metrics

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// The store is bounded by the bytes its labels hold as well as by the
// number of series: a trap that would pass the byte bound goes to the
// overflow series and counts as dropped for bytes_limit, and an expired
// series gives its bytes back.
func TestStoreBytesLimit(t *testing.T) {
	clk := testfixtures.NewClock()
	s := NewStore(0, time.Hour, clk.Now)
	s.SetLimits(Limits{MaxLabelBytes: 90})
	long := strings.Repeat("1.3.6.1.4.1.9999", 2) // 32 bytes
	for i := range 3 {
		s.Observe(netip.Addr{}, "192.0.2.1", long+string(rune('a'+i)), time.Time{}) // 9 + 33 bytes each
	}
	if n, d := s.Len(), s.Dropped()[DropReasonBytesLimit]; n != 2 || d != 1 {
		t.Errorf("%d series, %d dropped for bytes_limit; want 2 and 1", n, d)
	}
	if b := s.LabelBytes(); b != 84 {
		t.Errorf("LabelBytes() = %d, want 84", b)
	}
	samples := s.Snapshot()
	if last := samples[len(samples)-1]; last.Device != OverflowLabel || last.Count != 1 {
		t.Errorf("overflow series %+v, want 1 trap", last)
	}
	// A derived series counts its device and label values.
	f := ifUp()
	if err := s.SetFamilies([]*Family{f}); err != nil {
		t.Fatal(err)
	}
	if s.Update(Update{Family: f, Op: OpSet, Src: netip.Addr{}, Device: "192.0.2.1", Values: []string{"2"}, Value: 1, At: time.Time{}, TTL: 0}) {
		t.Error("a derived series past the byte bound was admitted")
	}
	clk.Add(2 * time.Hour)
	s.Expire()
	if b := s.LabelBytes(); b != 0 {
		t.Errorf("after expiry LabelBytes() = %d, want 0", b)
	}
	if !s.Update(Update{Family: f, Op: OpSet, Src: netip.Addr{}, Device: "192.0.2.1", Values: []string{"2"}, Value: 1, At: time.Time{}, TTL: 0}) {
		t.Error("a derived series was refused with room to spare")
	}
	if b := s.LabelBytes(); b != len("192.0.2.1")+len("2") {
		t.Errorf("LabelBytes() = %d, want %d", b, len("192.0.2.1")+len("2"))
	}
}

// TakeChanged tells a snapshot saver whether anything changed since the
// last call, without encoding the store.
func TestStoreTakeChanged(t *testing.T) {
	s := NewStore(0, time.Hour, nil)
	if s.TakeChanged() {
		t.Error("a new store changed")
	}
	s.Observe(netip.Addr{}, "a", "t", time.Time{})
	if !s.TakeChanged() || s.TakeChanged() {
		t.Error("one observation: want changed once")
	}
	s.Observe(netip.Addr{}, "a", "t", time.Time{}) // an existing series
	f := ifUp()
	s.SetFamilies([]*Family{f})
	s.TakeChanged()
	s.Update(Update{Family: f, Op: OpSet, Src: netip.Addr{}, Device: "a", Values: []string{"1"}, Value: 1, At: time.Time{}, TTL: 0})
	if !s.TakeChanged() {
		t.Error("an update did not count as a change")
	}
	s.MarkChanged()
	if !s.TakeChanged() {
		t.Error("MarkChanged did not count as a change")
	}
}
