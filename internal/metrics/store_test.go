package metrics

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/race"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

func total(samples []Sample) uint64 {
	var n uint64
	for _, s := range samples {
		n += s.Count
	}
	return n
}

func TestStoreCountsAndTimestamps(t *testing.T) {
	clk := testfixtures.NewClock()
	s := NewStore(10, 0, clk.Now)
	s.Observe(netip.Addr{}, "10.0.0.1", "IF-MIB::linkDown", time.Time{})
	clk.Add(time.Second)
	s.Observe(netip.Addr{}, "10.0.0.1", "IF-MIB::linkDown", time.Time{})
	s.Observe(netip.Addr{}, "10.0.0.2", "IF-MIB::linkUp", time.Time{})

	got := s.Snapshot()
	want := []Sample{
		{Key: Key{"10.0.0.1", "IF-MIB::linkDown"}, Count: 2, Last: clk.Now()},
		{Key: Key{"10.0.0.2", "IF-MIB::linkUp"}, Count: 1, Last: clk.Now()},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d series, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Count != want[i].Count || !got[i].Last.Equal(want[i].Last) {
			t.Errorf("series %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s.Len() != 2 {
		t.Errorf("Len() = %d, want 2", s.Len())
	}
}

// When the cap is hit, traps go to the overflow series, the refusals are
// counted, and the sum over all series stays the number of traps observed.
func TestStoreLimitKeepsTotalsExact(t *testing.T) {
	s := NewStore(3, 0, testfixtures.NewClock().Now)
	const n = 100
	for i := range n {
		dev := string(rune('a' + i%10))
		s.Observe(netip.Addr{}, dev, "trap", time.Time{})
	}
	snap := s.Snapshot()
	if got := total(snap); got != n {
		t.Fatalf("sum over series = %d, want %d", got, n)
	}
	if s.Len() != 3 {
		t.Errorf("Len() = %d, want 3", s.Len())
	}
	last := snap[len(snap)-1]
	if last.Device != OverflowLabel || last.Trap != OverflowLabel {
		t.Fatalf("last series = %+v, want the overflow series", last)
	}
	// Devices a, b, c got in and take 10 traps each; the other 70 overflow.
	if last.Count != 70 {
		t.Errorf("overflow count = %d, want 70", last.Count)
	}
	if d := s.Dropped(); d[DropReasonLimit] != 70 || d[DropReasonExpired] != 0 {
		t.Errorf("Dropped() = %v; want limit 70, expired 0", d)
	}
	// A series already in the store keeps counting when the store is full.
	if !s.Observe(netip.Addr{}, "a", "trap", time.Time{}) {
		t.Error("Observe on an existing series reported overflow")
	}
}

func TestStoreNoLimit(t *testing.T) {
	s := NewStore(0, 0, nil)
	for i := range 1000 {
		s.Observe(netip.Addr{}, string(rune(i)), "t", time.Time{})
	}
	if s.Len() != 1000 || s.Limit() != 0 {
		t.Errorf("Len() = %d, Limit() = %d; want 1000, 0", s.Len(), s.Limit())
	}
}

func TestStoreExpiry(t *testing.T) {
	clk := testfixtures.NewClock()
	s := NewStore(10, time.Hour, clk.Now)
	s.Observe(netip.Addr{}, "old", "t", time.Time{})
	clk.Add(30 * time.Minute)
	s.Observe(netip.Addr{}, "new", "t", time.Time{})
	clk.Add(31 * time.Minute) // "old" is 61 minutes old, "new" 31.

	if n := s.Expire(); n != 1 {
		t.Fatalf("Expire() = %d, want 1", n)
	}
	snap := s.Snapshot()
	if len(snap) != 1 || snap[0].Device != "new" {
		t.Fatalf("after expiry: %+v, want only the \"new\" series", snap)
	}
	if expired := s.Dropped()[DropReasonExpired]; expired != 1 {
		t.Errorf("expired = %d, want 1", expired)
	}
	// An expired series starts again from zero: its old count is gone,
	// not folded into anything else.
	s.Observe(netip.Addr{}, "old", "t", time.Time{})
	for _, x := range s.Snapshot() {
		if x.Device == "old" && x.Count != 1 {
			t.Errorf("re-created series count = %d, want 1", x.Count)
		}
	}
}

func TestStoreExpiryKeepsOverflow(t *testing.T) {
	clk := testfixtures.NewClock()
	s := NewStore(1, time.Minute, clk.Now)
	s.Observe(netip.Addr{}, "a", "t", time.Time{})
	s.Observe(netip.Addr{}, "b", "t", time.Time{}) // overflows
	clk.Add(time.Hour)
	s.Expire()
	snap := s.Snapshot()
	if len(snap) != 1 || snap[0].Device != OverflowLabel || snap[0].Count != 1 {
		t.Fatalf("after expiry: %+v, want only the overflow series with 1", snap)
	}
}

func TestStoreConcurrent(t *testing.T) {
	s := NewStore(50, time.Hour, nil)
	const workers, per = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				s.Observe(netip.Addr{}, string(rune('A'+(i+w)%100)), "t", time.Time{})
				if i%500 == 0 {
					s.Snapshot()
					s.Expire()
				}
			}
		}()
	}
	wg.Wait()
	if got := total(s.Snapshot()); got != workers*per {
		t.Fatalf("sum over series = %d, want %d", got, workers*per)
	}
}

// Expire running beside Observe never loses a trap: a series is complete
// before it is visible and is updated under the lock Expire excludes.
func TestStoreExpireDuringObserve(t *testing.T) {
	s := NewStore(0, 7*24*time.Hour, nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				s.Expire()
			}
		}
	}()
	const n = 20000
	for i := range n {
		s.Observe(netip.Addr{}, string(rune(i%2000)), "t", time.Time{})
	}
	close(stop)
	wg.Wait()
	if got := total(s.Snapshot()); got != n {
		t.Fatalf("sum over series = %d, want %d", got, n)
	}
	if expired := s.Dropped()[DropReasonExpired]; expired != 0 {
		t.Fatalf("%d fresh series expired", expired)
	}
}

// A trap stamped earlier (another receive goroutine's batch) does not move
// the last-seen time back.
func TestLastSeenNeverGoesBack(t *testing.T) {
	s := NewStore(0, 0, nil)
	late, early := time.Unix(2000, 0), time.Unix(1000, 0)
	s.Observe(netip.Addr{}, "sw1", "t", late)
	s.Observe(netip.Addr{}, "sw1", "t", early)
	if got := s.Snapshot()[0]; got.Count != 2 || !got.Last.Equal(late) {
		t.Errorf("count %d, last %v; want 2, %v", got.Count, got.Last, late)
	}
}

// TestHeapPerSeries reports the heap an idle series costs beyond its label
// strings (the figure issue 6 asks for), and bounds it.
func TestHeapPerSeries(t *testing.T) {
	if testing.Short() || race.Enabled {
		t.Skip("memory measurement")
	}
	const n = 100000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewStore(0, 0, nil)
	for i := range n {
		s.Observe(netip.Addr{}, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "IF-MIB::linkDown", time.Time{})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	labels := 0
	for _, x := range s.Snapshot() {
		labels += len(x.Device) // the trap label is one shared constant
	}
	perSeries := (float64(after.HeapAlloc-before.HeapAlloc) - float64(labels)) / n
	t.Logf("heap per series beyond its labels' bytes: %.0f B (%d series, %d label bytes)", perSeries, n, labels)
	if perSeries > 150 {
		t.Errorf("%.0f bytes of heap per series, target 150", perSeries)
	}
	runtime.KeepAlive(s)
}

// Series expire on the store's own loop, whether or not anything scrapes.
func TestExpiryLoop(t *testing.T) {
	clk := testfixtures.NewClock()
	store := NewStore(0, time.Hour, clk.Now)
	store.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.ExpireEvery(ctx, time.Millisecond)
	}()
	clk.Add(2 * time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for store.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the expiry loop did not remove an expired series")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := store.Dropped()[DropReasonExpired]; n != 1 {
		t.Errorf("expired %d, want 1", n)
	}
}

// What a scrape reads of the store takes no lock once the series are
// indexed: it completes while a writer holds the store's lock for a long
// time, so the receive path never waits for a scrape.
func TestReadsTakeNoLock(t *testing.T) {
	s := NewStore(10, time.Hour, nil)
	s.SetLimits(Limits{MaxLabelBytes: 1000})
	s.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", time.Time{})
	s.Index()
	s.mu.Lock()
	done := make(chan int)
	go func() {
		idx := s.Index()
		n := idx.Len() + s.Len() + s.Limit() + s.LabelBytes() + s.LabelBytesLimit() + len(s.Dropped())
		done <- n
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.mu.Unlock()
		t.Fatal("a read of the store waited for its lock")
	}
	s.mu.Unlock()
}
