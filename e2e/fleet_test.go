package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// More than one exporter with the real Prometheus: a fleet split between
// two shards by source address, read with sum without (instance), and an
// HA pair that both receive every trap, read with max without (instance),
// where one interface down must give one alert.

type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// promAlerts is Prometheus's active alerts (pending and firing) named alertname.
func (s *stack) promAlerts(alertname string) ([]promAlert, error) {
	_, b, err := get("http://" + s.prom.web + "/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%v: %s", err, b)
	}
	var out []promAlert
	for _, a := range r.Data.Alerts {
		if a.Labels["alertname"] == alertname {
			out = append(out, a)
		}
	}
	return out, nil
}

// amAlerts is Alertmanager's active alerts named alertname.
func (s *stack) amAlerts(alertname string) (int, error) {
	_, b, err := get("http://" + s.am.web + "/api/v2/alerts?active=true&filter=" + url.QueryEscape(fmt.Sprintf("alertname=%q", alertname)))
	if err != nil {
		return 0, err
	}
	var r []json.RawMessage
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("%v: %s", err, b)
	}
	return len(r), nil
}

// sendFrom sends n traps from the loopback address src to each of the
// exporters' trap ports, alternating linkUp for ifIndex 1 and a trap no
// MIB names, as a device that sends to every destination it is given.
func sendFrom(t *testing.T, src string, n int, ports ...int) {
	t.Helper()
	for i := range n {
		for _, p := range ports {
			to := fmt.Sprintf("udp:127.0.0.1:%d", p)
			if i%2 == 0 {
				run(t, "snmptrap", "--clientaddr="+src, "-v", "2c", "-c", "public", to, "", linkUp, "1.3.6.1.2.1.2.2.1.1.1", "i", "1")
			} else {
				run(t, "snmptrap", "--clientaddr="+src, "-v", "2c", "-c", "public", to, "", "1.3.6.1.4.1.99999.0.1")
			}
		}
	}
}

// byDevice adds a query's samples up per device.
func byDevice(r []promSample) (map[string]float64, float64) {
	out := map[string]float64{}
	var total float64
	for _, x := range r {
		out[x.Metric["device"]] += x.Value
		total += x.Value
	}
	return out, total
}

func sameCounts(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func trapPort(t *testing.T) (int, string) {
	p := freePort(t)
	return p, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p)
}

// TestShardsAndHAPair: two shards and an HA pair, one Prometheus and one
// Alertmanager.
func TestShardsAndHAPair(t *testing.T) {
	need(t)
	begin := time.Now()
	pa, fa := trapPort(t)
	pb, fb := trapPort(t)
	pc, fc := trapPort(t)
	pd, fd := trapPort(t)
	a, b, c, d := start(t, fa), start(t, fb), start(t, fc), start(t, fd)
	s := newStack(t, map[string][]*exporter{"shard": {a, b}, "ha": {c, d}})
	t.Logf("4 exporters, Prometheus and Alertmanager up in %v", time.Since(begin).Round(time.Millisecond))

	// Sharding: the test is the source-hashing balancer. Devices
	// 127.0.0.2..9; odd last octets go to shard a, even to b; device
	// 127.0.0.k sends 2k traps.
	shardSent := map[string]float64{}
	var shardTotal float64
	for k := 2; k <= 9; k++ {
		src := fmt.Sprintf("127.0.0.%d", k)
		port := pb
		if k%2 == 1 {
			port = pa
		}
		sendFrom(t, src, 2*k, port)
		shardSent[src] = float64(2 * k)
		shardTotal += float64(2 * k)
	}
	// HA: devices 127.0.0.10..13 send 3, 5, 7, 9 traps to both c and d.
	haSent := map[string]float64{}
	var haTotal float64
	for j := 1; j <= 4; j++ {
		src := fmt.Sprintf("127.0.0.%d", 9+j)
		sendFrom(t, src, 2*j+1, pc, pd)
		haSent[src] = float64(2*j + 1)
		haTotal += float64(2*j + 1)
	}

	s.waitFor("shard sums in Prometheus", 60*time.Second, func() (bool, string) {
		r, err := s.query(`sum without (instance) (snmptrap_traps_received_total{job="shard"})`)
		got, total := byDevice(r)
		return err == nil && total == shardTotal && sameCounts(got, shardSent), fmt.Sprintf("total %v want %v; %v want %v; %v", total, shardTotal, got, shardSent, err)
	})
	// Each device lives in exactly one shard, the one its address hashes to.
	r, err := s.query(`count by (device, instance) (snmptrap_traps_received_total{job="shard"})`)
	if err != nil {
		t.Fatal(err)
	}
	home := map[string][]string{}
	for _, x := range r {
		home[x.Metric["device"]] = append(home[x.Metric["device"]], x.Metric["instance"])
	}
	for dev := range shardSent {
		var k int
		fmt.Sscanf(dev, "127.0.0.%d", &k)
		want := b.web
		if k%2 == 1 {
			want = a.web
		}
		if len(home[dev]) != 1 || home[dev][0] != want {
			t.Errorf("device %s held by %v, want only %s", dev, home[dev], want)
		}
	}
	perInstance, _ := s.query(`sum by (instance) (snmptrap_traps_received_total{job="shard"})`)
	t.Logf("shards: sent %v traps from %d devices; sum without (instance) = %v, per device equal; per shard %v",
		shardTotal, len(shardSent), shardTotal, instanceTotals(perInstance))

	// Each replica saw every trap, so the max over them is what was sent
	// and the sum twice that; both once Prometheus has scraped both.
	var haSum float64
	s.waitFor("HA pair max and sum in Prometheus", 60*time.Second, func() (bool, string) {
		r, err := s.query(`max without (instance) (snmptrap_traps_received_total{job="ha"})`)
		got, total := byDevice(r)
		var err2 error
		haSum, err2 = s.scalar(`sum(sum without (instance) (snmptrap_traps_received_total{job="ha"}))`)
		return err == nil && err2 == nil && total == haTotal && sameCounts(got, haSent) && haSum == 2*haTotal,
			fmt.Sprintf("max: total %v want %v; %v want %v; %v; sum %v want %v; %v", total, haTotal, got, haSent, err, haSum, 2*haTotal, err2)
	})
	t.Logf("HA pair: sent %v traps from %d devices to both; max without (instance) = %v, sum = %v", haTotal, len(haSent), haTotal, haSum)

	// One interface down, on a device of the HA pair: both replicas hold
	// it, one alert and one notification result.
	const dev = "127.0.0.10"
	down := time.Now()
	for _, p := range []int{pc, pd} {
		run(t, "snmptrap", "--clientaddr="+dev, "-v", "2c", "-c", "public", fmt.Sprintf("udp:127.0.0.1:%d", p), "", linkDown, ifIndex5, "i", "5", ifName5, "s", "Gi0/5")
	}
	s.waitFor("both replicas hold the interface down", 60*time.Second, func() (bool, string) {
		v, err := s.scalar(`count(snmptrap_interface_up{job="ha",device="` + dev + `",ifIndex="5"} == 0)`)
		return err == nil && v == 2, fmt.Sprint(v, err)
	})
	match := map[string]string{"device": dev, "ifIndex": "5", "ifName": "Gi0/5", "severity": "warning"}
	fired, _ := s.waitNotified("SNMPInterfaceDown", "firing", match)
	t.Logf("HA pair: interface down notified %v after the linkDown", time.Since(down).Round(time.Millisecond))
	// Give a second alert every chance to appear: several evaluations,
	// resends and group intervals.
	time.Sleep(5 * time.Second)
	pa2, err := s.promAlerts("SNMPInterfaceDown")
	if err != nil {
		t.Fatal(err)
	}
	amN, err := s.amAlerts("SNMPInterfaceDown")
	if err != nil {
		t.Fatal(err)
	}
	notes := s.hook.alertsIn("SNMPInterfaceDown", "firing", nil)
	groups, prints := map[string]bool{}, map[string]bool{}
	for _, n := range notes {
		groups[n.group], prints[n.fingerprint] = true, true
	}
	perNotification := 0
	for _, n := range s.hook.notifications() {
		if n.GroupLabels["alertname"] == "SNMPInterfaceDown" && len(n.Alerts) > perNotification {
			perNotification = len(n.Alerts)
		}
	}
	if len(pa2) != 1 || pa2[0].State != "firing" || amN != 1 || len(groups) != 1 || len(prints) != 1 || perNotification != 1 {
		t.Errorf("one interface down on an HA pair: Prometheus alerts %v, Alertmanager alerts %d, notification groups %d, distinct alerts notified %d, most alerts in one notification %d; want one of each",
			pa2, amN, len(groups), len(prints), perNotification)
	}
	if _, ok := fired.labels["instance"]; ok {
		t.Errorf("the alert carries instance: %v", fired.labels)
	}
	t.Logf("HA pair: 2 series say down; Prometheus alerts %d, Alertmanager alerts %d, notification groups %d, firing notifications %d of %d alert(s)",
		len(pa2), amN, len(groups), len(notes), len(prints))

	// Back up on both: resolved, and gone from Prometheus.
	up := time.Now()
	for _, p := range []int{pc, pd} {
		run(t, "snmptrap", "--clientaddr="+dev, "-v", "2c", "-c", "public", fmt.Sprintf("udp:127.0.0.1:%d", p), "", linkUp, ifIndex5, "i", "5", ifName5, "s", "Gi0/5")
	}
	r2, _ := s.waitNotified("SNMPInterfaceDown", "resolved", match)
	if r2.fingerprint != fired.fingerprint {
		t.Errorf("resolved fingerprint %s, fired %s", r2.fingerprint, fired.fingerprint)
	}
	s.waitFor("no SNMPInterfaceDown left in Prometheus", 30*time.Second, func() (bool, string) {
		x, err := s.promAlerts("SNMPInterfaceDown")
		return err == nil && len(x) == 0, fmt.Sprint(x, err)
	})
	t.Logf("HA pair: resolved %v after the linkUp; test %v", time.Since(up).Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}

func instanceTotals(r []promSample) string {
	var parts []string
	for _, x := range r {
		parts = append(parts, fmt.Sprintf("%s=%v", x.Metric["instance"], x.Value))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
