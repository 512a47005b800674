package loader

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// Manager loads the operator's MIB directories (--mib.dir) in a child
// process under a deadline and merges them over the built-in table, at
// start and on every reload.
type Manager struct {
	dirs    []string
	timeout time.Duration
	logger  log.Logger

	vendor  bool                      // the vendor table below the built-in one
	table   atomic.Pointer[mib.Table] // the table last loaded, for BySource
	countMu sync.Mutex
	counted *mib.Table        // the table counts are of
	counts  map[string][2]int // per source: modules, notifications
	modules atomic.Int64      // MIB modules in the table last loaded
	errors  atomic.Uint64     // files that failed, and failed loads of a whole set
}

// Stats are the manager's gauge and counter, for metrics.
type Stats struct {
	// ModulesLoaded is the number of MIB modules in the table in use: the
	// built-in ones plus those loaded from --mib.dir.
	ModulesLoaded int
	// LoadErrors counts MIB files that could not be loaded, and failed
	// loads of a whole set.
	LoadErrors uint64
	// BySource is, for each source of definitions in the table in use
	// (mib.SourceBuiltin, mib.SourceVendor, mib.SourceMIBDir), the modules
	// and the notifications it contributed: what the sources below it
	// define at the same OIDs is not counted.
	BySource map[string]SourceCount
}

// SourceCount is what one source contributed to the table in use.
type SourceCount struct{ Modules, Notifications int }

// Stats returns the manager's counts.
func (mm *Manager) Stats() Stats {
	s := Stats{ModulesLoaded: int(mm.modules.Load()), LoadErrors: mm.errors.Load(), BySource: map[string]SourceCount{}}
	// Counted on the first scrape after a load, not at start: 40,000
	// definitions take about 10 ms.
	mm.countMu.Lock()
	defer mm.countMu.Unlock()
	if t := mm.table.Load(); t != nil && t != mm.counted {
		mm.counts, mm.counted = count(t), t
	}
	for k, v := range mm.counts {
		s.BySource[k] = SourceCount{Modules: v[0], Notifications: v[1]}
	}
	return s
}

// UseVendor puts the compiled vendor table (mib.Vendor) below the
// built-in one in every table Load returns; call it before the first Load.
func (mm *Manager) UseVendor(on bool) { mm.vendor = on }

// base is the built-in table, over the vendor table when that is on.
func (mm *Manager) base() *mib.Table {
	if !mm.vendor {
		return mib.Builtin()
	}
	return vendorBase()
}

var vendorBase = sync.OnceValue(func() *mib.Table {
	t, err := mib.VendorUnder(mib.Builtin())
	if err != nil {
		return mib.Builtin() // the test of the embedded table catches this
	}
	return t
})

// count returns what each source contributed to t: modules and
// notifications.
func count(t *mib.Table) map[string][2]int {
	mods := map[string]map[string]bool{}
	c := map[string][2]int{}
	note := func(source, module string) {
		if mods[source] == nil {
			mods[source] = map[string]bool{}
		}
		mods[source][module] = true
	}
	for _, n := range t.Notifications {
		x := c[n.Source]
		x[1]++
		c[n.Source] = x
		note(n.Source, n.Module)
	}
	for _, o := range t.Objects {
		note(o.Source, o.Module)
	}
	for src, m := range mods {
		x := c[src]
		x[0] = len(m)
		c[src] = x
	}
	return c
}

// Dirs returns the directories the manager loads.
func (mm *Manager) Dirs() []string { return mm.dirs }

// NewManager returns the manager of the MIB directories dirs.
func NewManager(dirs []string, timeout time.Duration, logger log.Logger) *Manager {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	return &Manager{dirs: dirs, timeout: timeout, logger: logger}
}

// Load returns the built-in table with the operator's MIBs merged over it.
// Whatever goes wrong, the table is usable: a file that fails is skipped
// and reported; when the whole load fails or overruns, the table holds the
// built-in names only and err says why (a reload then keeps the names it
// had).
func (mm *Manager) Load(ctx context.Context) (table *mib.Table, err error) {
	table = mm.base()
	defer func() { mm.table.Store(table) }()
	if len(mm.dirs) == 0 {
		mm.modules.Store(int64(len(table.Modules)))
		return table, nil
	}
	start := time.Now()
	self, err := os.Executable()
	if err == nil {
		var ops *mib.Table
		var ferrs []FileError
		ops, ferrs, err = Load(ctx, self, mm.dirs, mm.timeout)
		failed := map[string]bool{}
		for _, fe := range ferrs {
			if fe.Skipped {
				level.Debug(mm.logger).Log("msg", "MIB file skipped", "file", fe.File, "reason", fe.Message)
				continue
			}
			if !failed[fe.File] {
				failed[fe.File] = true
				mm.errors.Add(1)
			}
			level.Warn(mm.logger).Log("msg", "problem in MIB file", "file", fe.File, "line", fe.Line, "column", fe.Column,
				"module", fe.Module, "err", fe.Message)
		}
		if err == nil {
			table = table.Merge(ops)
			level.Info(mm.logger).Log("msg", "loaded MIB directories", "dirs", strings.Join(mm.dirs, ","),
				"modules", len(ops.Modules), "notifications", len(ops.Notifications), "objects", len(ops.Objects),
				"took", time.Since(start).Round(time.Millisecond))
		}
	}
	if err != nil {
		mm.errors.Add(1)
		level.Error(mm.logger).Log("msg", "cannot load MIB directories", "dirs", strings.Join(mm.dirs, ","), "err", err)
		return table, err
	}
	mm.modules.Store(int64(len(table.Modules)))
	return table, nil
}
