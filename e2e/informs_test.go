package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// TestV3PinnedInforms: engine_ids pins a user's informs too. An inform's
// security engine is the exporter's, so the sender's engine is the
// contextEngineID it names: net-snmp's snmpinform names its own engine
// there (-E sets it). From another engine the inform is refused as
// unknown_engine_id and snmpinform times out; from a pinned engine it is
// acknowledged.
func TestV3PinnedInforms(t *testing.T) {
	need(t)
	const pinnedEngine = "0x80001f8880e2e00000dd"
	cfg := writeConfig(t, `auth:
  users:
    - username: pinned
      security_level: authPriv
      auth_protocol: SHA
      password: "pinned-auth-pw"
      priv_protocol: AES
      priv_password: "pinned-priv-pw"
      engine_ids: ["`+pinnedEngine+`"]
`)
	p := freePort(t)
	l := fmt.Sprintf("udp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+cfg, "--trap.listen-address="+l)
	to := fmt.Sprintf("udp:127.0.0.1:%d", p)
	user := []string{"-v", "3", "-u", "pinned", "-l", "authPriv", "-a", "SHA", "-A", "pinned-auth-pw", "-x", "AES", "-X", "pinned-priv-pw", "-t", "1", "-r", "0"}

	if out, err := netsnmp(t, "snmpinform", append(user, to, "", "1.3.6.1.4.1.99999.8.1")...); err == nil {
		t.Errorf("an inform naming its own engine (not pinned) was acknowledged:\n%s", out)
	}
	run(t, "snmpinform", append(user, "-E", pinnedEngine, to, "", "1.3.6.1.4.1.99999.8.2")...)
	want := map[string]float64{
		packetKey(l, "v3", "unknown_engine_id"):       1,
		packetKey(l, "v3", "accepted"):                1,
		trapKey("127.0.0.1", "1.3.6.1.4.1.99999.8.2"): 1,
	}
	got := e.waitMetric(t, want)
	onlyThese(t, got, want, "snmptrap_traps_received_total{")
}

// TestV3InformResentAsIs: an SNMPv3 inform sent again byte for byte, as
// npm's net-snmp retransmits one whose acknowledgement it missed, is
// acknowledged again and counted once. A UDP relay between snmpinform and
// the exporter keeps the inform's bytes and sends them again from the
// same socket once snmpinform has its acknowledgement.
func TestV3InformResentAsIs(t *testing.T) {
	need(t)
	c := combo(t, "u-sha-aes")
	p := freePort(t)
	l := fmt.Sprintf("udp://127.0.0.1:%d", p)
	e := start(t, "--config.file="+writeConfig(t, usersConfig([]v3combo{c}, "")), "--trap.listen-address="+l)

	upstream, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	relay, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	var mu sync.Mutex
	var informs [][]byte // what snmpinform sent with authPriv
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := relay.ReadFromUDP(buf)
			if err != nil {
				return
			}
			msg := append([]byte(nil), buf[:n]...)
			var m snmp.Message
			if m.Decode(msg) == nil && m.V3.Priv() {
				mu.Lock()
				informs = append(informs, msg)
				mu.Unlock()
			}
			upstream.Write(msg)
			upstream.SetReadDeadline(time.Now().Add(3 * time.Second))
			if n, err := upstream.Read(buf); err == nil {
				relay.WriteToUDP(buf[:n], from)
			}
		}
	}()
	run(t, "snmpinform", append(c.netsnmpArgs(), "-t", "3", "-r", "0", "udp:"+relay.LocalAddr().String(), "", linkDown, ifIndex2, "i", "2")...)
	mu.Lock()
	if len(informs) != 1 {
		t.Fatalf("%d authPriv informs went through the relay, want 1", len(informs))
	}
	resent := informs[0]
	mu.Unlock()
	relay.Close() // the relay goroutine stops; the upstream socket is ours now

	upstream.Write(resent)
	upstream.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, err := upstream.Read(buf)
	if err != nil {
		t.Fatalf("no acknowledgement of the inform sent again: %v\n%s", err, e.stderr)
	}
	var ack snmp.Message
	if err := ack.Decode(buf[:n]); err != nil || !ack.V3.Priv() {
		t.Errorf("reply to the inform sent again: %v, %+v", err, ack.V3)
	}
	want := map[string]float64{
		packetKey(l, "v3", "accepted"):                                     1,
		packetKey(l, "v3", "duplicate"):                                    1,
		trapKey("127.0.0.1", "IF-MIB::linkDown"):                           1,
		fmt.Sprintf("snmptrap_informs_acknowledged_total{listener=%q}", l): 2,
	}
	got := e.waitMetric(t, want)
	if got[packetKey(l, "v3", "replayed")] != 0 {
		t.Errorf("the inform sent again was refused as a replay")
	}
}

// TestTCPInforms: a TCP peer cannot spoof its address, so its
// acknowledgements are not rate-limited (5,000 informs pipelined on one
// connection were 210 acknowledged), and an inform retried on a new
// connection (a new source port) is acknowledged as a duplicate, not
// counted again.
func TestTCPInforms(t *testing.T) {
	need(t)
	p := freePort(t)
	l := fmt.Sprintf("tcp://127.0.0.1:%d", p)
	e := start(t, "--trap.listen-address="+l)
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	inform := func(id int32) []byte {
		vbs := []snmp.Varbind{
			{OID: snmp.MustParseOID("1.3.6.1.2.1.1.3.0"), Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(1)},
			{OID: snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: snmp.TagObjectIdentifier, Value: snmp.MustParseOID("1.3.6.1.4.1.99999.9.1")},
		}
		return snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUInformRequest, id, vbs)
	}
	const n = 5000
	acks := func(conn net.Conn, want int) int {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(conn)
		got := 0
		for got < want {
			if _, err := readBER(r); err != nil {
				break
			}
			got++
		}
		return got
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i := range n {
		all = append(all, inform(int32(i+1))...)
	}
	go conn.Write(all)
	if got := acks(conn, n); got != n {
		t.Errorf("%d of %d pipelined informs acknowledged", got, n)
	}
	conn.Close()

	retry, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	retry.Write(inform(1))
	if got := acks(retry, 1); got != 1 {
		t.Error("the inform retried on a new connection was not acknowledged")
	}
	retry.Close()
	e.waitMetric(t, map[string]float64{
		packetKey(l, "v2c", "accepted"):                                    n,
		packetKey(l, "v2c", "duplicate"):                                   1,
		trapKey("127.0.0.1", "1.3.6.1.4.1.99999.9.1"):                      n,
		fmt.Sprintf("snmptrap_informs_acknowledged_total{listener=%q}", l): n + 1,
		fmt.Sprintf("snmptrap_replies_rate_limited_total{listener=%q}", l): 0,
	})
}

// readBER reads one BER SEQUENCE (a whole SNMP message) from r.
func readBER(r *bufio.Reader) ([]byte, error) {
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	if hdr[0] != 0x30 {
		return nil, fmt.Errorf("not a SEQUENCE: %x", hdr)
	}
	length := int(hdr[1])
	if hdr[1]&0x80 != 0 {
		lb := make([]byte, hdr[1]&0x7f)
		if _, err := io.ReadFull(r, lb); err != nil {
			return nil, err
		}
		length = 0
		for _, c := range lb {
			length = length<<8 | int(c)
		}
	}
	body := make([]byte, length)
	_, err := io.ReadFull(r, body)
	return body, err
}
