package pipeline

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

const inventoryYAML = `
devices:
  - address: 192.0.2.7
    name: core-sw1
    labels: {site: lab, role: core}
  - address: 10.1.0.0/16
    labels: {site: branch}
  - address: 10.1.2.3
    labels: {role: edge}
relays:
  - 198.51.100.0/24
`

func inventoryFixture(t *testing.T) (*Processor, *metrics.Store) {
	t.Helper()
	c, err := config.Parse([]byte(inventoryYAML))
	if err != nil {
		t.Fatal(err)
	}
	store := metrics.NewStore(0, 0, nil)
	pr := New(store, metrics.NewPackets(), Options{Names: genericNames, Inventory: NewInventory(c)})
	return pr, store
}

func trapFrom(pr *Processor, src string, data []byte) {
	pr.Handle(&receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: netip.MustParseAddrPort(src), Data: data}, nil)
}

// v2cWithTrapAddress is a v2c linkDown that names agent in
// snmpTrapAddress.0, as a forwarding proxy sends it.
func v2cWithTrapAddress(agent [4]byte) []byte {
	vbs := append(v2Varbinds(oidLinkDown), snmp.Varbind{OID: []byte(snmp.OIDSnmpTrapAddress), Type: snmp.TagIPAddress, Value: agent[:]})
	return snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, vbs)
}

func v1From(agent [4]byte) []byte {
	return snmp.AppendTrapV1(nil, []byte("public"), snmp.MustParseOID("1.3.6.1.4.1.9"), agent, 2, 0, 100,
		[]snmp.Varbind{{OID: oidIfIndex2, Type: snmp.TagInteger, Value: snmp.IntegerValue(2)}})
}

func devicesOf(store *metrics.Store) []string {
	var out []string
	for _, s := range testfixtures.SeriesOf(store.Index()) {
		out = append(out, fmt.Sprintf("%s %d", s.Device, s.Count))
	}
	return out
}

func TestInventoryDeviceLabels(t *testing.T) {
	pr, store := inventoryFixture(t)
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	trapFrom(pr, "192.0.2.7:1000", data) // named
	trapFrom(pr, "10.1.9.9:1000", data)  // under a prefix: its address
	// Not a relay: neither snmpTrapAddress.0 nor the v1 agent-addr may
	// choose the device.
	trapFrom(pr, "203.0.113.5:1000", v2cWithTrapAddress([4]byte{192, 0, 2, 7}))
	trapFrom(pr, "203.0.113.5:1000", v1From([4]byte{192, 0, 2, 7}))
	// From a relay: the trap names its agent.
	trapFrom(pr, "198.51.100.1:1000", v2cWithTrapAddress([4]byte{192, 0, 2, 7}))
	trapFrom(pr, "198.51.100.1:1000", v1From([4]byte{10, 1, 2, 3}))
	// A relay's own trap without either: the relay is the device.
	trapFrom(pr, "198.51.100.1:1000", data)

	got := devicesOf(store)
	want := []string{"10.1.2.3 1", "10.1.9.9 1", "198.51.100.1 1", "203.0.113.5 2", "core-sw1 2"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("series %v\nwant %v", got, want)
	}
	info := pr.Settings().Inventory.Table().Info(store.Devices())
	var gotInfo []string
	for _, d := range info {
		gotInfo = append(gotInfo, fmt.Sprintf("%s %v", d.Device, d.Labels))
	}
	slices.Sort(gotInfo)
	wantInfo := []string{"10.1.2.3 map[role:edge]", "10.1.9.9 map[site:branch]", "core-sw1 map[role:core site:lab]"}
	if !slices.Equal(gotInfo, wantInfo) {
		t.Errorf("device info %v\nwant %v", gotInfo, wantInfo)
	}
}

// A reload that renames a device takes effect for the next trap.
func TestInventoryReload(t *testing.T) {
	pr, store := inventoryFixture(t)
	data := v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)
	trapFrom(pr, "192.0.2.7:1000", data)
	c, err := config.Parse([]byte("devices:\n  - address: 192.0.2.7\n    name: core-sw9\n"))
	if err != nil {
		t.Fatal(err)
	}
	reconfigure(pr, func(s *Settings) { s.Inventory = NewInventory(c) })
	trapFrom(pr, "192.0.2.7:1000", data)
	if got, want := devicesOf(store), []string{"core-sw1 1", "core-sw9 1"}; !slices.Equal(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
}

func TestDeviceConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"devices:\n  - name: x\n", "devices[0]: address is missing"},
		{"devices:\n  - address: 10.0.0.0/8\n    name: x\n", "devices[0] (10.0.0.0/8): a name is for a single address, not a prefix (a prefix can only give labels)"},
		{"devices:\n  - address: 10.0.0.1\n    name: a\n  - address: 10.0.0.2\n    name: a\n", `devices[1] (10.0.0.2/32): name "a" already used by devices[0]`},
		{"devices:\n  - address: 10.0.0.1\n  - address: 10.0.0.1\n", "devices[1] (10.0.0.1/32): address already given in devices[0]"},
		{"devices:\n  - address: 10.0.0.1\n    labels: {device: x}\n", `devices[0] (10.0.0.1/32): label name "device" is taken by the device label itself`},
		{"devices:\n  - address: 10.0.0.1\n    labels: {\"a-b\": x}\n", `devices[0] (10.0.0.1/32): invalid label name "a-b"`},
		{"devices:\n  - address: 10.0.0.1\n    name: _other\n", `devices[0] (10.0.0.1/32): name "_other" is reserved for the overflow series`},
		{"devices:\n  - address: 10.0.0.1\n    name: 10.0.0.2\n", `devices[0] (10.0.0.1/32): name "10.0.0.2" is an address: it would be mistaken for the device of that address`},
		{"relays:\n  - 10.0.0.1/8\n", "line 2: invalid source \"10.0.0.1/8\": host bits set (did you mean 10.0.0.0/8?)"},
		{"devices:\n  - address: 10.0.0.1\n    nmae: x\n", "line 3: field nmae not found in type config.Device"},
	} {
		_, err := config.Parse([]byte(tc.yaml))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
}
