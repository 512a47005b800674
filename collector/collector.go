package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

const namespace = "snmptrap"

// Exporter is the prometheus.Collector for the store's size and drops, the
// packet counters and the listeners' statistics. The store's series
// themselves (snmptrap_traps_received_total and
// snmptrap_trap_last_received_timestamp_seconds) are written by the handler
// of NewHandler, not collected here.
type Exporter struct {
	store     *metrics.Store
	packets   *metrics.Packets
	listeners func() []receiver.Stats

	packetsTotal  *prometheus.Desc
	informsAcked  *prometheus.Desc
	ackErrors     *prometheus.Desc
	reportsSent   *prometheus.Desc
	rateLimited   *prometheus.Desc
	untranslated  *prometheus.Desc
	noAgent       *prometheus.Desc
	drops         *prometheus.Desc
	recvBuffer    *prometheus.Desc
	tcpOpen       *prometheus.Desc
	tcpAccepted   *prometheus.Desc
	tcpClosed     *prometheus.Desc
	seriesCount   *prometheus.Desc
	seriesLimit   *prometheus.Desc
	seriesDropped *prometheus.Desc
	labelBytes    *prometheus.Desc
	labelBytesMax *prometheus.Desc
}

// NewExporter returns a collector over store and packets; listeners, if not
// nil, is called at every scrape for the listeners' own statistics.
func NewExporter(store *metrics.Store, packets *metrics.Packets, listeners func() []receiver.Stats) *Exporter {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &Exporter{
		store:     store,
		packets:   packets,
		listeners: listeners,

		packetsTotal:  d("packets_total", "SNMP datagrams and TCP messages received, by listener, SNMP version and outcome.", "listener", "version", "result"),
		informsAcked:  d("informs_acknowledged_total", "Response-PDUs sent to acknowledge informs.", "listener"),
		ackErrors:     d("informs_acknowledge_errors_total", "Inform acknowledgements that could not be sent.", "listener"),
		reportsSent:   d("reports_sent_total", "SNMPv3 Report-PDUs sent: engine discovery for informs, and refusals (time window, unknown user, wrong digest...) to senders that asked for reports.", "listener"),
		rateLimited:   d("replies_rate_limited_total", "Inform acknowledgements and Reports not sent because their destination used up its reply budget (they go to unauthenticated addresses, so they are rate-limited per source).", "listener"),
		untranslated:  d("traps_untranslated_total", "Admitted traps whose OID no MIB names; they are counted under the numeric OID."),
		noAgent:       d("relay_traps_without_agent_total", "Admitted traps from a source in relays: that named no original agent (no snmpTrapAddress.0 and no SNMPv1 agent-addr), so the relay itself became their device, by relay source address (the first 64 relays; later ones under relay=\"other\"). A relay running snmptrapd needs addForwarderInfo yes.", "relay"),
		drops:         d("receive_drops_total", "Messages lost before decoding, by listener and stage (kernel: the socket's drop counter as the kernel reports it).", "listener", "stage"),
		recvBuffer:    d("receive_buffer_bytes", "Receive buffer size the kernel granted the listener's socket (as read back with SO_RCVBUF).", "listener"),
		tcpOpen:       d("tcp_connections", "Open TCP connections.", "listener"),
		tcpAccepted:   d("tcp_connections_accepted_total", "TCP connections accepted, including those closed at once for a connection limit.", "listener"),
		tcpClosed:     d("tcp_connections_closed_total", "TCP connections closed, by reason.", "listener", "reason"),
		seriesCount:   d("series", "Series in the store: device × trap counters and rule-derived series (the overflow series not included)."),
		seriesLimit:   d("series_limit", "Maximum number of series in the store (0: no limit)."),
		seriesDropped: d("series_dropped_total", "Series refused or removed, by reason: the store was full (limit), the device had its most series (device_limit), the source made new series too fast (source_rate), the labels of all series held their most bytes (bytes_limit) -- counted per refused trap or update --, not updated within the TTL (expired), or the rule behind it was removed (rule_removed).", "reason"),
		labelBytes:    d("series_label_bytes", "Bytes of the label values of all series in the store (what --trap.max-series-bytes bounds)."),
		labelBytesMax: d("series_label_bytes_limit", "Maximum bytes of the label values of all series (0: no limit)."),
	}
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		e.packetsTotal, e.informsAcked, e.ackErrors, e.reportsSent, e.rateLimited, e.untranslated,
		e.noAgent, e.drops, e.recvBuffer, e.tcpOpen, e.tcpAccepted, e.tcpClosed,
		e.seriesCount, e.seriesLimit, e.seriesDropped, e.labelBytes, e.labelBytesMax,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. It takes no lock that the
// receive path waits for.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(e.seriesCount, prometheus.GaugeValue, float64(e.store.Len()))
	ch <- prometheus.MustNewConstMetric(e.seriesLimit, prometheus.GaugeValue, float64(e.store.Limit()))
	used, limit := e.store.LabelBytes(), e.store.LabelBytesLimit()
	ch <- prometheus.MustNewConstMetric(e.labelBytes, prometheus.GaugeValue, float64(used))
	ch <- prometheus.MustNewConstMetric(e.labelBytesMax, prometheus.GaugeValue, float64(limit))
	dropped := e.store.Dropped()
	for _, r := range []string{metrics.DropReasonLimit, metrics.DropReasonDeviceLimit, metrics.DropReasonSourceRate, metrics.DropReasonBytesLimit, metrics.DropReasonExpired, metrics.DropReasonRuleRemoved} {
		ch <- prometheus.MustNewConstMetric(e.seriesDropped, prometheus.CounterValue, float64(dropped[r]), r)
	}

	ch <- prometheus.MustNewConstMetric(e.untranslated, prometheus.CounterValue, float64(e.packets.UntranslatedCount()))
	for _, r := range e.packets.RelaysWithoutAgent() {
		ch <- prometheus.MustNewConstMetric(e.noAgent, prometheus.CounterValue, float64(r.Count), r.Relay)
	}
	for _, l := range e.packets.All() {
		e.collectPackets(ch, l)
	}
	if e.listeners == nil {
		return
	}
	for _, l := range e.listeners() {
		ch <- prometheus.MustNewConstMetric(e.informsAcked, prometheus.CounterValue, float64(l.InformsAcknowledged), l.Listener)
		ch <- prometheus.MustNewConstMetric(e.ackErrors, prometheus.CounterValue, float64(l.AckErrors), l.Listener)
		ch <- prometheus.MustNewConstMetric(e.reportsSent, prometheus.CounterValue, float64(l.ReportsSent), l.Listener)
		ch <- prometheus.MustNewConstMetric(e.rateLimited, prometheus.CounterValue, float64(l.RepliesRateLimited), l.Listener)
		if l.KernelDrops >= 0 {
			ch <- prometheus.MustNewConstMetric(e.drops, prometheus.CounterValue, float64(l.KernelDrops), l.Listener, "kernel")
		}
		switch l.Transport {
		case "udp":
			ch <- prometheus.MustNewConstMetric(e.recvBuffer, prometheus.GaugeValue, float64(l.ReceiveBufferBytes), l.Listener)
		case "tcp":
			ch <- prometheus.MustNewConstMetric(e.tcpOpen, prometheus.GaugeValue, float64(l.ConnectionsOpen), l.Listener)
			ch <- prometheus.MustNewConstMetric(e.tcpAccepted, prometheus.CounterValue, float64(l.ConnectionsAccepted), l.Listener)
			for reason, n := range l.ConnectionsClosed {
				ch <- prometheus.MustNewConstMetric(e.tcpClosed, prometheus.CounterValue, float64(n), l.Listener, reason)
			}
		}
	}
}

func (e *Exporter) collectPackets(ch chan<- prometheus.Metric, l *metrics.ListenerCounters) {
	for v := metrics.Version(0); v < metrics.NumVersions; v++ {
		for r := metrics.Result(0); r < metrics.NumResults; r++ {
			n := l.Get(v, r)
			if n == 0 && !metrics.Always(v, r) {
				continue
			}
			ch <- prometheus.MustNewConstMetric(e.packetsTotal, prometheus.CounterValue, float64(n), l.Name(), v.String(), r.String())
		}
	}
}
