package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/persist"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
)

// stateCollector turns a component's plain counters into metrics: the
// components (the snapshotter, the configuration and MIB managers, the
// SNMP engine) stay free of Prometheus, and their metrics are described
// here, once.
type stateCollector struct {
	descs   []*prometheus.Desc
	collect func(ch chan<- prometheus.Metric)
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// unixSeconds is t as a Unix time in seconds, 0 for the zero time.
func unixSeconds(nanos int64, zero bool) float64 {
	if zero {
		return 0
	}
	return float64(nanos) / 1e9
}

// NewStorageCollector returns the metrics of the snapshotter's Stats.
func NewStorageCollector(stats func() persist.Stats) prometheus.Collector {
	snapshots := prometheus.NewDesc("snmptrap_storage_snapshots_total", "Snapshots of the series store saved under --storage.path (an unchanged store is not rewritten, but counts).", nil, nil)
	failures := prometheus.NewDesc("snmptrap_storage_snapshot_failures_total", "Snapshots of the series store that could not be saved (disk full, read-only, …); tried again at the next interval.", nil, nil)
	last := prometheus.NewDesc("snmptrap_storage_last_snapshot_timestamp_seconds", "Unix time of the last successful snapshot of the series store.", nil, nil)
	size := prometheus.NewDesc("snmptrap_storage_snapshot_size_bytes", "Size of the last successful snapshot.", nil, nil)
	duration := prometheus.NewDesc("snmptrap_storage_snapshot_duration_seconds", "How long the last successful snapshot took: encoding, and writing when the store had changed.", nil, nil)
	restoreFailures := prometheus.NewDesc("snmptrap_storage_restore_failures_total", "State files that could not be restored at start: the series snapshot or the SNMPv3 replay memory (corrupt or unreadable; the file is set aside as <name>.corrupt-<unix time> and that state starts empty).", nil, nil)
	restored := prometheus.NewDesc("snmptrap_storage_restored_series", "Series restored from the snapshot at start, by kind: trap (device × trap counters, the overflow series included) or derived (rule-derived series).", []string{"kind"}, nil)
	return &stateCollector{
		descs: []*prometheus.Desc{snapshots, failures, last, size, duration, restoreFailures, restored},
		collect: func(ch chan<- prometheus.Metric) {
			s := stats()
			ch <- prometheus.MustNewConstMetric(snapshots, prometheus.CounterValue, float64(s.Snapshots))
			ch <- prometheus.MustNewConstMetric(failures, prometheus.CounterValue, float64(s.Failures))
			ch <- prometheus.MustNewConstMetric(last, prometheus.GaugeValue, unixSeconds(s.LastSuccess.UnixNano(), s.LastSuccess.IsZero()))
			ch <- prometheus.MustNewConstMetric(size, prometheus.GaugeValue, float64(s.Size))
			ch <- prometheus.MustNewConstMetric(duration, prometheus.GaugeValue, s.Duration.Seconds())
			ch <- prometheus.MustNewConstMetric(restoreFailures, prometheus.CounterValue, float64(s.RestoreFailures))
			ch <- prometheus.MustNewConstMetric(restored, prometheus.GaugeValue, float64(s.RestoredTraps), "trap")
			ch <- prometheus.MustNewConstMetric(restored, prometheus.GaugeValue, float64(s.RestoredDerived), "derived")
		},
	}
}

// NewMIBCollector returns the metrics of the MIB manager's Stats.
func NewMIBCollector(stats func() loader.Stats) prometheus.Collector {
	modules := prometheus.NewDesc("snmptrap_mib_modules_loaded", "MIB modules in the translation table, by the source that contributed their definitions: builtin (IETF, net-snmp, SynOptics), vendor (the compiled vendor table, --[no-]mib.vendor) or mib.dir (--mib.dir). A module whose every definition a higher source replaced is not counted.", []string{"source"}, nil)
	notifications := prometheus.NewDesc("snmptrap_mib_notifications", "Notifications (trap names) in the translation table, by the source that named them; a higher source replaces a lower one's name for the same OID (mib.dir over builtin over vendor).", []string{"source"}, nil)
	errors := prometheus.NewDesc("snmptrap_mib_load_errors_total", "MIB files from --mib.dir that could not be loaded (each problem logged at warning with its file and line), and failed loads of a whole set.", nil, nil)
	return &stateCollector{
		descs: []*prometheus.Desc{modules, notifications, errors},
		collect: func(ch chan<- prometheus.Metric) {
			s := stats()
			for _, src := range []string{mib.SourceBuiltin, mib.SourceVendor, mib.SourceMIBDir} {
				c := s.BySource[src]
				ch <- prometheus.MustNewConstMetric(modules, prometheus.GaugeValue, float64(c.Modules), src)
				ch <- prometheus.MustNewConstMetric(notifications, prometheus.GaugeValue, float64(c.Notifications), src)
			}
			ch <- prometheus.MustNewConstMetric(errors, prometheus.CounterValue, float64(s.LoadErrors))
		},
	}
}
