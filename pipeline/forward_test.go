package pipeline

import (
	"net"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Forwarding sees admitted traps after they are counted and changes no
// count; an inform is acknowledged at once whatever its forwarding does
// (here: a destination that never acknowledges), and a retransmitted one
// is acknowledged again but not forwarded again; refused messages are not
// forwarded.
func TestForwardAfterCounting(t *testing.T) {
	dest, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Close()
	plan, err := forward.Compile([]config.Forward{
		{Address: "udp://" + dest.LocalAddr().String()},
		{Address: "udp://127.0.0.2:9", Mode: "inform", Community: "c"}, // nobody acknowledges
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := forward.NewManager(forward.Options{DrainTimeout: 10 * time.Millisecond})
	defer m.Stop()
	f := newFixture(100)
	st := f.proc.Settings()
	st.Forward = m.Apply(plan)
	f.proc.Apply(st)

	inform := v2cTrap(snmp.PDUInformRequest, 77, oidLinkDown)
	start := time.Now()
	if reply := f.handle(inform); reply == nil {
		t.Fatal("inform not acknowledged")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("the acknowledgement waited %v", d)
	}
	if reply := f.handle(inform); reply == nil {
		t.Fatal("retransmitted inform not acknowledged")
	}
	f.handle(v2cTrap(snmp.PDUTrapV2, 1, oidLinkUp))
	f.handle([]byte("GET / HTTP/1.0\r\n"))

	if got := f.count(metrics.VersionV2c, metrics.ResultAccepted); got != 2 {
		t.Errorf("accepted %d, want 2", got)
	}
	if got := f.count(metrics.VersionV2c, metrics.ResultDuplicate); got != 1 {
		t.Errorf("duplicate %d, want 1", got)
	}
	dest.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	var got [][]byte
	for range 2 {
		n, err := dest.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]byte(nil), b[:n]...))
	}
	dest.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := dest.Read(b); err == nil {
		t.Errorf("a third message forwarded: %q", b[:n])
	}
	if string(got[0]) != string(inform) {
		t.Errorf("raw forwarding changed the inform")
	}
}
