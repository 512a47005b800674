package pipeline

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
	"github.com/snmptrap-exporter/snmptrap_exporter/usm"
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
			var s macSet
			f := randomFingerprinter()
			var queue []uint64
			for i := range live {
				fp := f.fingerprint(mac(i))
				s.add(fp)
				queue = append(queue, fp)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				fp := f.fingerprint(mac(live + i))
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

// BenchmarkHandleV3AuthPrivTrap measures an SHA/AES authPriv trap through
// USM (digest, timeliness, replay check, decryption) to the store, the v3
// counterpart of BenchmarkHandleV2cLinkDown (same trap, same listener,
// Received set as the receiver sets it). Every message is new, as a replay
// would be refused, and engineTime moves on as a real sender's does: ten
// messages per second of engineTime, so about 1,500 are remembered for
// the replay check. Messages are built in chunks with the timer stopped.
// Every message must be accepted.
func BenchmarkHandleV3AuthPrivTrap(b *testing.B) {
	t := &testing.T{}
	f := newV3Fixture(t)
	s := opsSender()
	s.authKey = usm.LocalizeKey(s.auth, usm.PasswordToKey(s.auth, []byte(s.authPass)), s.engineID)
	s.privKey = usm.LocalizePrivKey(s.auth, s.priv, usm.PasswordToKey(s.auth, []byte(s.privPass)), s.engineID)
	const chunk = 1024
	msgs := make([][]byte, chunk)
	p := &receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Received: time.Now()}
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%chunk == 0 {
			b.StopTimer()
			for j := range msgs {
				n := int32(i + j)
				s.msgID, s.requestID, s.time = n, n, 1000+n/10
				msgs[j] = s.build(t, snmp.PDUTrapV2, oidLinkDown)
			}
			size = len(msgs[0])
			b.StartTimer()
		}
		p.Data = msgs[i%chunk]
		f.proc.Handle(p, nil)
	}
	b.StopTimer()
	b.SetBytes(int64(size))
	if got := f.v3(metrics.ResultAccepted); got != uint64(b.N) {
		b.Fatalf("accepted %d of %d", got, b.N)
	}
}
