package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestHAPairThroughForwarding: devices send to one front exporter, which
// forwards every trap in raw mode to an HA pair that trusts it as a relay.
// The devices send SNMPv1 (a raw-forwarded v2c trap names no agent: see
// README, Forwarding), so the pair names the devices from agent-addr.
// max without (instance) over the pair equals what was sent, and one
// interface down gives one alert, then one resolved notification.
func TestHAPairThroughForwarding(t *testing.T) {
	need(t)
	begin := time.Now()
	relay := "--config.file=" + writeConfig(t, "relays: [127.0.0.1]\n")
	pe, fe := trapPort(t)
	pg, fg := trapPort(t)
	e, g := start(t, fe, relay), start(t, fg, relay)
	pf, ff := trapPort(t)
	front := start(t, ff, "--config.file="+writeConfig(t, fmt.Sprintf(`forward:
  - address: udp://127.0.0.1:%d
  - address: udp://127.0.0.1:%d
`, pe, pg)))
	s := newStack(t, map[string][]*exporter{"haf": {e, g}})
	t.Logf("front, pair, Prometheus and Alertmanager up in %v", time.Since(begin).Round(time.Millisecond))

	toFront := fmt.Sprintf("udp:127.0.0.1:%d", pf)
	v1 := func(dev string, generic string, varbinds ...string) {
		args := append([]string{"--clientaddr=" + dev, "-v", "1", "-c", "public", toFront, "1.3.6.1.4.1.8072.3.2.10", dev, generic, "0", ""}, varbinds...)
		run(t, "snmptrap", args...)
	}
	// Devices 127.0.0.20..23 send 3, 5, 7, 9 linkUp traps.
	sent := map[string]float64{}
	var total float64
	for j := 1; j <= 4; j++ {
		dev := fmt.Sprintf("127.0.0.%d", 19+j)
		for range 2*j + 1 {
			v1(dev, "3", "1.3.6.1.2.1.2.2.1.1.1", "i", "1")
		}
		sent[dev] = float64(2*j + 1)
		total += float64(2*j + 1)
	}
	var sum float64
	s.waitFor("the pair's max and sum in Prometheus", 60*time.Second, func() (bool, string) {
		r, err := s.query(`max without (instance) (snmptrap_traps_received_total{job="haf"})`)
		got, max := byDevice(r)
		var err2 error
		sum, err2 = s.scalar(`sum(snmptrap_traps_received_total{job="haf"})`)
		return err == nil && err2 == nil && max == total && sameCounts(got, sent) && sum == 2*total,
			fmt.Sprintf("max: total %v want %v; %v want %v; %v; sum %v want %v; %v", max, total, got, sent, err, sum, 2*total, err2)
	})
	fm := samples(t, front.scrape(t))
	for _, p := range []int{pe, pg} {
		k := fmt.Sprintf(`snmptrap_forward_messages_total{destination="udp://127.0.0.1:%d",result="sent"}`, p)
		if fm[k] != total {
			t.Errorf("%s = %v, want %v", k, fm[k], total)
		}
	}
	t.Logf("HA pair behind a front exporter (raw): sent %v traps from %d devices; max without (instance) = %v, sum = %v", total, len(sent), total, sum)

	const dev = "127.0.0.20"
	down := time.Now()
	v1(dev, "2", ifIndex5, "i", "5", ifName5, "s", "Gi0/5")
	s.waitFor("both replicas hold the interface down", 60*time.Second, func() (bool, string) {
		v, err := s.scalar(`count(snmptrap_interface_up{job="haf",device="` + dev + `",ifIndex="5"} == 0)`)
		return err == nil && v == 2, fmt.Sprint(v, err)
	})
	match := map[string]string{"device": dev, "ifIndex": "5", "ifName": "Gi0/5"}
	fired, _ := s.waitNotified("SNMPInterfaceDown", "firing", match)
	t.Logf("interface down notified %v after the linkDown", time.Since(down).Round(time.Millisecond))
	time.Sleep(5 * time.Second) // evaluations, resends, group intervals: room for a second alert
	pa, err := s.promAlerts("SNMPInterfaceDown")
	if err != nil {
		t.Fatal(err)
	}
	amN, err := s.amAlerts("SNMPInterfaceDown")
	if err != nil {
		t.Fatal(err)
	}
	prints := map[string]bool{}
	for _, n := range s.hook.alertsIn("SNMPInterfaceDown", "firing", nil) {
		prints[n.fingerprint] = true
	}
	if len(pa) != 1 || amN != 1 || len(prints) != 1 {
		t.Errorf("one interface down: Prometheus alerts %v, Alertmanager alerts %d, distinct alerts notified %d; want one each", pa, amN, len(prints))
	}
	up := time.Now()
	v1(dev, "3", ifIndex5, "i", "5", ifName5, "s", "Gi0/5")
	resolved, _ := s.waitNotified("SNMPInterfaceDown", "resolved", match)
	if resolved.fingerprint != fired.fingerprint {
		t.Errorf("resolved %s, fired %s", resolved.fingerprint, fired.fingerprint)
	}
	t.Logf("one alert (Prometheus %d, Alertmanager %d); resolved %v after the linkUp; test %v",
		len(pa), amN, time.Since(up).Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}
