package inventory

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
)

// The indexed lookup of Info finds the entry the first-match scan over
// the entries, longest prefix first, found, for random inventories.
func TestInventoryIndexMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	addr := func() netip.Addr {
		if rng.IntN(4) == 0 {
			var b [16]byte
			b[0], b[1], b[15] = 0x20, 0x01, byte(rng.IntN(4))
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{10, byte(rng.IntN(3)), byte(rng.IntN(3)), byte(rng.IntN(4))})
	}
	for round := range 200 {
		c := &config.Config{}
		seenPrefix := map[netip.Prefix]bool{}
		for range rng.IntN(12) {
			a := addr()
			bits := []int{8, 16, 24, a.BitLen()}[rng.IntN(4)]
			if a.Is6() {
				bits = []int{16, 64, 120, 128}[rng.IntN(4)]
			}
			p := netip.PrefixFrom(a, bits).Masked()
			if seenPrefix[p] {
				continue
			}
			seenPrefix[p] = true
			c.Devices = append(c.Devices, config.Device{Address: config.Source{Prefix: p},
				Labels: map[string]string{"entry": p.String()}})
		}
		inv := New(c.Devices)
		for range 50 {
			a := addr()
			var want *entry
			for i := range inv.entries {
				if inv.entries[i].prefix.Contains(a) {
					want = &inv.entries[i]
					break
				}
			}
			if got := inv.entry(a); got != want {
				t.Fatalf("round %d: entry(%s) = %v, want %v (inventory %v)", round, a, got, want, c.Devices)
			}
		}
	}
}

// BenchmarkDeviceInfo is snmptrap_device_info at a scrape with 10,000
// named devices (single addresses) and 100,000 devices seen.
func BenchmarkDeviceInfo(b *testing.B) {
	c := &config.Config{}
	for i := range 10000 {
		a := netip.AddrFrom4([4]byte{10, 200, byte(i >> 8), byte(i)})
		c.Devices = append(c.Devices, config.Device{Address: config.Source{Prefix: netip.PrefixFrom(a, 32)},
			Name: fmt.Sprintf("sw%05d", i), Labels: map[string]string{"site": "lab"}})
	}
	c.Devices = append(c.Devices, config.Device{Address: config.Source{Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		Labels: map[string]string{"site": "any"}})
	inv := New(c.Devices)
	seen := make([]string, 0, 100000)
	for i := range 100000 {
		seen = append(seen, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
	}
	for b.Loop() {
		if len(inv.Info(seen)) != 110000 {
			b.Fatal("wrong count")
		}
	}
}
