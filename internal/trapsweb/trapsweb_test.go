package trapsweb

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// xss is what a hostile device puts in ifDescr.
const xss = `<img src=x onerror=alert(1)>`

var (
	oidLinkDown = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")
	oidLinkUp   = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.4")
	ifUp        = &metrics.Family{Name: "snmptrap_interface_up", Type: metrics.Gauge, Labels: []string{"ifIndex"}, KeyLabels: 1}
	// t0 is the first trap's time; the others follow a minute apart.
	t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// trap is one trap the test history holds.
type trap struct {
	device, listener string
	trapOID          []byte
	trapName         string
	descr            string
}

// The history every test reads, oldest first: seq 1 to 4.
var testTraps = []trap{
	{"sw1", "udp://:162", oidLinkDown, "IF-MIB::linkDown", "uplink to core"},
	{"sw2", "udp://:162", oidLinkUp, "IF-MIB::linkUp", "access port"},
	{"sw1", "tcp://:412", oidLinkUp, "IF-MIB::linkUp", "uplink to core"},
	{"sw1", "udp://:162", oidLinkDown, "IF-MIB::linkDown", xss},
}

// newHistory returns a history holding testTraps (seq 1 to 4, a minute
// apart from t0, each linkDown setting snmptrap_interface_up{ifIndex="2"}
// from 1 to 0) and three refused messages, the last a not_snmp one.
func newHistory(t testing.TB) *traps.History {
	t.Helper()
	names := mib.Builtin()
	h := traps.New(traps.Options{Size: 50, RefusedSize: 20, Names: func() traps.Names { return names }})
	for i, tr := range testTraps {
		vbs := []snmp.Varbind{
			{OID: snmp.MustParseOID("1.3.6.1.2.1.1.3.0"), Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(12345)},
			{OID: snmp.MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: snmp.TagObjectIdentifier, Value: tr.trapOID},
			{OID: snmp.MustParseOID("1.3.6.1.2.1.2.2.1.1.2"), Type: snmp.TagInteger, Value: snmp.IntegerValue(2)},
			{OID: snmp.MustParseOID("1.3.6.1.2.1.2.2.1.2.2"), Type: snmp.TagOctetString, Value: []byte(tr.descr)},
		}
		msg := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, int32(i), vbs)
		var m snmp.Message
		if err := m.Decode(msg); err != nil {
			t.Fatal(err)
		}
		a := &traps.Admitted{At: t0.Add(time.Duration(i) * time.Minute), Listener: tr.listener,
			Source: netip.MustParseAddrPort("192.0.2.7:40000"), Device: tr.device, Version: metrics.VersionV2c,
			Trap: tr.trapName, TrapOID: tr.trapOID, Message: msg, Varbinds: m.Varbinds}
		if tr.trapName == "IF-MIB::linkDown" {
			a.Changes = []traps.StateChange{{Family: ifUp, Device: tr.device, Values: []string{"2"}, Existed: true, Old: 1, New: 0}}
		}
		h.Admitted(a)
	}
	src := netip.MustParseAddrPort("198.51.100.9:5555")
	h.Refused(&traps.Refusal{At: t0, Listener: "udp://:162", Source: src, Version: metrics.VersionV2c, Result: metrics.ResultCommunityRejected, Data: []byte("x")})
	h.Refused(&traps.Refusal{At: t0.Add(time.Minute), Listener: "udp://:412", Source: netip.MustParseAddrPort("203.0.113.1:1"), Result: metrics.ResultMalformed, Data: []byte{0x30, 0x01}})
	h.Refused(&traps.Refusal{At: t0.Add(2 * time.Minute), Listener: "udp://:412", Source: src, Result: metrics.ResultNotSNMP, Data: []byte("GET /<script>alert(2)</script> HTTP/1.0\r\n\r\n")})
	return h
}

// get serves one request on a mux with the package's routes.
func get(t testing.TB, h *traps.History, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, h)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}
