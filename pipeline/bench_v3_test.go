package pipeline

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// BenchmarkReplayMemory is the replay memory's work per accepted message
// in steady state: look the new MAC up, forget the oldest, remember the
// new, with a fixed number remembered (1,500 is what
// BenchmarkHandleV3AuthPrivTrap keeps: ten messages per second of
// engineTime over the 150-second window; 50,000 is the per-engine bound).
// "map" is the map of MAC strings that macSet replaced.
func BenchmarkReplayMemory(b *testing.B) {
	mac := func(i int) []byte {
		var m [12]byte
		binary.LittleEndian.PutUint64(m[:], uint64(i)*0x9e3779b97f4a7c15)
		binary.LittleEndian.PutUint32(m[8:], uint32(i))
		return m[:]
	}
	for _, live := range []int{1500, maxSeenPerEngine} {
		b.Run(fmt.Sprintf("map/%d", live), func(b *testing.B) {
			m := map[string]struct{}{}
			var queue []string
			for i := range live {
				k := string(mac(i))
				m[k] = struct{}{}
				queue = append(queue, k)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k := mac(live + i)
				if _, dup := m[string(k)]; dup {
					b.Fatal("dup")
				}
				delete(m, queue[i])
				ks := string(k)
				m[ks] = struct{}{}
				queue = append(queue, ks)
			}
		})
		b.Run(fmt.Sprintf("macSet/%d", live), func(b *testing.B) {
			s := newMACSet()
			var queue []uint64
			for i := range live {
				fp := s.fingerprint(mac(i))
				s.add(fp)
				queue = append(queue, fp)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				fp := s.fingerprint(mac(live + i))
				if s.has(fp) {
					b.Fatal("dup")
				}
				s.delete(queue[i])
				s.add(fp)
				queue = append(queue, fp)
			}
		})
	}
}
