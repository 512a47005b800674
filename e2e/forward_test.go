package e2e

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestForwardModes: a front exporter forwards what net-snmp sends it to a
// second exporter, on three listeners there, one per mode. The second one
// trusts the front as a relay. Raw keeps the bytes, so a v1 trap keeps
// its agent-addr but a v2c trap names the front; v2c and inform name the
// original device in snmpTrapAddress.0; informs are acknowledged by the
// second exporter. The front's own counts are what it received.
func TestForwardModes(t *testing.T) {
	need(t)
	rawPort, v2cPort, informPort := freePort(t), freePort(t), freePort(t)
	back := start(t,
		fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", rawPort),
		fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", v2cPort),
		fmt.Sprintf("--trap.listen-address=tcp://127.0.0.1:%d", informPort),
		"--config.file="+writeConfig(t, "relays: [127.0.0.1]\nauth:\n  communities: [public, fwd-secret]\n"))

	frontPort := freePort(t)
	front := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", frontPort),
		"--config.file="+writeConfig(t, fmt.Sprintf(`forward:
  - address: udp://127.0.0.1:%d
  - address: udp://127.0.0.1:%d
    mode: v2c
    community: fwd-secret
  - address: tcp://127.0.0.1:%d
    mode: inform
    community: fwd-secret
    traps: [IF-MIB::linkDown, IF-MIB::linkUp]
`, rawPort, v2cPort, informPort)))

	to := fmt.Sprintf("udp:127.0.0.1:%d", frontPort)
	// A v2c linkDown from 127.0.0.7, a v1 linkUp whose agent is 127.0.0.8
	// (sent from 127.0.0.1), and a v2c inform from 127.0.0.9.
	run(t, "snmptrap", "--clientaddr=127.0.0.7", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "2")
	run(t, "snmptrap", "-v", "1", "-c", "public", to, "1.3.6.1.4.1.8072.3.2.10", "127.0.0.8", "3", "0", "", ifIndex2, "i", "2")
	run(t, "snmpinform", "--clientaddr=127.0.0.9", "-v", "2c", "-c", "public", to, "", linkDown, ifIndex2, "i", "3")

	front.waitMetric(t, map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.7",trap="IF-MIB::linkDown"}`: 1,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkUp"}`:   1,
		`snmptrap_traps_received_total{device="127.0.0.9",trap="IF-MIB::linkDown"}`: 1,
	})
	raw := fmt.Sprintf("udp://127.0.0.1:%d", rawPort)
	v2c := fmt.Sprintf("udp://127.0.0.1:%d", v2cPort)
	inform := fmt.Sprintf("tcp://127.0.0.1:%d", informPort)
	front.waitMetric(t, map[string]float64{
		`snmptrap_forward_messages_total{destination="` + raw + `",result="sent"}`:       3,
		`snmptrap_forward_messages_total{destination="` + v2c + `",result="sent"}`:       3,
		`snmptrap_forward_messages_total{destination="` + inform + `",result="sent"}`:    3,
		`snmptrap_forward_messages_total{destination="` + inform + `",result="failed"}`:  0,
		`snmptrap_forward_messages_total{destination="` + inform + `",result="retried"}`: 0,
		`snmptrap_forward_queue_length{destination="` + inform + `"}`:                    0,
	})
	// Raw keeps the bytes: the v1 trap's agent-addr names 127.0.0.8 (the
	// back trusts the front as a relay), the v2c trap and the inform name
	// the front. v2c and inform carry the device the front counted in
	// snmpTrapAddress.0: the v1 trap's source, since the front has no
	// relays and so does not take agent-addr's word.
	back.waitMetric(t, map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.8",trap="IF-MIB::linkUp"}`:                                        1,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkUp"}`:                                        2,
		`snmptrap_traps_received_total{device="127.0.0.7",trap="IF-MIB::linkDown"}`:                                      2,
		`snmptrap_traps_received_total{device="127.0.0.9",trap="IF-MIB::linkDown"}`:                                      2,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`:                                      2,
		fmt.Sprintf(`snmptrap_packets_total{listener="tcp://127.0.0.1:%d",result="accepted",version="v2c"}`, informPort): 3,
	})
	if strings.Contains(front.stderr.String(), "fwd-secret") {
		t.Error("the forward community is in the log")
	}
}

// TestForwardDeadDestinations: destinations nobody listens on (UDP, TCP,
// an inform) change nothing of what is received and counted, and their
// failures are counted and logged once each.
func TestForwardDeadDestinations(t *testing.T) {
	need(t)
	dead := freePort(t)
	port := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port),
		"--config.file="+writeConfig(t, fmt.Sprintf(`forward:
  - address: udp://127.0.0.1:%d
    mode: v2c
    community: c
  - address: tcp://127.0.0.1:%d
  - address: udp://127.0.0.2:%d
    mode: inform
    community: c
`, dead, dead, dead)))
	const n = 200
	start := time.Now()
	msg := v2cTrap(t, linkDown)
	for range n {
		sendUDP(t, fmt.Sprintf("127.0.0.1:%d", port), msg)
	}
	e.waitMetric(t, map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`:                                n,
		fmt.Sprintf(`snmptrap_packets_total{listener="udp://127.0.0.1:%d",result="accepted",version="v2c"}`, port): n,
	})
	t.Logf("%d traps counted in %v with three dead destinations", n, time.Since(start))
	// The TCP one cannot connect: each trap fails after three connects
	// with backoff, while the rest wait in its queue.
	deadline := time.Now().Add(15 * time.Second)
	tcpFailed := fmt.Sprintf(`snmptrap_forward_messages_total{destination="tcp://127.0.0.1:%d",result="failed"}`, dead)
	m := samples(t, e.scrape(t))
	for m[tcpFailed] == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		m = samples(t, e.scrape(t))
	}
	if m[tcpFailed] == 0 {
		t.Error("no failure counted for the dead TCP destination")
	}
	for _, d := range []string{fmt.Sprintf("udp://127.0.0.1:%d", dead), fmt.Sprintf("tcp://127.0.0.1:%d", dead), fmt.Sprintf("udp://127.0.0.2:%d", dead)} {
		sum := 0.0
		for _, r := range []string{"sent", "failed", "dropped"} {
			sum += m[`snmptrap_forward_messages_total{destination="`+d+`",result="`+r+`"}`]
		}
		sum += m[`snmptrap_forward_queue_length{destination="`+d+`"}`]
		if sum > n {
			t.Errorf("%s: %v traps accounted for, more than the %d sent", d, sum, n)
		}
	}
	// UDP without an acknowledgement cannot tell a dead port (its traps
	// count as sent); the TCP one warns once, not per trap.
	if c := strings.Count(e.stderr.String(), "level=warn msg=\"cannot forward trap"); c != 1 {
		t.Errorf("%d warnings about the dead destinations, want one", c)
	}
}

// TestForwardReload: a SIGHUP that changes forward: keeps the unchanged
// destination, starts the new one, stops the removed one and says what
// became of its queue; /config never shows a forward community.
func TestForwardReload(t *testing.T) {
	need(t)
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	keep, gone, added := listen(), listen(), listen()
	dest := func(c *net.UDPConn) string { return "udp://" + c.LocalAddr().String() }
	cfg := writeConfig(t, fmt.Sprintf("forward:\n  - address: %s\n  - address: %s\n    mode: v2c\n    community: reload-fwd-secret\n", dest(keep), dest(gone)))
	port := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port), "--config.file="+cfg)
	if body := e.waitConfig(t, dest(gone)); strings.Contains(body, "reload-fwd-secret") || !strings.Contains(body, "community: <secret>") {
		t.Errorf("/config:\n%s", body)
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("forward:\n  - address: %s\n  - address: %s\n", dest(keep), dest(added))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	e.waitConfig(t, dest(added))
	sendUDP(t, fmt.Sprintf("127.0.0.1:%d", port), v2cTrap(t, linkDown))
	for _, c := range []*net.UDPConn{keep, added} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 2048)); err != nil {
			t.Errorf("%s: %v", dest(c), err)
		}
	}
	m := e.waitMetric(t, map[string]float64{
		`snmptrap_forward_messages_total{destination="` + dest(keep) + `",result="sent"}`:  1,
		`snmptrap_forward_messages_total{destination="` + dest(added) + `",result="sent"}`: 1,
	})
	for k := range m {
		if strings.Contains(k, dest(gone)) {
			t.Errorf("the removed destination is still exported: %s", k)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.stderr.String(), `msg="forward destination stopped" destination=`+dest(gone)) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if l := e.stderr.String(); !strings.Contains(l, `msg="forward destination stopped" destination=`+dest(gone)+` mode=v2c why="removed from forward: by a reload" queued=0 drained=0 dropped=0`) {
		t.Errorf("no line about the removed destination:\n%s", l)
	}
	if strings.Contains(e.stderr.String(), "reload-fwd-secret") {
		t.Error("the forward community is in the log")
	}
}
