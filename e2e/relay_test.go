package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netnsEnv marks a test binary run again inside a network namespace of its
// own (inNetns); binaryEnv hands it the exporter binary built outside.
const (
	netnsEnv  = "SNMPTRAP_E2E_NETNS"
	binaryEnv = "SNMPTRAP_E2E_BINARY"
)

// inNetns runs the calling test again in a new network namespace with only
// loopback up (unshare -n), and reports whether this is that run: a test
// calls it first and returns when it says false. Everything the test then
// starts (the exporter, snmptrapd, net-snmp's clients) shares that
// namespace, and nothing in it can reach a name server or leave the
// machine. It needs root; without root it skips when SNMPTRAP_E2E is unset
// and fails when it is set.
func inNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == "1" {
		ifs, err := net.Interfaces()
		if err != nil || len(ifs) != 1 || ifs[0].Name != "lo" || ifs[0].Flags&net.FlagUp == 0 {
			t.Fatalf("%s=1 outside a network namespace with only loopback up: interfaces %v, %v", netnsEnv, ifs, err)
		}
		return true
	}
	if os.Geteuid() != 0 {
		if os.Getenv("SNMPTRAP_E2E") != "1" {
			t.Skip("not root: this test runs snmptrapd in a network namespace of its own (unshare -n), which needs root")
		}
		t.Fatal("SNMPTRAP_E2E=1 but not root: this test runs snmptrapd in a network namespace of its own (unshare -n), which needs root")
	}
	need(t)
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (Debian packages util-linux and iproute2)", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" "$@"`,
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout=150s")
	cmd.Env = append(os.Environ(), netnsEnv+"=1", binaryEnv+"="+binary)
	out, err := cmd.CombinedOutput()
	t.Logf("the run in its own network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("unshare -n %s: %v", t.Name(), err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the run in its own network namespace did not pass %s", t.Name())
	}
	return false
}

// snmptrapd starts net-snmp's snmptrapd on 127.0.0.1 with conf as its
// whole configuration (-C: no other file) and its persistent state in a
// temporary directory, and returns its port once it listens. -n: it looks
// up no names (the namespace has no name server anyway).
func snmptrapd(t *testing.T, conf string) int {
	t.Helper()
	if _, err := exec.LookPath("snmptrapd"); err != nil {
		t.Fatal("snmptrapd not found: the README's test command installs it (Debian package snmptrapd)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "snmptrapd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command("snmptrapd", "-f", "-Lo", "-n", "-C", "-c", path, "-p", filepath.Join(dir, "snmptrapd.pid"),
		"-M", "/dev/null", "-m", "", fmt.Sprintf("udp:127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "state"))
	// Gone with the test binary, also when a timeout kills it before the
	// cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("snmptrapd (%s) log:\n%s", conf, log)
		}
	})
	// Bound when the port shows in /proc/net/udp (this namespace's).
	deadline := time.Now().Add(10 * time.Second)
	for !udpBound(t, port) {
		select {
		case err := <-done:
			t.Fatalf("snmptrapd exited: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("snmptrapd not listening on %d after 10s\n%s", port, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return port
}

// udpBound reports whether a UDP socket is bound to 127.0.0.1:port.
func udpBound(t *testing.T, port int) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), fmt.Sprintf(" 0100007F:%04X ", port))
}

// TestSnmptrapdRelay puts net-snmp's snmptrapd in front of the exporter,
// as a relay listed in relays:, and checks the device label of what it
// forwards, in one network namespace of its own: two snmptrapd, one with
// addForwarderInfo yes and one without, both forwarding everything to the
// exporter from 127.0.0.1, and net-snmp's snmptrap sending to them from
// other loopback addresses (--clientaddr).
//
// What net-snmp 5.9.3 does: it forwards a v1 trap as v1 with its
// agent-addr, an inform as an inform of its own (after acknowledging the
// sender's), and with addForwarderInfo it adds snmpTrapAddress.0 (the UDP
// source it received from) to v1 traps, v2c traps and informs alike. So
// the device is: the original sender for v2c traps and informs with
// addForwarderInfo; the relay for v2c without it (counted in
// snmptrap_relay_traps_without_agent_total, logged once); the agent-addr
// for v1 without it (the relay when that is 0.0.0.0); and for v1 with it
// the UDP sender, since snmpTrapAddress.0 comes before the agent-addr
// (the label the trap would have had if sent straight to the exporter).
func TestSnmptrapdRelay(t *testing.T) {
	if !inNetns(t) {
		return
	}
	need(t)
	port := freePort(t)
	cfg := writeConfig(t, "relays:\n  - 127.0.0.1\n")
	e := start(t, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", port), "--config.file="+cfg)
	forward := fmt.Sprintf("disableAuthorization yes\nforward default udp:127.0.0.1:%d\n", port)
	withInfo := snmptrapd(t, forward+"addForwarderInfo yes\n")
	without := snmptrapd(t, forward)
	to := func(port int) string { return fmt.Sprintf("udp:127.0.0.1:%d", port) }
	const (
		v1Sender     = "127.0.0.6"
		agentAddr    = "127.0.0.5" // what the v1 trap names, not its source
		v2Sender     = "127.0.0.7"
		informSender = "127.0.0.8"
		relay        = "127.0.0.1"
	)
	v1 := func(port int, agent, generic, specific string) {
		run(t, "snmptrap", "--clientaddr="+v1Sender, "-v", "1", "-c", "public", to(port), "1.3.6.1.4.1.9", agent, generic, specific, "", ifIndex2, "i", "2")
	}
	v2c := func(port int, trap string) {
		run(t, "snmptrap", "--clientaddr="+v2Sender, "-v", "2c", "-c", "public", to(port), "", trap, ifIndex2, "i", "2")
	}

	v1(without, agentAddr, "2", "0")  // (a) v1: the agent-addr
	v1(withInfo, agentAddr, "3", "0") // v1 with addForwarderInfo: the UDP sender
	v2c(withInfo, linkDown)           // (b) v2c with addForwarderInfo: the sender
	v2c(without, linkUp)              // (c) v2c without: the relay, counted and logged,
	v2c(without, linkUp)              //     twice, logged once
	v1(without, "0.0.0.0", "6", "1")  // v1 with agent-addr 0.0.0.0, without: the relay too
	// An inform: snmptrapd acknowledges it and forwards an inform of its
	// own, which the exporter acknowledges; with addForwarderInfo it names
	// the sender.
	run(t, "snmpinform", "--clientaddr="+informSender, "-t", "2", "-r", "1", "-v", "2c", "-c", "public", to(withInfo), "", linkDown, ifIndex2, "i", "2")

	want := map[string]float64{
		trapKey(agentAddr, "IF-MIB::linkDown"):                                                  1,
		trapKey(v1Sender, "IF-MIB::linkUp"):                                                     1,
		trapKey(v2Sender, "IF-MIB::linkDown"):                                                   1,
		trapKey(relay, "IF-MIB::linkUp"):                                                        2,
		trapKey(relay, "1.3.6.1.4.1.9.0.1"):                                                     1,
		trapKey(informSender, "IF-MIB::linkDown"):                                               1,
		fmt.Sprintf(`snmptrap_informs_acknowledged_total{listener="udp://127.0.0.1:%d"}`, port): 1,
		`snmptrap_relay_traps_without_agent_total{relay="` + relay + `"}`:                       3,
	}
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_traps_received_total", "snmptrap_relay_traps_without_agent_total")

	var warnings []string
	for _, line := range strings.Split(e.stderr.String(), "\n") {
		if strings.Contains(line, "level=warn") && strings.Contains(line, "names no original agent") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "relay="+relay+" ") || !strings.Contains(warnings[0], "add 'addForwarderInfo yes' to snmptrapd.conf") {
		t.Errorf("want one warning naming relay %s and addForwarderInfo, got %d:\n%s", relay, len(warnings), strings.Join(warnings, "\n"))
	}
}
