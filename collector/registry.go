package collector

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/persist"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

// Program is the exporter's name: the build-info metric's prefix.
const Program = "snmptrap_exporter"

// Parts are what the exporter's own metrics are read from. The exporter
// registers exactly the collectors NewRegistry makes of them, and the names
// they describe are the ones no rule may define (Reserved): one list for
// both, so that a metric added here is reserved at once.
type Parts struct {
	Store   *metrics.Store
	Packets *metrics.Packets
	// Listeners returns the trap listeners' statistics.
	Listeners func() []receiver.Stats
	// Derived is the collector of the rule-derived series.
	Derived *DerivedCollector
	// Engine is this exporter's SNMP engine, and EngineResult what its
	// start had to do.
	Engine       *engine.Engine
	EngineResult engine.Result
	// Config returns whether the last configuration (re)load worked and
	// when one last did.
	Config func() (ok bool, lastSuccess time.Time)
	// MIBs and Storage return the MIB manager's and the snapshotter's
	// counts.
	MIBs    func() loader.Stats
	Storage func() persist.Stats
	// TrapLog returns the configured trap log outputs' counts (nil: none).
	TrapLog func() []traplog.Stats
	// Forward returns the forward: destinations' counts (nil: none).
	Forward func() []forward.Stats
}

func (p Parts) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		versioncollector.NewCollector(Program),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		NewExporter(p.Store, p.Packets, p.Listeners),
		p.Derived,
		newEngineCollector(p.Engine, p.EngineResult),
		newConfigCollector(p.Config),
		NewMIBCollector(p.MIBs),
		NewStorageCollector(p.Storage),
		NewTrapLogCollector(p.TrapLog),
		NewForwardCollector(p.Forward),
	}
}

// NewRegistry returns the registry that /metrics gathers (beside the
// store's two families, which the handler writes).
func NewRegistry(p Parts) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(p.collectors()...)
	return reg
}

// reservedPrefixes are the namespaces of the Go and process collectors,
// which a newer Go or client library may add names to.
var reservedPrefixes = []string{"go_", "process_"}

var fqName = regexp.MustCompile(`^Desc\{fqName: "([^"]+)"`)

// Reserved returns whether a metric name is the exporter's own: a name its
// collectors describe (made as NewRegistry makes them, with placeholder
// parts: the names do not depend on the data), a family the /metrics
// handler or the derived collector writes without describing it, or a name
// under reservedPrefixes. A name that differs only by a _total suffix is
// taken too: in OpenMetrics the counter foo_total is the family foo.
func Reserved() func(string) bool {
	names := map[string]bool{}
	for _, n := range OwnFamilies() {
		names[strings.TrimSuffix(n, "_total")] = true
	}
	return func(metric string) bool {
		for _, p := range reservedPrefixes {
			if strings.HasPrefix(metric, p) {
				return true
			}
		}
		return names[strings.TrimSuffix(metric, "_total")]
	}
}

// OwnFamilies returns the names of the families the exporter itself
// writes (not the Go and process collectors' nor the rules'): those its
// collectors describe, made as NewRegistry makes them with placeholder
// parts (the names do not depend on the data), and UndescribedFamilies.
func OwnFamilies() []string {
	store := metrics.NewStore(0, 0, nil)
	placeholders := Parts{
		Store:   store,
		Packets: metrics.NewPackets(),
		Derived: NewDerivedCollector(store),
		Engine:  &engine.Engine{},
	}
	names := append([]string(nil), UndescribedFamilies...)
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range placeholders.collectors() {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		// prometheus.Desc has no accessor for its name; its String()
		// starts with it (TestRulesCannotShadowOwnMetrics fails if that
		// changes).
		if m := fqName.FindStringSubmatch(d.String()); m != nil && !slices.ContainsFunc(reservedPrefixes, func(p string) bool { return strings.HasPrefix(m[1], p) }) {
			names = append(names, m[1])
		}
	}
	return names
}

// newEngineCollector returns the SNMP engine's metrics: its engineBoots by
// engine ID, and what its start had to do (the kinds exported from the
// start, at 0 or 1).
func newEngineCollector(eng *engine.Engine, res engine.Result) prometheus.Collector {
	errs := prometheus.NewDesc("snmptrap_engine_file_errors_total", "Problems with the engine file under --storage.path at start: corrupt (a new engine ID was made), not_saved (engineBoots could not be written) or boots_exhausted (engineBoots is at 2^31-1: SNMPv3 informs fail until the engine has a new engine ID).", []string{"kind"}, nil)
	boots := prometheus.NewDesc("snmptrap_engine_boots", "engineBoots of this exporter's SNMP engine (the authoritative engine for SNMPv3 informs), by engine ID.", []string{"engine_id"}, nil)
	one := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	return &stateCollector{
		descs: []*prometheus.Desc{errs, boots},
		collect: func(ch chan<- prometheus.Metric) {
			ch <- prometheus.MustNewConstMetric(errs, prometheus.CounterValue, one(res.Regenerated != nil), "corrupt")
			ch <- prometheus.MustNewConstMetric(errs, prometheus.CounterValue, one(res.NotSaved != nil), "not_saved")
			ch <- prometheus.MustNewConstMetric(errs, prometheus.CounterValue, one(res.BootsExhausted), "boots_exhausted")
			ch <- prometheus.MustNewConstMetric(boots, prometheus.GaugeValue, float64(eng.Boots), fmt.Sprintf("%x", eng.ID))
		},
	}
}

// newConfigCollector returns the configuration's reload metrics.
func newConfigCollector(state func() (bool, time.Time)) prometheus.Collector {
	ok := prometheus.NewDesc("snmptrap_exporter_config_last_reload_successful", "Whether the last configuration load or reload succeeded.", nil, nil)
	last := prometheus.NewDesc("snmptrap_exporter_config_last_reload_success_timestamp_seconds", "Unix time of the last successful configuration load or reload.", nil, nil)
	return &stateCollector{
		descs: []*prometheus.Desc{ok, last},
		collect: func(ch chan<- prometheus.Metric) {
			good, at := state()
			v := 0.0
			if good {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(ok, prometheus.GaugeValue, v)
			ch <- prometheus.MustNewConstMetric(last, prometheus.GaugeValue, unixSeconds(at.UnixNano(), at.IsZero()))
		},
	}
}
