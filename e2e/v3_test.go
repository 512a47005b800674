package e2e

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// senderEngine is the engine ID every net-snmp snmptrap in these tests
// sends as (-e): a trap's sender is its authoritative engine.
const senderEngine = "0x80001f8880e2e0000001"

// v3combo is one SNMPv3 user of the every-combination configuration: an
// authentication protocol and a privacy protocol ("" for authNoPriv), each
// with its configuration name and net-snmp's -a / -x spelling.
type v3combo struct {
	auth, nsAuth string
	priv, nsPriv string
}

var (
	v3auths = [][2]string{{"MD5", "MD5"}, {"SHA", "SHA"}, {"SHA224", "SHA-224"}, {"SHA256", "SHA-256"}, {"SHA384", "SHA-384"}, {"SHA512", "SHA-512"}}
	v3privs = [][2]string{{"", ""}, {"DES", "DES"}, {"AES", "AES"}, {"AES192", "AES-192"}, {"AES256", "AES-256"}}
)

// allCombos returns the 30 combinations of net-snmp's authentication and
// privacy protocols (privacy none included).
func allCombos() []v3combo {
	var out []v3combo
	for _, a := range v3auths {
		for _, p := range v3privs {
			out = append(out, v3combo{auth: a[0], nsAuth: a[1], priv: p[0], nsPriv: p[1]})
		}
	}
	return out
}

// user is the user name: u-sha256-aes192, u-md5-none.
func (c v3combo) user() string {
	p := c.priv
	if p == "" {
		p = "none"
	}
	return strings.ToLower("u-" + c.auth + "-" + p)
}

// Passwords differ per user, so a message only authenticates (and only
// decrypts) as the user it names.
func (c v3combo) authPass() string { return "auth-pw-" + c.user() }
func (c v3combo) privPass() string { return "priv-pw-" + c.user() }

func (c v3combo) level() string {
	if c.priv == "" {
		return "authNoPriv"
	}
	return "authPriv"
}

// yaml is the user's entry in auth.users.
func (c v3combo) yaml() string {
	s := fmt.Sprintf("    - username: %s\n      security_level: %s\n      auth_protocol: %s\n      password: %q\n",
		c.user(), c.level(), c.auth, c.authPass())
	if c.priv != "" {
		s += fmt.Sprintf("      priv_protocol: %s\n      priv_password: %q\n", c.priv, c.privPass())
	}
	return s
}

// netsnmpArgs are the security options of snmptrap / snmpinform for c.
func (c v3combo) netsnmpArgs() []string {
	a := []string{"-v", "3", "-u", c.user(), "-l", c.level(), "-a", c.nsAuth, "-A", c.authPass()}
	if c.priv != "" {
		a = append(a, "-x", c.nsPriv, "-X", c.privPass())
	}
	return a
}

func combo(t *testing.T, user string) v3combo {
	t.Helper()
	for _, c := range allCombos() {
		if c.user() == user {
			return c
		}
	}
	t.Fatalf("no combination %s", user)
	return v3combo{}
}

// usersConfig is a configuration holding the users of combos and extra
// YAML appended to auth.users.
func usersConfig(combos []v3combo, extra string) string {
	var b strings.Builder
	b.WriteString("auth:\n  users:\n")
	for _, c := range combos {
		b.WriteString(c.yaml())
	}
	b.WriteString(extra)
	return b.String()
}

// writeConfig writes a configuration file into a fresh directory.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snmptrap.yml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func packetKey(listener, version, result string) string {
	return fmt.Sprintf(`snmptrap_packets_total{listener=%q,result=%q,version=%q}`, listener, result, version)
}

func trapKey(device, trap string) string {
	return fmt.Sprintf(`snmptrap_traps_received_total{device=%q,trap=%q}`, device, trap)
}

// onlyThese fails when a sample whose name starts with one of prefixes has
// a non-zero value but is not in want: waitMetric checks what is wanted,
// this that nothing else was counted.
func onlyThese(t *testing.T, got, want map[string]float64, prefixes ...string) {
	t.Helper()
	for k, v := range got {
		if v == 0 {
			continue
		}
		for _, p := range prefixes {
			if _, ok := want[k]; strings.HasPrefix(k, p) && !ok {
				t.Errorf("unexpected %s = %v", k, v)
			}
		}
	}
}

// TestV3EveryAuthPriv sends one net-snmp SNMPv3 trap for every combination
// of its six authentication and five privacy choices, each to a user of
// its own, and checks that every one is admitted under its own trap OID.
func TestV3EveryAuthPriv(t *testing.T) {
	need(t)
	combos := allCombos()
	if len(combos) != 30 {
		t.Fatalf("%d combinations, want 30", len(combos))
	}
	p := freePort(t)
	l := fmt.Sprintf("udp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+writeConfig(t, usersConfig(combos, "")), "--trap.listen-address="+l)
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)

	want := map[string]float64{
		packetKey(l, "v3", "accepted"):     30,
		packetKey(l, "v3", "unknown_user"): 0,
		packetKey(l, "v3", "auth_failed"):  0,
		"snmptrap_series":                  30,
	}
	for i, c := range combos {
		oid := fmt.Sprintf("1.3.6.1.4.1.99999.0.%d", i+1)
		want[trapKey("127.0.0.1", oid)] = 1
		args := append(c.netsnmpArgs(), "-e", senderEngine, to, "", oid, "1.3.6.1.2.1.1.5.0", "s", c.user())
		// Every combination is in Debian's net-snmp 5.9.3 (built with
		// OpenSSL): a refusal is a failure, named with net-snmp's words.
		if out, err := netsnmp(t, "snmptrap", args...); err != nil {
			t.Errorf("net-snmp refused auth %s priv %s (snmptrap %s): %v\n%s", c.nsAuth, c.nsPriv, strings.Join(args, " "), err, out)
		}
	}
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_packets_total{", "snmptrap_traps_received_total{")
}

// gosnmpSender is a gosnmp SNMPv3 authPriv sender to 127.0.0.1:port.
type gosnmpSender struct {
	user     string
	auth     gosnmp.SnmpV3AuthProtocol
	authPass string
	priv     gosnmp.SnmpV3PrivProtocol
	privPass string
	engineID string // the sender's engine ID (binary) for traps; "" for informs (discovery)
	local    string // local address to bind, "" for any
}

func (s gosnmpSender) send(port int, transport, oid string, inform bool) error {
	g := &gosnmp.GoSNMP{
		Target:        "127.0.0.1",
		Port:          uint16(port),
		Transport:     transport,
		LocalAddr:     s.local,
		Version:       gosnmp.Version3,
		SecurityModel: gosnmp.UserSecurityModel,
		MsgFlags:      gosnmp.AuthPriv,
		Timeout:       2 * time.Second,
		Retries:       1,
		SecurityParameters: &gosnmp.UsmSecurityParameters{
			UserName:                 s.user,
			AuthenticationProtocol:   s.auth,
			AuthenticationPassphrase: s.authPass,
			PrivacyProtocol:          s.priv,
			PrivacyPassphrase:        s.privPass,
			AuthoritativeEngineID:    s.engineID,
			AuthoritativeEngineBoots: 1,
			AuthoritativeEngineTime:  100,
		},
	}
	if err := g.Connect(); err != nil {
		return err
	}
	defer g.Conn.Close()
	_, err := g.SendTrap(gosnmp.SnmpTrap{
		IsInform: inform,
		Variables: []gosnmp.SnmpPDU{
			{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(42)},
			{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: "." + oid},
		},
	})
	return err
}

func engineIDBytes(t *testing.T, s string) string {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestV3Reeder covers the AES-192/256 "C" variants (Reeder's key extension,
// as Cisco does it), which net-snmp does not send: gosnmp sends traps and
// informs with them. With SHA-1 and MD5 the localized key is shorter than
// the AES key, so the extension is exercised; a Reeder message to a user
// configured with the Blumenthal variant (AES192) must not decrypt.
func TestV3Reeder(t *testing.T) {
	need(t)
	const extra = `    - username: r-sha-aes192c
      security_level: authPriv
      auth_protocol: SHA
      password: "reeder-auth-1"
      priv_protocol: AES192C
      priv_password: "reeder-priv-1"
    - username: r-sha-aes256c
      security_level: authPriv
      auth_protocol: SHA
      password: "reeder-auth-2"
      priv_protocol: AES256C
      priv_password: "reeder-priv-2"
    - username: r-md5-aes256c
      security_level: authPriv
      auth_protocol: MD5
      password: "reeder-auth-3"
      priv_protocol: AES256C
      priv_password: "reeder-priv-3"
    - username: r-sha256-aes192c
      security_level: authPriv
      auth_protocol: SHA256
      password: "reeder-auth-4"
      priv_protocol: AES192C
      priv_password: "reeder-priv-4"
    - username: r-sha-blumenthal
      security_level: authPriv
      auth_protocol: SHA
      password: "reeder-auth-5"
      priv_protocol: AES192
      priv_password: "reeder-priv-5"
`
	p := freePort(t)
	l := fmt.Sprintf("udp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+writeConfig(t, usersConfig(nil, extra)), "--trap.listen-address="+l)

	traps := []gosnmpSender{
		{user: "r-sha-aes192c", auth: gosnmp.SHA, authPass: "reeder-auth-1", priv: gosnmp.AES192C, privPass: "reeder-priv-1"},
		{user: "r-sha-aes256c", auth: gosnmp.SHA, authPass: "reeder-auth-2", priv: gosnmp.AES256C, privPass: "reeder-priv-2"},
		{user: "r-md5-aes256c", auth: gosnmp.MD5, authPass: "reeder-auth-3", priv: gosnmp.AES256C, privPass: "reeder-priv-3"},
		{user: "r-sha256-aes192c", auth: gosnmp.SHA256, authPass: "reeder-auth-4", priv: gosnmp.AES192C, privPass: "reeder-priv-4"},
	}
	want := map[string]float64{}
	for i, s := range traps {
		s.engineID = engineIDBytes(t, fmt.Sprintf("80001f8880e2e00001%02x", i))
		oid := fmt.Sprintf("1.3.6.1.4.1.99999.3.%d", i+1)
		if err := s.send(p, "udp", oid, false); err != nil {
			t.Errorf("gosnmp trap as %s: %v", s.user, err)
		}
		want[trapKey("127.0.0.1", oid)] = 1
	}
	// The same users send informs: gosnmp discovers the exporter's engine
	// and must decrypt the acknowledgement, encrypted with the Reeder key.
	for i, s := range traps[:2] {
		oid := fmt.Sprintf("1.3.6.1.4.1.99999.4.%d", i+1)
		if err := s.send(p, "udp", oid, true); err != nil {
			t.Errorf("gosnmp inform as %s: %v (not acknowledged)", s.user, err)
		}
		want[trapKey("127.0.0.1", oid)] = 1
	}
	// AES192C to a user whose priv_protocol is AES192 (Blumenthal): the
	// digest is right, the key is not.
	bad := gosnmpSender{user: "r-sha-blumenthal", auth: gosnmp.SHA, authPass: "reeder-auth-5", priv: gosnmp.AES192C, privPass: "reeder-priv-5",
		engineID: engineIDBytes(t, "80001f8880e2e0000199")}
	if err := bad.send(p, "udp", "1.3.6.1.4.1.99999.3.99", false); err != nil {
		t.Errorf("gosnmp trap as %s: %v", bad.user, err)
	}

	want[packetKey(l, "v3", "accepted")] = 6
	want[packetKey(l, "v3", "discovery")] = 2
	want[packetKey(l, "v3", "decrypt_failed")] = 1
	want[packetKey(l, "v3", "auth_failed")] = 0
	want[fmt.Sprintf("snmptrap_informs_acknowledged_total{listener=%q}", l)] = 2
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_packets_total{", "snmptrap_traps_received_total{")
}

// TestV3Informs sends net-snmp SNMPv3 informs, which discover the
// exporter's engine and wait for its encrypted acknowledgement: one per
// combination over UDP, two over TCP, and the refusals net-snmp must be
// told about (wrong password, unknown user, a lower security level, wrong
// privacy password) with the error each Report makes it print. An inform
// sent with the engine ID but no engineBoots/Time resynchronizes through
// an authenticated notInTimeWindow Report; one naming a stale engine ID is
// refused.
func TestV3Informs(t *testing.T) {
	need(t)
	combos := allCombos()
	p := freePort(t)
	ul := fmt.Sprintf("udp://127.0.0.1:%d", p)
	tl := fmt.Sprintf("tcp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+writeConfig(t, usersConfig(combos, "")), "--trap.listen-address="+ul, "--trap.listen-address="+tl)
	udp := fmt.Sprintf("udp:127.0.0.1:%d", p)
	tcp := fmt.Sprintf("tcp:127.0.0.1:%d", p)

	want := map[string]float64{}
	// No -e: snmpinform discovers the engine ID (one discovery each).
	inform := func(to, oid string, c v3combo) {
		t.Helper()
		args := append(c.netsnmpArgs(), "-t", "2", "-r", "1", to, "", oid, "1.3.6.1.2.1.1.5.0", "s", c.user())
		if out, err := netsnmp(t, "snmpinform", args...); err != nil {
			t.Errorf("inform as %s to %s not acknowledged (snmpinform %s): %v\n%s", c.user(), to, strings.Join(args, " "), err, out)
		}
		want[trapKey("127.0.0.1", oid)] = 1
	}
	for i, c := range combos {
		inform(udp, fmt.Sprintf("1.3.6.1.4.1.99999.1.%d", i+1), c)
	}
	sha256aes256, md5des := combo(t, "u-sha256-aes256"), combo(t, "u-md5-des")
	inform(tcp, "1.3.6.1.4.1.99999.2.1", sha256aes256)
	inform(tcp, "1.3.6.1.4.1.99999.2.2", md5des)

	// refused runs snmpinform expecting a Report: a non-zero exit and
	// net-snmp's message for that Report.
	refused := func(to, message string, args ...string) {
		t.Helper()
		args = append(args, "-t", "2", "-r", "0", to, "", "1.3.6.1.4.1.99999.9.9")
		out, err := netsnmp(t, "snmpinform", args...)
		if err == nil || !strings.Contains(out, message) {
			t.Errorf("snmpinform %s: %v, output %q; want a failure saying %q", strings.Join(args, " "), err, out, message)
		}
	}
	s := sha256aes256
	wrongAuth := []string{"-v", "3", "-u", s.user(), "-l", "authPriv", "-a", "SHA-256", "-A", "not-the-password", "-x", "AES-256", "-X", s.privPass()}
	refused(udp, "Authentication failure", wrongAuth...)
	refused(tcp, "Authentication failure", wrongAuth...)
	refused(udp, "Unknown user name", "-v", "3", "-u", "u-nobody", "-l", "authPriv", "-a", "SHA-256", "-A", s.authPass(), "-x", "AES-256", "-X", s.privPass())
	// Downgrade: authNoPriv from a user whose minimum is authPriv.
	refused(udp, "Unsupported security level", "-v", "3", "-u", s.user(), "-l", "authNoPriv", "-a", "SHA-256", "-A", s.authPass())
	refused(udp, "Decryption error", "-v", "3", "-u", s.user(), "-l", "authPriv", "-a", "SHA-256", "-A", s.authPass(), "-x", "AES-256", "-X", "not-the-privpass")
	// A noAuthNoPriv trap naming the authPriv user: no Report (a trap).
	run(t, "snmptrap", "-v", "3", "-u", s.user(), "-l", "noAuthNoPriv", "-e", senderEngine, udp, "", "1.3.6.1.4.1.99999.9.8")

	// Told the engine ID (-e), snmpinform skips discovery and sends
	// engineBoots and engineTime 0: refused as outside the time window,
	// with an authenticated Report from which net-snmp learns them; its
	// second try is acknowledged.
	engineID, _ := engineBoots(t, e)
	args := append(s.netsnmpArgs(), "-e", "0x"+engineID, "-t", "2", "-r", "1", udp, "", "1.3.6.1.4.1.99999.2.4")
	if out, err := netsnmp(t, "snmpinform", args...); err != nil {
		t.Errorf("inform with -e 0x%s not acknowledged: %v\n%s", engineID, err, out)
	}
	want[trapKey("127.0.0.1", "1.3.6.1.4.1.99999.2.4")] = 1
	// An inform naming another engine (a stale engine ID) is refused with
	// an unknownEngineID Report. net-snmp, told the engine ID, does not
	// rediscover: it ignores the Report and times out.
	args = append(s.netsnmpArgs(), "-e", "0x80001f8880e2e00000bb", "-t", "1", "-r", "0", udp, "", "1.3.6.1.4.1.99999.9.7")
	if out, err := netsnmp(t, "snmpinform", args...); err == nil {
		t.Errorf("inform to a stale engine ID was acknowledged:\n%s", out)
	}

	want[packetKey(ul, "v3", "accepted")] = 30 + 1
	want[packetKey(ul, "v3", "discovery")] = 30 + 4
	want[packetKey(ul, "v3", "not_in_time_window")] = 1
	want[packetKey(ul, "v3", "unknown_engine_id")] = 1
	want[packetKey(ul, "v3", "auth_failed")] = 1
	want[packetKey(ul, "v3", "unknown_user")] = 1
	want[packetKey(ul, "v3", "level_too_low")] = 2
	want[packetKey(ul, "v3", "decrypt_failed")] = 1
	want[packetKey(tl, "v3", "accepted")] = 2
	want[packetKey(tl, "v3", "discovery")] = 2 + 1
	want[packetKey(tl, "v3", "auth_failed")] = 1
	want[packetKey(tl, "v3", "unknown_user")] = 0
	want[fmt.Sprintf("snmptrap_informs_acknowledged_total{listener=%q}", ul)] = 30 + 1
	want[fmt.Sprintf("snmptrap_informs_acknowledged_total{listener=%q}", tl)] = 2
	want[fmt.Sprintf("snmptrap_informs_acknowledge_errors_total{listener=%q}", ul)] = 0
	// One Report per discovery and one per refused inform.
	want[fmt.Sprintf("snmptrap_reports_sent_total{listener=%q}", ul)] = 34 + 4 + 2
	want[fmt.Sprintf("snmptrap_reports_sent_total{listener=%q}", tl)] = 3 + 1
	want[fmt.Sprintf("snmptrap_replies_rate_limited_total{listener=%q}", ul)] = 0
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_packets_total{", "snmptrap_traps_received_total{")
}

// TestV3Replay captures the bytes of one net-snmp authPriv trap and sends
// them to the exporter again and again: admitted once, then refused as a
// replay, over UDP and over TCP alike.
func TestV3Replay(t *testing.T) {
	need(t)
	c := combo(t, "u-sha256-aes256")
	p := freePort(t)
	ul := fmt.Sprintf("udp://127.0.0.1:%d", p)
	tl := fmt.Sprintf("tcp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+writeConfig(t, usersConfig([]v3combo{c}, "")), "--trap.listen-address="+ul, "--trap.listen-address="+tl)

	msg := captureTrap(t, append(c.netsnmpArgs(), "-e", senderEngine), "1.3.6.1.4.1.99999.5.1")
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	trap := trapKey("127.0.0.1", "1.3.6.1.4.1.99999.5.1")

	sendUDP(t, addr, msg)
	e.waitMetric(t, map[string]float64{packetKey(ul, "v3", "accepted"): 1, trap: 1})
	sendUDP(t, addr, msg)
	e.waitMetric(t, map[string]float64{packetKey(ul, "v3", "replayed"): 1})
	// The replay cache is the exporter's, not the listener's.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Write(msg); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	want := map[string]float64{
		packetKey(ul, "v3", "accepted"): 1,
		packetKey(ul, "v3", "replayed"): 1,
		packetKey(tl, "v3", "accepted"): 0,
		packetKey(tl, "v3", "replayed"): 1,
		trap:                            1,
	}
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_packets_total{", "snmptrap_traps_received_total{")
}

// TestV3TimeWindow: a trap's sender is its authoritative engine, so the
// exporter keeps, per sender engine, the latest engineBoots and engineTime
// it has seen (-Z sets them in snmptrap) and refuses a lower engineBoots,
// an engineTime more than 150 s behind, and engineBoots 2^31-1 (RFC 3414
// §3.2 step 7b).
func TestV3TimeWindow(t *testing.T) {
	need(t)
	c := combo(t, "u-sha256-aes256")
	p := freePort(t)
	l := fmt.Sprintf("udp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+writeConfig(t, usersConfig([]v3combo{c}, "")), "--trap.listen-address="+l)
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)

	want := map[string]float64{}
	accepted, refused := 0.0, 0.0
	for i, step := range []struct {
		bootsTime string
		ok        bool
	}{
		{"5,1000", true},
		{"4,2000", false}, // lower engineBoots
		{"5,849", false},  // 151 behind the latest
		{"5,851", true},   // 149 behind: inside the window
		{"5,1200", true},  // the latest moves on
		{"5,1049", false}, // 151 behind the new latest
		{"6,0", true},     // the sender rebooted
		{"5,5000", false}, // the boot before
		{"2147483647,10", false},
	} {
		oid := fmt.Sprintf("1.3.6.1.4.1.99999.11.%d", i+1)
		run(t, "snmptrap", append(c.netsnmpArgs(), "-e", senderEngine, "-Z", step.bootsTime, to, "", oid)...)
		if step.ok {
			accepted++
			want[trapKey("127.0.0.1", oid)] = 1
		} else {
			refused++
		}
		// One at a time: the verdict depends on the order.
		want[packetKey(l, "v3", "accepted")] = accepted
		if refused > 0 { // the series appears with its first count
			want[packetKey(l, "v3", "not_in_time_window")] = refused
		}
		e.waitMetric(t, want)
	}
	if accepted != 4 || refused != 5 {
		t.Fatalf("%v accepted, %v refused", accepted, refused)
	}
	onlyThese(t, e.waitMetric(t, want), want, "snmptrap_packets_total{", "snmptrap_traps_received_total{")
}

// captureTrap runs snmptrap with args against a UDP socket of the test's
// and returns the datagram it sent: the trap oid with varbinds (OID, type,
// value, as snmptrap takes them).
func captureTrap(t *testing.T, args []string, oid string, varbinds ...string) []byte {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	run(t, "snmptrap", append(append(args, "udp:"+pc.LocalAddr().String(), "", oid), varbinds...)...)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no datagram from snmptrap: %v", err)
	}
	return buf[:n]
}

// TestAllowLists: with communities [public] and sources [127.0.0.1], a
// wrong community and a foreign source are refused and counted apart, for
// every version, and no secret reaches the debug log.
func TestAllowLists(t *testing.T) {
	need(t)
	const cfg = `auth:
  communities: [public]
  sources: [127.0.0.1]
  users:
    - username: allow-v3
      security_level: authPriv
      auth_protocol: SHA
      password: "v3-auth-secret"
      priv_protocol: AES
      priv_password: "v3-priv-secret"
    - username: pinned
      security_level: authNoPriv
      auth_protocol: MD5
      password: "pinned-secret"
      engine_ids: ["` + senderEngine + `"]
    - username: lab
      security_level: noAuthNoPriv
`
	p := freePort(t)
	l := fmt.Sprintf("udp://0.0.0.0:%d", p) // 127.0.0.2 reaches it too
	e := start(t, "--config.file="+writeConfig(t, cfg), "--trap.listen-address="+l)
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)

	run(t, "snmptrap", "-v", "2c", "-c", "public", to, "", "1.3.6.1.4.1.99999.6.1")
	run(t, "snmptrap", "-v", "2c", "-c", "private", to, "", "1.3.6.1.4.1.99999.6.2")
	run(t, "snmptrap", "-v", "1", "-c", "private", to, "1.3.6.1.4.1.99999", "127.0.0.1", "6", "3", "")
	v3 := []string{"-v", "3", "-e", senderEngine, "-u", "allow-v3", "-l", "authPriv", "-a", "SHA", "-x", "AES", "-X", "v3-priv-secret"}
	run(t, "snmptrap", append(v3, "-A", "v3-auth-secret", to, "", "1.3.6.1.4.1.99999.6.3")...)
	run(t, "snmptrap", append(v3, "-A", "wrong-auth-secret", to, "", "1.3.6.1.4.1.99999.6.4")...)
	// engine_ids pins a user to its senders' engines.
	pinned := []string{"-v", "3", "-u", "pinned", "-l", "authNoPriv", "-a", "MD5", "-A", "pinned-secret"}
	run(t, "snmptrap", append(pinned, "-e", senderEngine, to, "", "1.3.6.1.4.1.99999.6.7")...)
	run(t, "snmptrap", append(pinned, "-e", "0x80001f8880e2e00000cc", to, "", "1.3.6.1.4.1.99999.6.8")...)
	// A noAuthNoPriv user; the same user claiming authentication it has no
	// key for is refused.
	run(t, "snmptrap", "-v", "3", "-u", "lab", "-l", "noAuthNoPriv", "-e", senderEngine, to, "", "1.3.6.1.4.1.99999.6.9")
	run(t, "snmptrap", "-v", "3", "-u", "lab", "-l", "authNoPriv", "-a", "SHA", "-A", "lab-password", "-e", senderEngine, to, "", "1.3.6.1.4.1.99999.6.10")

	// From 127.0.0.2, the right community: v2c bytes of our own encoder,
	// and a gosnmp SNMPv3 trap of the right user.
	vbs := []snmp.Varbind{
		{OID: snmp.MustParseOID("1.3.6.1.2.1.1.3.0"), Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(0)},
		{OID: snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: snmp.TagObjectIdentifier, Value: snmp.MustParseOID("1.3.6.1.4.1.99999.6.5")},
	}
	msg := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, vbs)
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	g := gosnmpSender{user: "allow-v3", auth: gosnmp.SHA, authPass: "v3-auth-secret", priv: gosnmp.AES, privPass: "v3-priv-secret",
		engineID: engineIDBytes(t, "80001f8880e2e0000002"), local: "127.0.0.2:0"}
	if err := g.send(p, "udp", "1.3.6.1.4.1.99999.6.6", false); err != nil {
		t.Fatal(err)
	}

	want := map[string]float64{
		packetKey(l, "v2c", "accepted"):               1,
		packetKey(l, "v2c", "community_rejected"):     1,
		packetKey(l, "v1", "community_rejected"):      1,
		packetKey(l, "v1", "accepted"):                0,
		packetKey(l, "v3", "accepted"):                3,
		packetKey(l, "v3", "auth_failed"):             2,
		packetKey(l, "v3", "unknown_engine_id"):       1,
		packetKey(l, "v2c", "source_rejected"):        1,
		packetKey(l, "v3", "source_rejected"):         1,
		trapKey("127.0.0.1", "1.3.6.1.4.1.99999.6.1"): 1,
		trapKey("127.0.0.1", "1.3.6.1.4.1.99999.6.3"): 1,
		trapKey("127.0.0.1", "1.3.6.1.4.1.99999.6.7"): 1,
		trapKey("127.0.0.1", "1.3.6.1.4.1.99999.6.9"): 1,
	}
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_packets_total{", "snmptrap_traps_received_total{")

	logs := e.stderr.String()
	for _, secret := range []string{"public", "private", "v3-auth-secret", "v3-priv-secret", "wrong-auth-secret", "pinned-secret", "lab-password"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the secret %q:\n%s", secret, logs)
		}
	}
	for _, line := range []string{"result=community_rejected", "result=source_rejected", "source=127.0.0.2:", "result=auth_failed"} {
		if !strings.Contains(logs, line) {
			t.Errorf("the debug log lacks %q:\n%s", line, logs)
		}
	}
}

// TestEnginePersistence: the engine ID and engineBoots survive a restart
// in --storage.path (boots + 1), a corrupt engine file gives a new engine
// and is counted, and a configured engine_id wins.
func TestEnginePersistence(t *testing.T) {
	need(t)
	dir := t.TempDir()
	p := freePort(t)
	args := []string{"--storage.path=" + dir, fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", p)}

	e := start(t, args...)
	id, boots := engineBoots(t, e)
	if minutes := float64(time.Now().Unix() / 60); boots < minutes-1 || boots > minutes+1 || len(id) != 26 {
		t.Errorf("first start: engine %s boots %v, want a 13-octet ID and boots near the minutes since 1970 (%v)", id, boots, minutes)
	}
	stopClean(t, e)

	e = start(t, args...)
	id2, boots2 := engineBoots(t, e)
	if id2 != id || boots2 != boots+1 {
		t.Errorf("restart: engine %s boots %v, want %s boots %v", id2, boots2, id, boots+1)
	}
	e.waitMetric(t, map[string]float64{
		`snmptrap_engine_file_errors_total{kind="corrupt"}`:   0,
		`snmptrap_engine_file_errors_total{kind="not_saved"}`: 0,
	})
	stopClean(t, e)

	garbage := []byte(`{"version":1,"engine_id":"zz`)
	if err := os.WriteFile(filepath.Join(dir, "engine.json"), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	e = start(t, args...)
	id3, boots3 := engineBoots(t, e)
	if id3 == id || boots3 <= 0 {
		t.Errorf("after corruption: engine %s boots %v, want a new ID", id3, boots3)
	}
	e.waitMetric(t, map[string]float64{
		`snmptrap_engine_file_errors_total{kind="corrupt"}`:   1,
		`snmptrap_engine_file_errors_total{kind="not_saved"}`: 0,
	})
	if b, err := os.ReadFile(filepath.Join(dir, "engine.json.corrupt")); err != nil || string(b) != string(garbage) {
		t.Errorf("corrupt file not kept aside: %q, %v", b, err)
	}
	// A v3 inform sender rediscovers the new engine.
	c := combo(t, "u-sha-aes")
	stopClean(t, e)
	cfg := writeConfig(t, "engine_id: \"0x80001f8880e2e00000aa\"\n"+usersConfig([]v3combo{c}, ""))
	args = append(args, "--config.file="+cfg)
	prev := 0.0
	for range 2 {
		e = start(t, args...)
		id4, boots4 := engineBoots(t, e)
		if id4 != "80001f8880e2e00000aa" || boots4 <= prev {
			t.Errorf("engine_id from the configuration: engine %s boots %v, want 80001f8880e2e00000aa and boots above %v", id4, boots4, prev)
		}
		prev = boots4
		// snmpinform discovers engineBoots anew each time.
		run(t, "snmpinform", append(c.netsnmpArgs(), "-t", "2", "-r", "1", fmt.Sprintf("udp:127.0.0.1:%d", p), "", "1.3.6.1.4.1.99999.7.1")...)
		stopClean(t, e)
	}
}

// engineBoots returns the one snmptrap_engine_boots series: engine ID and
// value.
func engineBoots(t *testing.T, e *exporter) (string, float64) {
	t.Helper()
	var id string
	var boots float64
	n := 0
	for k, v := range samples(t, e.scrape(t)) {
		if rest, ok := strings.CutPrefix(k, `snmptrap_engine_boots{engine_id="`); ok {
			id, boots = strings.TrimSuffix(rest, `"}`), v
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d snmptrap_engine_boots series, want 1", n)
	}
	return id, boots
}

// stopClean stops e with SIGINT and checks it exits 0.
func stopClean(t *testing.T, e *exporter) {
	t.Helper()
	e.stop()
	if code := e.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGINT\n%s", code, e.stderr)
	}
}
