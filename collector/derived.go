package collector

import (
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/inventory"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
)

// DeviceInfoName is the family of the inventory's device labels.
const DeviceInfoName = "snmptrap_device_info"

// UndescribedFamilies are the families of this package that no Describe
// announces: the store's two families, written by the /metrics handler,
// and snmptrap_device_info, whose labels change with the configuration.
var UndescribedFamilies = []string{trapsReceivedName, lastReceivedName, DeviceInfoName}

// DerivedCollector exposes the rule-derived families and
// snmptrap_device_info. Its families change with the configuration, so it
// describes nothing (an unchecked collector).
type DerivedCollector struct {
	store   *metrics.Store
	devices atomic.Pointer[inventory.Table]
}

// NewDerivedCollector returns the collector of store's rule-derived
// series and of snmptrap_device_info from the inventory SetDevices gives.
func NewDerivedCollector(store *metrics.Store) *DerivedCollector {
	return &DerivedCollector{store: store}
}

// SetDevices hands the collector the configuration's inventory, when it is
// loaded and on every reload; nil writes no snmptrap_device_info.
func (c *DerivedCollector) SetDevices(t *inventory.Table) { c.devices.Store(t) }

// Describe implements prometheus.Collector; it sends nothing.
func (c *DerivedCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *DerivedCollector) Collect(ch chan<- prometheus.Metric) {
	// A family's Desc is made once per scrape: families change with the
	// configuration, and there are a few of them, not one per series.
	descs := map[*metrics.Family]*prometheus.Desc{}
	for _, d := range c.store.DerivedSnapshot() {
		f := d.Family
		desc := descs[f]
		if desc == nil {
			desc = prometheus.NewDesc(f.Name, f.Help, append([]string{"device"}, f.Labels...), nil)
			descs[f] = desc
		}
		vt := prometheus.GaugeValue
		if f.Type == metrics.Counter {
			vt = prometheus.CounterValue
		}
		labels := append([]string{d.Device}, d.Values...)
		m, err := prometheus.NewConstMetric(desc, vt, d.Value, labels...)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(desc, err)
			continue
		}
		ch <- m
	}
	devices := c.devices.Load()
	if devices == nil {
		return
	}
	infos := devices.Info(c.store.Devices())
	if len(infos) == 0 {
		return
	}
	// Every series of a family needs the same label names: the union of
	// the inventory's label keys, empty where a device has none (which
	// Prometheus treats as absent).
	keySet := map[string]bool{}
	for _, d := range infos {
		for k := range d.Labels {
			keySet[k] = true
		}
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	desc := prometheus.NewDesc(DeviceInfoName,
		"Inventory labels of a device (the devices section of the configuration), for joins; always 1.",
		append([]string{"device"}, keys...), nil)
	for _, d := range infos {
		values := []string{d.Device}
		for _, k := range keys {
			values = append(values, d.Labels[k])
		}
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, values...)
	}
}
