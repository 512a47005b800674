package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
)

// trapLogResults are the result label's values, all exported from the
// start for each configured output.
var trapLogResults = []string{"written", "dropped", "failed"}

// trapLogHelp is the metric's help.
const trapLogHelp = "Trap records the trap log outputs (output: file for --trap.log.file, otlp for --trap.otlp.endpoint) handled, by result: written (to the file, or accepted by the OTLP receiver), dropped (gone from the trap history, --trap.history.size, before the output got to them: it fell behind) or failed (a write error, or an OTLP batch refused or failing its last attempt)."

// NewTrapLogCollector returns the trap log outputs' metrics (stats nil:
// none configured).
func NewTrapLogCollector(stats func() []traplog.Stats) prometheus.Collector {
	records := prometheus.NewDesc("snmptrap_trap_log_records_total", trapLogHelp, []string{"output", "result"}, nil)
	paused := prometheus.NewDesc("snmptrap_trap_log_paused_seconds_total",
		"Time the trap log outputs waited before rendering records because the receive path was behind (a UDP read found more datagrams waiting than it takes). Records the trap history dropped meanwhile count as dropped.",
		[]string{"output"}, nil)
	return &stateCollector{
		descs: []*prometheus.Desc{records, paused},
		collect: func(ch chan<- prometheus.Metric) {
			if stats == nil {
				return
			}
			for _, s := range stats() {
				for i, v := range []uint64{s.Written, s.Dropped, s.Failed} {
					ch <- prometheus.MustNewConstMetric(records, prometheus.CounterValue, float64(v), s.Output, trapLogResults[i])
				}
				ch <- prometheus.MustNewConstMetric(paused, prometheus.CounterValue, s.Paused.Seconds(), s.Output)
			}
		},
	}
}
