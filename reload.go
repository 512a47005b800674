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

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/pipeline"
)

// configManager owns the running configuration: it loads it, swaps in a
// new one on SIGHUP or POST /-/reload (one path for both), keeps the old one
// when the new one is bad, and shows it, secrets redacted, on /config.
type configManager struct {
	path   string
	proc   *pipeline.Processor
	mibs   *mibManager
	logger log.Logger

	mu      sync.Mutex // one reload at a time
	current atomic.Pointer[config.Config]

	lastOK      prometheus.Gauge
	lastSuccess prometheus.Gauge
}

func newConfigManager(path string, logger log.Logger) *configManager {
	return &configManager{
		path:   path,
		logger: logger,
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

// read loads and compiles the file; with no --config.file it is the empty
// configuration: v1/v2c from anyone, no SNMPv3 users.
func (cm *configManager) read() (*config.Config, *pipeline.Security, error) {
	c := &config.Config{}
	if cm.path != "" {
		var err error
		if c, err = config.Load(cm.path); err != nil {
			return nil, nil, err
		}
	}
	sec, err := pipeline.NewSecurity(c)
	if err != nil {
		return nil, nil, err
	}
	return c, sec, nil
}

// load is the first load, at start; a bad file stops the start.
func (cm *configManager) load() (*config.Config, *pipeline.Security, error) {
	c, sec, err := cm.read()
	if err != nil {
		cm.lastOK.Set(0)
		return nil, nil, err
	}
	cm.current.Store(c)
	cm.lastOK.Set(1)
	cm.lastSuccess.SetToCurrentTime()
	return c, sec, nil
}

// reload swaps in the file's new contents, or keeps the running
// configuration and says why.
func (cm *configManager) reload() error {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	c, sec, err := cm.read()
	if err != nil {
		cm.lastOK.Set(0)
		level.Error(cm.logger).Log("msg", "configuration reload failed; keeping the running configuration", "err", err)
		return err
	}
	if old := cm.current.Load(); old != nil && old.EngineID != c.EngineID {
		level.Warn(cm.logger).Log("msg", "engine_id changed: it takes effect at the next start")
	}
	cm.proc.SetSecurity(sec)
	cm.proc.SetInventory(pipeline.NewInventory(c))
	cm.current.Store(c)
	// MIB files may have changed too. A load that fails as a whole keeps
	// the names in use, so labels do not fall back to numeric OIDs.
	if cm.mibs != nil && len(cm.mibs.dirs) > 0 {
		if names, err := cm.mibs.load(context.Background()); err == nil {
			cm.proc.SetNames(names)
		} else {
			level.Error(cm.logger).Log("msg", "MIB reload failed; keeping the MIB names in use", "err", err)
		}
	}
	cm.lastOK.Set(1)
	cm.lastSuccess.SetToCurrentTime()
	level.Info(cm.logger).Log("msg", "configuration reloaded", "file", cm.path,
		"users", len(c.Auth.Users), "communities", len(c.Auth.Communities), "sources", len(c.Auth.Sources),
		"devices", len(c.Devices), "relays", len(c.Relays))
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
