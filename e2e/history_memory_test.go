package e2e

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// TestHistoryMemoryBound: the trap history holds no more memory than
// --trap.history.max-bytes, however large the traps it has seen. 3,000
// traps of 30 KiB over one TCP connection (90 MiB) into a ring bounded to
// 4 MiB leave the heap far below what they would hold unbounded. The
// vendor table is off: its 26 MiB of names, decoded at start, would leave
// the heap 39 to 53 MiB from one run to the next and hide the ring's share.
func TestHistoryMemoryBound(t *testing.T) {
	need(t)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	e := start(t, "--trap.listen-address=tcp://"+addr, "--trap.history.max-bytes=4MiB", "--trap.dedup.window=0", "--no-mib.vendor")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const traps, size = 3000, 30 << 10
	for i := range traps {
		vbs := []snmp.Varbind{
			{OID: snmp.MustParseOID("1.3.6.1.2.1.1.3.0"), Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(uint64(i))},
			{OID: snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: snmp.TagObjectIdentifier, Value: snmp.MustParseOID(linkDown)},
			{OID: snmp.MustParseOID(ifIndex2), Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
			{OID: snmp.MustParseOID("1.3.6.1.2.1.2.2.1.2.2"), Type: snmp.TagOctetString, Value: bytes.Repeat([]byte{byte('a' + i%26)}, size)},
		}
		if _, err := c.Write(snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, int32(i), vbs)); err != nil {
			t.Fatal(err)
		}
	}
	e.waitMetric(t, map[string]float64{`snmptrap_packets_total{listener="tcp://` + addr + `",result="accepted",version="v2c"}`: traps})
	// Let the collector free what the receive path dropped.
	var heap float64
	for range 5 {
		time.Sleep(200 * time.Millisecond)
		heap = samples(t, e.scrape(t))["go_memstats_heap_inuse_bytes"]
	}
	if limit := 48.0 * (1 << 20); heap > limit {
		t.Errorf("heap in use %.0f MiB after %d MiB of traps into a 4 MiB ring; want under %.0f MiB", heap/(1<<20), traps*size>>20, limit/(1<<20))
	}
	t.Logf("heap in use %.1f MiB", heap/(1<<20))
}
