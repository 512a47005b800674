package collector

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/inventory"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
)

var srcA = netip.MustParseAddr("192.0.2.1")

func TestDerivedSetAddAndAttributes(t *testing.T) {
	s := metrics.NewStore(0, 0, nil)
	up := &metrics.Family{Name: "snmptrap_interface_up", Help: "Interface state.", Type: metrics.Gauge, Labels: []string{"ifIndex"}, KeyLabels: 1}
	info := &metrics.Family{Name: "snmptrap_interface_info", Help: "Interface names.", Type: metrics.Gauge, Labels: []string{"ifIndex", "ifDescr"}, KeyLabels: 1}
	rs := &metrics.Family{Name: "snmptrap_device_restarts_total", Help: "Restarts.", Type: metrics.Counter, TTL: metrics.TTLSeries}
	if err := s.SetFamilies([]*metrics.Family{up, info, rs}); err != nil {
		t.Fatal(err)
	}
	s.Update(metrics.Update{Family: up, Op: metrics.OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 0, At: time.Time{}, TTL: up.TTL})
	s.Update(metrics.Update{Family: up, Op: metrics.OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 1, At: time.Time{}, TTL: up.TTL})
	s.Update(metrics.Update{Family: up, Op: metrics.OpSet, Src: srcA, Device: "sw1", Values: []string{"4"}, Value: 0, At: time.Time{}, TTL: up.TTL})
	s.Update(metrics.Update{Family: info, Op: metrics.OpSet, Src: srcA, Device: "sw1", Values: []string{"3", "Gi1/0/3"}, Value: 1, At: time.Time{}, TTL: info.TTL})
	s.Update(metrics.Update{Family: info, Op: metrics.OpSet, Src: srcA, Device: "sw1", Values: []string{"3", "uplink"}, Value: 1, At: time.Time{}, TTL: info.TTL}) // renamed: replaces
	s.Update(metrics.Update{Family: rs, Op: metrics.OpAdd, Src: srcA, Device: "sw1", Values: nil, Value: 1, At: time.Time{}, TTL: rs.TTL})
	s.Update(metrics.Update{Family: rs, Op: metrics.OpAdd, Src: srcA, Device: "sw1", Values: nil, Value: 1, At: time.Time{}, TTL: rs.TTL})

	reg := prometheus.NewRegistry()
	dc := NewDerivedCollector(s)
	dc.SetDevices(inventory.New([]config.Device{
		{Address: config.Source{Prefix: netip.MustParsePrefix("192.0.2.10/32")}, Name: "sw1", Labels: map[string]string{"site": "lab"}},
		{Address: config.Source{Prefix: netip.MustParsePrefix("192.0.2.11/32")}, Name: "sw2", Labels: map[string]string{"role": "core"}},
	}))
	reg.MustRegister(dc)
	want := `
# HELP snmptrap_device_info Inventory labels of a device (the devices section of the configuration), for joins; always 1.
# TYPE snmptrap_device_info gauge
snmptrap_device_info{device="sw1",role="",site="lab"} 1
snmptrap_device_info{device="sw2",role="core",site=""} 1
# HELP snmptrap_device_restarts_total Restarts.
# TYPE snmptrap_device_restarts_total counter
snmptrap_device_restarts_total{device="sw1"} 2
# HELP snmptrap_interface_info Interface names.
# TYPE snmptrap_interface_info gauge
snmptrap_interface_info{device="sw1",ifDescr="uplink",ifIndex="3"} 1
# HELP snmptrap_interface_up Interface state.
# TYPE snmptrap_interface_up gauge
snmptrap_interface_up{device="sw1",ifIndex="3"} 1
snmptrap_interface_up{device="sw1",ifIndex="4"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := s.Len(); n != 4 {
		t.Errorf("Len() = %d, want 4", n)
	}
}

// A family of an older configuration whose shape changed takes no updates
// (one of the same shape goes on, see TestReviewUpdateDuringReloadKept), and a reload
// that drops or reshapes a family removes its series, counted.
