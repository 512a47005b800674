package traps

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// bigTrap is a v2c trap of about size bytes: an ifDescr that long.
func bigTrap(t testing.TB, size int) *Admitted {
	vbs := []snmp.Varbind{
		{OID: oidUptime, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(1)},
		{OID: oidSnmpTrap, Type: snmp.TagObjectIdentifier, Value: oidLinkDown},
		{OID: oidIfDescr2, Type: snmp.TagOctetString, Value: bytes.Repeat([]byte("x"), size)},
	}
	msg := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 7, vbs)
	return &Admitted{At: time.Unix(1, 0), Listener: "tcp://:412", Source: src, Device: "sw1", Version: metrics.VersionV2c,
		Trap: "IF-MIB::linkDown", TrapOID: oidLinkDown, Message: msg, Varbinds: vbs}
}

// --trap.history.max-bytes bounds the memory the ring holds, not just the
// bytes of the records it still shows: a ring whose every slot once held a
// 60 KiB trap holds no more than the bound, and gives the memory back when
// small traps take the slots.
func TestHistoryMemoryBound(t *testing.T) {
	const size, maxBytes = 2000, 8 << 20
	before := heapInUse()
	h := New(Options{Size: size, MaxBytes: maxBytes})
	big := bigTrap(t, 60<<10)
	for range size {
		h.Admitted(big)
	}
	full := heapInUse() - before
	// The slots themselves, their strings and slices: well under 1 KiB each.
	overhead := uint64(size) << 10
	if full > maxBytes+overhead {
		t.Errorf("ring of 60 KiB traps holds %d MiB, bound %d MiB + %d KiB of slots", full>>20, maxBytes>>20, overhead>>10)
	}
	small := admitted(t, time.Unix(2, 0), 1, "eth0")
	for range 2 * size {
		h.Admitted(small)
	}
	if after := heapInUse() - before; after > overhead+size*uint64(len(small.Message))*2 {
		t.Errorf("after small traps took every slot, the ring holds %d KiB", after>>10)
	}
	runtime.KeepAlive(h)
}

// BenchmarkAdmittedAtByteBound keeps large traps in a ring the byte bound
// holds to a few of them: each one drops the oldest, and must not pass over
// the thousands of slots dropped before (ns/op stays that of a copy).
func BenchmarkAdmittedAtByteBound(b *testing.B) {
	h := New(Options{Size: DefaultSize, MaxBytes: 1 << 20})
	big := bigTrap(b, 60<<10)
	for range DefaultSize {
		h.Admitted(big)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Admitted(big)
	}
}

// BenchmarkFullRingHeap reports the heap a full ring at the default bounds
// holds: 10,000 linkDown records (six varbinds, one state change), and
// 60 KiB traps up to the 32 MiB byte bound.
func BenchmarkFullRingHeap(b *testing.B) {
	for _, c := range []struct {
		name string
		trap *Admitted
	}{
		{"linkDown", admitted(b, time.Unix(1, 0), 1, "GigabitEthernet0/2")},
		{"60KiB", bigTrap(b, 60<<10)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var held uint64
			for b.Loop() {
				before := heapInUse()
				h := New(Options{Size: DefaultSize, MaxBytes: DefaultMaxBytes})
				for range DefaultSize {
					h.Admitted(c.trap)
				}
				held = heapInUse() - before
				runtime.KeepAlive(h)
			}
			b.ReportMetric(float64(held)/(1<<20), "MiB")
		})
	}
}
