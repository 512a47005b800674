package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/pipeline"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
)

// configManager owns the running configuration: it loads it, swaps in a
// new one on SIGHUP or POST /-/reload (one path for both), keeps the old one
// when the new one is bad, and shows it, secrets redacted, on /config.
type configManager struct {
	path  string
	proc  *pipeline.Processor
	store *metrics.Store
	mibs  *loader.Manager
	// derived gets the inventory's device table on every reload.
	derived *collector.DerivedCollector
	logger  log.Logger
	// table is the MIB table in use, which rules are checked against.
	table    *mib.Table
	reserved func(metric string) bool

	reloads coalescer // one reload at a time; requests during one share the next
	current atomic.Pointer[config.Config]

	lastOK      prometheus.Gauge
	lastSuccess prometheus.Gauge
}

// newConfigManager returns the manager of the file at path. reserved
// reports whether a metric name is one of the exporter's own, which rules
// may not define (reservedMetrics).
func newConfigManager(path string, logger log.Logger, reserved func(string) bool) *configManager {
	return &configManager{
		path:     path,
		logger:   logger,
		reserved: reserved,
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "snmptrap_exporter_config_last_reload_successful",
			Help: "Whether the last configuration load or reload succeeded.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "snmptrap_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load or reload.",
		}),
	}
}

// loaded is a configuration file compiled for use.
type loaded struct {
	cfg   *config.Config
	sec   *pipeline.Security
	inv   *pipeline.Inventory
	rules *rules.Set
}

// read loads and compiles the file, its rules checked against table; with
// no --config.file it is the empty configuration: v1/v2c from anyone, no
// SNMPv3 users, the built-in rules. Users unchanged from prev (the
// security in use, nil at start) are taken over without hashing their
// passwords again.
func (cm *configManager) read(table *mib.Table, prev *pipeline.Security) (*loaded, error) {
	c := &config.Config{}
	if cm.path != "" {
		var err error
		if c, err = config.Load(cm.path); err != nil {
			return nil, err
		}
	}
	sec, err := pipeline.NewSecurityFrom(c, prev)
	if err != nil {
		return nil, err
	}
	if cm.reserved != nil {
		if err := c.CheckMetrics(cm.reserved); err != nil {
			if cm.path != "" {
				err = fmt.Errorf("%s: %w", cm.path, err)
			}
			return nil, err
		}
	}
	rs, err := rules.Compile(c.Rules, c.BuiltinRules, table)
	if err != nil {
		if cm.path != "" {
			err = fmt.Errorf("%s: %w", cm.path, err)
		}
		return nil, err
	}
	return &loaded{cfg: c, sec: sec, inv: pipeline.NewInventory(c), rules: rs}, nil
}

// load is the first load, at start; a bad file stops the start.
func (cm *configManager) load() (*loaded, error) {
	l, err := cm.read(cm.table, nil)
	if err != nil {
		cm.lastOK.Set(0)
		return nil, err
	}
	cm.current.Store(l.cfg)
	cm.lastOK.Set(1)
	cm.lastSuccess.SetToCurrentTime()
	return l, nil
}

// reload swaps in the file's new contents, or keeps the running
// configuration and says why. A request made while a reload runs waits for
// the next reload, which starts when that one ends and answers every
// request made in the meantime: a burst of requests costs two reloads, not
// one each.
func (cm *configManager) reload() error { return cm.reloads.do(cm.reloadNow) }

func (cm *configManager) reloadNow() error {
	// MIB files may have changed too; rules are checked against the new
	// names. A MIB load that fails as a whole keeps the names in use, so
	// labels do not fall back to numeric OIDs.
	table := cm.table
	if cm.mibs != nil && len(cm.mibs.Dirs()) > 0 {
		if t, err := cm.mibs.Load(context.Background()); err == nil {
			table = t
		} else {
			level.Error(cm.logger).Log("msg", "MIB reload failed; keeping the MIB names in use", "err", err)
		}
	}
	fail := func(err error) error {
		cm.lastOK.Set(0)
		level.Error(cm.logger).Log("msg", "configuration reload failed; keeping the running configuration", "err", err)
		return err
	}
	l, err := cm.read(table, cm.proc.Settings().Security)
	if err != nil {
		return fail(err)
	}
	if err := cm.store.SetFamilies(l.rules.Families()); err != nil {
		return fail(err)
	}
	c := l.cfg
	if old := cm.current.Load(); old != nil && old.EngineID != c.EngineID {
		level.Warn(cm.logger).Log("msg", "engine_id changed: it takes effect at the next start")
	}
	// One swap: no message is admitted under the new security and ruled
	// or named under the old.
	cm.table = table
	cm.proc.Apply(pipeline.Settings{Security: l.sec, Inventory: l.inv, Rules: l.rules, Names: table})
	if cm.derived != nil {
		cm.derived.SetDevices(l.inv.Table())
	}
	cm.current.Store(c)
	cm.lastOK.Set(1)
	cm.lastSuccess.SetToCurrentTime()
	level.Info(cm.logger).Log("msg", "configuration reloaded", "file", cm.path,
		"users", len(c.Auth.Users), "communities", len(c.Auth.Communities), "sources", len(c.Auth.Sources),
		"devices", len(c.Devices), "relays", len(c.Relays), "rules", len(c.Rules))
	return nil
}

func (cm *configManager) serveReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "use POST or PUT to reload", http.StatusMethodNotAllowed)
		return
	}
	if err := cm.reload(); err != nil {
		http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded")
}

// serveConfig shows the running configuration with every secret replaced.
func (cm *configManager) serveConfig(w http.ResponseWriter, _ *http.Request) {
	b, err := cm.current.Load().Redacted()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(bytes.TrimSpace(b))
	w.Write([]byte("\n"))
}

func (cm *configManager) collectors() []prometheus.Collector {
	return []prometheus.Collector{cm.lastOK, cm.lastSuccess}
}

// coalescer runs a function one call at a time. A call made while it runs
// does not queue a run of its own: every call made during one run shares
// the result of the single run that starts when that one ends.
type coalescer struct {
	mu      sync.Mutex
	running bool
	next    *pendingRun // the run that callers are waiting for, if any
}

type pendingRun struct {
	callers int
	done    chan struct{}
	err     error
}

func (c *coalescer) do(f func() error) error {
	c.mu.Lock()
	if c.running {
		if c.next == nil {
			c.next = &pendingRun{done: make(chan struct{})}
		}
		n := c.next
		n.callers++
		c.mu.Unlock()
		<-n.done
		return n.err
	}
	c.running = true
	c.mu.Unlock()
	err := f()
	c.finished(f)
	return err
}

// finished starts the pending run, if callers wait for one, or marks the
// coalescer idle. The caller whose run just ended returns at once.
func (c *coalescer) finished(f func() error) {
	c.mu.Lock()
	n := c.next
	c.next = nil
	if n == nil {
		c.running = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	go func() {
		n.err = f()
		close(n.done)
		c.finished(f)
	}()
}

// pendingCallers returns how many calls wait for the next run.
func (c *coalescer) pendingCallers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == nil {
		return 0
	}
	return c.next.callers
}
