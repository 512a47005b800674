package main

import (
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/config"
)

// A rule may not define a metric that another collector of the exporter
// registers: the registry then fails every scrape of /metrics ("collected
// metric ... has help ... but should have ...").
func TestReviewRulesCannotShadowRegisteredMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	sn := newSnapshotter(collector.NewStore(0, 0, nil), t.TempDir(), time.Second, log.NewNopLogger())
	reg.MustRegister(sn.collectors()...)
	reg.MustRegister(newConfigManager("", log.NewNopLogger()).collectors()...)
	reg.MustRegister(newMIBManager(nil, time.Second, log.NewNopLogger()).collectors()...)
	reg.MustRegister(versioncollector.NewCollector(program), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		name := mf.GetName()
		r := config.Rule{Name: "shadow", Traps: []string{"IF-MIB::linkDown"}, Metric: name}
		if strings.HasSuffix(name, "_total") {
			r.Action = config.ActionCount
		} else {
			r.Action, r.Value = config.ActionGauge, "IF-MIB::ifIndex"
		}
		if err := r.Validate(0); err == nil {
			t.Errorf("a rule may define metric %s, which the exporter registers itself", name)
		}
	}
}
