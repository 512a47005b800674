package e2e

import (
	"fmt"
	"testing"
)

// TestV3ReplayAfterRestart: three net-snmp authPriv linkDown traps are
// accepted, then a newer linkUp; the exporter restarts (SIGTERM, and then
// kill -9 after a periodic snapshot), and the captured bytes of the three
// traps sent again are refused as replays: the persisted linkDown counter
// stays 3 (it went 3 -> 6) and the old linkDowns do not flip the
// interface back down.
func TestV3ReplayAfterRestart(t *testing.T) {
	need(t)
	c := combo(t, "u-sha256-aes256")
	cfg := writeConfig(t, usersConfig([]v3combo{c}, ""))
	r := newRestartable(t, "--config.file="+cfg, "--storage.snapshot-interval=200ms")
	l := "udp://127.0.0.1:" + r.port
	addr := "127.0.0.1:" + r.port
	e := r.start(t)

	var downs [][]byte
	for i := range 3 {
		downs = append(downs, captureTrap(t, append(c.netsnmpArgs(), "-e", senderEngine, "-Z", fmt.Sprintf("7,%d", 1000+i)), linkDown, ifIndex2, "i", "2"))
	}
	up := captureTrap(t, append(c.netsnmpArgs(), "-e", senderEngine, "-Z", "7,1010"), linkUp, ifIndex2, "i", "2")
	for _, m := range downs {
		sendUDP(t, addr, m)
	}
	// From another source port the linkUp may reach another of the
	// listener's sockets: wait for the linkDowns first.
	e.waitMetric(t, map[string]float64{trapKey("127.0.0.1", "IF-MIB::linkDown"): 3})
	sendUDP(t, addr, up)
	state := map[string]float64{
		trapKey("127.0.0.1", "IF-MIB::linkDown"):                3,
		trapKey("127.0.0.1", "IF-MIB::linkUp"):                  1,
		`snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`: 1,
	}
	e.waitMetric(t, state)

	replay := func(e *exporter, round string) {
		t.Helper()
		for _, m := range append(downs, up) {
			sendUDP(t, addr, m)
		}
		want := map[string]float64{packetKey(l, "v3", "replayed"): 4, packetKey(l, "v3", "accepted"): 0}
		for k, v := range state {
			want[k] = v
		}
		got := e.waitMetric(t, want)
		onlyThese(t, got, want, "snmptrap_traps_received_total{")
		if t.Failed() {
			t.Fatalf("%s: replayed traps were accepted\n%s", round, e.stderr)
		}
	}

	e.terminate(t)
	e = r.start(t)
	replay(e, "after SIGTERM")

	// kill -9 once a periodic snapshot has saved both files.
	e.waitSnapshots(t, 2)
	e.kill(t)
	e = r.start(t)
	replay(e, "after kill -9")
}
