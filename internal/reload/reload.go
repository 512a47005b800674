// Package reload owns the running configuration: it reads and compiles
// it at start (and for --config.check), swaps in a new one on SIGHUP or
// POST /-/reload (one path for both), keeps the old one when the new one is
// bad, and shows it, secrets redacted, on /config. Its state is plain
// values (Stats); the collector makes them metrics.
package reload

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/inventory"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/pipeline"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
)

// Loaded is a configuration file compiled for use.
type Loaded struct {
	Config    *config.Config
	Security  *pipeline.Security
	Inventory *pipeline.Inventory
	Rules     *rules.Set
	// Forward is the compiled forward: section.
	Forward *forward.Plan
}

// Read loads and compiles the file at path, its rules checked against
// table and its metric names against reserved (the exporter's own; nil
// checks none); with no path it is the empty configuration: v1/v2c from
// anyone, no SNMPv3 users, the built-in rules. Users unchanged from prev
// (the security in use, nil at start) are taken over without hashing their
// passwords again.
func Read(path string, table *mib.Table, reserved func(string) bool, prev *pipeline.Security) (*Loaded, error) {
	c := &config.Config{}
	if path != "" {
		var err error
		if c, err = config.Load(path); err != nil {
			return nil, err
		}
	}
	sec, err := pipeline.NewSecurityFrom(c, prev)
	if err != nil {
		return nil, err
	}
	if reserved != nil {
		if err := c.CheckMetrics(reserved); err != nil {
			if path != "" {
				err = fmt.Errorf("%s: %w", path, err)
			}
			return nil, err
		}
	}
	rs, err := rules.Compile(c.Rules, c.BuiltinRules, table)
	if err != nil {
		if path != "" {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	fw, err := forward.Compile(c.Forward, table)
	if err != nil {
		if path != "" {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return &Loaded{Config: c, Security: sec, Inventory: pipeline.NewInventory(c), Rules: rs, Forward: fw}, nil
}

// DeviceSink gets the inventory's device table at every reload (the
// collector, for snmptrap_device_info).
type DeviceSink interface {
	SetDevices(*inventory.Table)
}

// Options are a Manager's dependencies.
type Options struct {
	// Path is the configuration file ("" for none).
	Path   string
	Logger log.Logger
	// Reserved reports whether a metric name is one of the exporter's own,
	// which rules may not define.
	Reserved func(metric string) bool
	// MIBs reloads --mib.dir at every reload; Table is the MIB table in
	// use, which the rules were checked against.
	MIBs  *loader.Manager
	Table *mib.Table
	// Loaded is the configuration in use, read at start.
	Loaded *Loaded
	// Store, Processor and Devices get the new configuration's families,
	// settings and device table.
	Store     *metrics.Store
	Processor *pipeline.Processor
	Devices   DeviceSink
	// Forward runs the forward: destinations; nil: the configuration's
	// are not started.
	Forward *forward.Manager
	// Reopen is called at every reload, before the file is read and
	// whatever comes of it (the trap log reopens its file, for
	// logrotate); nil: nothing. It must not block.
	Reopen func()
}

// Manager owns the running configuration.
type Manager struct {
	path     string
	logger   log.Logger
	reserved func(string) bool
	mibs     *loader.Manager
	store    *metrics.Store
	proc     *pipeline.Processor
	devices  DeviceSink
	forward  *forward.Manager
	reopen   func()
	table    *mib.Table // the MIB table in use, which rules are checked against

	reloads coalescer // one reload at a time; requests during one share the next
	current atomic.Pointer[config.Config]

	lastOK      atomic.Bool
	lastSuccess atomic.Int64 // Unix nanoseconds
}

// New returns the manager of the configuration o.Loaded, which was read at
// start and is in use: the last load succeeded then.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	m := &Manager{path: o.Path, logger: o.Logger, reserved: o.Reserved, mibs: o.MIBs, store: o.Store,
		proc: o.Processor, devices: o.Devices, forward: o.Forward, reopen: o.Reopen, table: o.Table}
	m.current.Store(o.Loaded.Config)
	m.succeeded()
	return m
}

func (cm *Manager) succeeded() {
	cm.lastOK.Store(true)
	cm.lastSuccess.Store(time.Now().UnixNano())
}

// Stats returns whether the last load or reload succeeded and when one
// last did.
func (cm *Manager) Stats() (ok bool, lastSuccess time.Time) {
	return cm.lastOK.Load(), time.Unix(0, cm.lastSuccess.Load())
}

// Reload swaps in the file's new contents, or keeps the running
// configuration and says why. A request made while a reload runs waits for
// the next reload, which starts when that one ends and answers every
// request made in the meantime: a burst of requests costs two reloads, not
// one each.
func (cm *Manager) Reload() error { return cm.reloads.do(cm.reloadNow) }

func (cm *Manager) reloadNow() error {
	if cm.reopen != nil {
		cm.reopen()
	}
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
		cm.lastOK.Store(false)
		level.Error(cm.logger).Log("msg", "configuration reload failed; keeping the running configuration", "err", err)
		return err
	}
	l, err := Read(cm.path, table, cm.reserved, cm.proc.Settings().Security)
	if err != nil {
		return fail(err)
	}
	if err := cm.store.SetFamilies(l.Rules.Families()); err != nil {
		return fail(err)
	}
	c := l.Config
	if old := cm.current.Load(); old != nil && old.EngineID != c.EngineID {
		level.Warn(cm.logger).Log("msg", "engine_id changed: it takes effect at the next start")
	}
	// One swap: no message is admitted under the new security and ruled
	// or named under the old.
	cm.table = table
	var fw *forward.Set
	if cm.forward != nil {
		fw = cm.forward.Apply(l.Forward)
	}
	cm.proc.Apply(pipeline.Settings{Security: l.Security, Inventory: l.Inventory, Rules: l.Rules, Names: table, Forward: fw})
	if cm.devices != nil {
		cm.devices.SetDevices(l.Inventory.Table())
	}
	cm.current.Store(c)
	cm.succeeded()
	level.Info(cm.logger).Log("msg", "configuration reloaded", "file", cm.path,
		"users", len(c.Auth.Users), "communities", len(c.Auth.Communities), "sources", len(c.Auth.Sources),
		"devices", len(c.Devices), "relays", len(c.Relays), "rules", len(c.Rules), "forward", len(c.Forward))
	return nil
}

// ServeReload is POST (or PUT) /-/reload.
func (cm *Manager) ServeReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "use POST or PUT to reload", http.StatusMethodNotAllowed)
		return
	}
	if err := cm.Reload(); err != nil {
		http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded")
}

// ServeConfig shows the running configuration with every secret replaced.
func (cm *Manager) ServeConfig(w http.ResponseWriter, _ *http.Request) {
	b, err := cm.current.Load().Redacted()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(bytes.TrimSpace(b))
	w.Write([]byte("\n"))
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
