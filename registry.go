package main

import (
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/persist"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

// ownMetrics are the parts whose collectors make the exporter's own
// metrics. run() registers exactly these collectors (registry), and the
// names they describe are the ones no rule may define (reservedMetrics):
// one list for both, so that a metric added here is reserved at once.
type ownMetrics struct {
	store        *metrics.Store
	packets      *metrics.Packets
	listeners    func() []receiver.Stats
	derived      *collector.DerivedCollector
	engine       *engine.Engine
	engineErrors *prometheus.CounterVec
	cm           *configManager
	mm           *loader.Manager
	snap         *persist.Snapshotter
}

func (o ownMetrics) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{
		versioncollector.NewCollector(program),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collector.NewExporter(o.store, o.packets, o.listeners),
		o.derived,
		o.engineErrors,
		engineInfo(o.engine),
	}
	cs = append(cs, o.cm.collectors()...)
	cs = append(cs, collector.NewMIBCollector(o.mm.Stats))
	return append(cs, collector.NewStorageCollector(o.snap.Stats))
}

// registry returns the registry that /metrics gathers.
func (o ownMetrics) registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(o.collectors()...)
	return reg
}

// reservedPrefixes are the namespaces of the Go and process collectors,
// which a newer Go or client library may add names to.
var reservedPrefixes = []string{"go_", "process_"}

var fqName = regexp.MustCompile(`^Desc\{fqName: "([^"]+)"`)

// reservedMetrics returns whether a metric name is the exporter's own: a
// name its collectors describe (built as run() builds them, with
// placeholder parts: the names do not depend on the data), a family the
// /metrics handler or the derived collector writes without describing it,
// or a name under reservedPrefixes. A name that differs only by a _total
// suffix is taken too: in OpenMetrics the counter foo_total is the family
// foo.
func reservedMetrics() func(string) bool {
	own := placeholderOwnMetrics()
	names := map[string]bool{}
	for _, n := range collector.UndescribedFamilies {
		names[strings.TrimSuffix(n, "_total")] = true
	}
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range own.collectors() {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		// prometheus.Desc has no accessor for its name; its String()
		// starts with it (TestRulesCannotShadowOwnMetrics fails if that
		// changes).
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[strings.TrimSuffix(m[1], "_total")] = true
		}
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

// placeholderOwnMetrics are parts with no data, for their descriptions.
func placeholderOwnMetrics() ownMetrics {
	store := metrics.NewStore(0, 0, nil)
	return ownMetrics{
		store:        store,
		derived:      collector.NewDerivedCollector(store),
		packets:      metrics.NewPackets(),
		engine:       &engine.Engine{},
		engineErrors: newEngineErrors(),
		cm:           newConfigManager("", nil, nil),
		mm:           loader.NewManager(nil, 0, nil),
		snap:         persist.New(store, nil, "", 0, nil),
	}
}
