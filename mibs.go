package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// mibManager loads the operator's MIB directories (--mib.dir) in a child
// process under a deadline and merges them over the built-in table.
type mibManager struct {
	dirs    []string
	timeout time.Duration
	logger  log.Logger

	modules prometheus.Gauge
	errors  prometheus.Counter
}

func newMIBManager(dirs []string, timeout time.Duration, logger log.Logger) *mibManager {
	return &mibManager{
		dirs:    dirs,
		timeout: timeout,
		logger:  logger,
		modules: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "snmptrap_mib_modules_loaded",
			Help: "MIB modules in the translation table: the built-in ones plus those loaded from --mib.dir.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "snmptrap_mib_load_errors_total",
			Help: "MIB files from --mib.dir that could not be loaded (each problem logged at warning with its file and line), and failed loads of a whole set.",
		}),
	}
}

func (mm *mibManager) collectors() []prometheus.Collector {
	return []prometheus.Collector{mm.modules, mm.errors}
}

// load returns the built-in table with the operator's MIBs merged over it.
// Whatever goes wrong, the table is usable: a file that fails is skipped
// and reported; when the whole load fails or overruns, the table holds the
// built-in names only and err says why (a reload then keeps the names it
// had).
func (mm *mibManager) load(ctx context.Context) (table *mib.Table, err error) {
	table = mib.Builtin()
	if len(mm.dirs) == 0 {
		mm.modules.Set(float64(len(table.Modules)))
		return table, nil
	}
	start := time.Now()
	self, err := os.Executable()
	if err == nil {
		var ops *mib.Table
		var ferrs []loader.FileError
		ops, ferrs, err = loader.Load(ctx, self, mm.dirs, mm.timeout)
		failed := map[string]bool{}
		for _, fe := range ferrs {
			if fe.Skipped {
				level.Debug(mm.logger).Log("msg", "MIB file skipped", "file", fe.File, "reason", fe.Message)
				continue
			}
			if !failed[fe.File] {
				failed[fe.File] = true
				mm.errors.Inc()
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
		mm.errors.Inc()
		level.Error(mm.logger).Log("msg", "cannot load MIB directories", "dirs", strings.Join(mm.dirs, ","), "err", err)
		return table, err
	}
	mm.modules.Set(float64(len(table.Modules)))
	return table, nil
}

// translate prints what each OID resolves to, for operators debugging a MIB.
func translate(w io.Writer, table *mib.Table, oids []string) int {
	code := 0
	for _, s := range oids {
		s = strings.TrimPrefix(s, ".")
		content, err := snmp.ParseOID(s)
		if err != nil {
			fmt.Fprintf(w, "%s: %v\n", s, err)
			code = 1
			continue
		}
		dotted, _ := snmp.AppendOID(nil, content)
		if n, ok := table.Notification(dotted); ok {
			name, _ := table.NotificationName(dotted)
			fmt.Fprintf(w, "%s = %s (notification", dotted, name)
			if n.OID != string(dotted) {
				fmt.Fprintf(w, ", defined at %s", n.OID)
			}
			fmt.Fprintln(w, ")")
			for _, o := range n.Objects {
				if obj, _, ok := table.Object([]byte(o)); ok {
					fmt.Fprintf(w, "    %s::%s (%s) %s%s\n", obj.Module, obj.Name, o, obj.Syntax, enums(obj))
				} else {
					fmt.Fprintf(w, "    %s\n", o)
				}
			}
			continue
		}
		if obj, index, ok := table.Object(dotted); ok && (index == "" || obj.HasInstances()) {
			name := obj.Module + "::" + obj.Name
			if index != "" {
				name += "." + index
			}
			fmt.Fprintf(w, "%s = %s (%s%s)\n", dotted, name, obj.Syntax, enums(obj))
			continue
		}
		if obj, _, ok := table.Object(dotted); ok {
			fmt.Fprintf(w, "%s: not in any loaded MIB (below %s::%s)\n", dotted, obj.Module, obj.Name)
		} else {
			fmt.Fprintf(w, "%s: not in any loaded MIB\n", dotted)
		}
		code = 1
	}
	return code
}

func enums(o *mib.Object) string {
	if len(o.Enums) == 0 {
		return ""
	}
	values := slices.Sorted(maps.Keys(o.Enums))
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%s(%d)", o.Enums[v], v)
	}
	return " {" + strings.Join(parts, ", ") + "}"
}
