package metrics

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
)

func relayAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)})
}

// The first MaxRelayLabels relays get a label each; the rest are counted
// under "other". Each relay is new once, also past the labels, until the
// remembered set is full: then the first relay that cannot be remembered
// is reported once, and no further one.
func TestRelayCountersBounded(t *testing.T) {
	p := NewPackets()
	news := map[RelayNews]int{}
	for round := range 2 {
		for i := range MaxRelayLabels + maxRelaysRemembered + 10 {
			n := p.RelayWithoutAgent(relayAddr(i))
			if round == 1 && n != RelayKnown && i < MaxRelayLabels+maxRelaysRemembered {
				t.Fatalf("relay %d counted again: %v, want known", i, n)
			}
			news[n]++
		}
	}
	total := MaxRelayLabels + maxRelaysRemembered + 10
	if news[RelayNew] != MaxRelayLabels+maxRelaysRemembered || news[RelayForgotten] != 1 || news[RelayKnown] != 2*total-news[RelayNew]-1 {
		t.Errorf("news = %v", news)
	}
	all := p.RelaysWithoutAgent()
	if len(all) != MaxRelayLabels+1 {
		t.Fatalf("%d label values, want %d", len(all), MaxRelayLabels+1)
	}
	for i, c := range all[:MaxRelayLabels] {
		if want := relayAddr(i).String(); c.Relay != want || c.Count != 2 {
			t.Errorf("label %d = %+v, want %s counted twice", i, c, want)
		}
	}
	if o := all[MaxRelayLabels]; o.Relay != RelayOtherLabel || o.Count != uint64(2*(total-MaxRelayLabels)) {
		t.Errorf("other = %+v, want %d", o, 2*(total-MaxRelayLabels))
	}
}

func TestRelayCountersEmptyAndConcurrent(t *testing.T) {
	p := NewPackets()
	if all := p.RelaysWithoutAgent(); len(all) != 0 {
		t.Errorf("no counts yet, got %v", all)
	}
	var wg sync.WaitGroup
	newCount := make([]int, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				if p.RelayWithoutAgent(relayAddr(i%8)) == RelayNew {
					newCount[w]++
				}
			}
		}()
	}
	wg.Wait()
	if n := newCount[0] + newCount[1] + newCount[2] + newCount[3]; n != 8 {
		t.Errorf("%d relays reported new, want 8", n)
	}
	var got []string
	for _, c := range p.RelaysWithoutAgent() {
		got = append(got, fmt.Sprintf("%s=%d", c.Relay, c.Count))
	}
	if len(got) != 8 {
		t.Errorf("counts %v, want 8 relays", got)
	}
	for _, c := range p.RelaysWithoutAgent() {
		if c.Count != 500 {
			t.Errorf("%s = %d, want 500", c.Relay, c.Count)
		}
	}
}
