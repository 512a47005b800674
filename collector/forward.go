package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
)

// forwardResults are the result label's values, all exported from the
// start for each destination.
var forwardResults = []string{"sent", "failed", "dropped", "retried"}

// NewForwardCollector returns the forward: destinations' metrics (stats
// nil: none configured).
func NewForwardCollector(stats func() []forward.Stats) prometheus.Collector {
	messages := prometheus.NewDesc("snmptrap_forward_messages_total",
		"Admitted traps forwarded to a destination of forward: (destination: its address as configured), by result: sent (handed to the network; for mode inform, acknowledged), failed (a connect or write error, or an inform never acknowledged), dropped (the destination's queue was full, or held the trap when a reload removed the destination or the exporter stopped) or retried (an inform sent again, or a message sent again on a new TCP connection; not a trap of its own).",
		[]string{"destination", "result"}, nil)
	queue := prometheus.NewDesc("snmptrap_forward_queue_length",
		"Traps waiting in a forward: destination's queue.", []string{"destination"}, nil)
	return &stateCollector{
		descs: []*prometheus.Desc{messages, queue},
		collect: func(ch chan<- prometheus.Metric) {
			if stats == nil {
				return
			}
			for _, s := range stats() {
				for i, v := range []uint64{s.Sent, s.Failed, s.Dropped, s.Retried} {
					ch <- prometheus.MustNewConstMetric(messages, prometheus.CounterValue, float64(v), s.Destination, forwardResults[i])
				}
				ch <- prometheus.MustNewConstMetric(queue, prometheus.GaugeValue, float64(s.Queue), s.Destination)
			}
		},
	}
}
