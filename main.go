// Command snmptrap_exporter receives SNMP traps and informs and exports them
// as Prometheus metrics.
//
// main parses the flags, builds the exporter and runs it; the exporter is
// the wiring of DESIGN.md's data flow: listeners → pipeline (decode, admit,
// name, rules) → store → collector, with the configuration manager, the
// MIB manager and the snapshotter beside it.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/forward"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/logging"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/persist"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/reload"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/trapsweb"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/pipeline"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

const program = collector.Program

// expiryInterval is how often the store removes series past their TTL
// (--trap.series-ttl, a rule's ttl): TTLs are minutes to days, and a pass
// over 100,000 series takes about a millisecond under the read lock.
const expiryInterval = 10 * time.Second

// versionFile is the release version, used when the build did not set one
// with -ldflags (as `go run .` and `go build` do not); the revision comes
// from the build's VCS information either way.
//
//go:embed VERSION
var versionFile string

func main() {
	os.Exit(run(os.Args[1:]))
}

// run parses args and does what they ask; it returns the exit code: 0, 1
// when the exporter cannot start or fails, 2 for a bad command line.
func run(args []string) int {
	if version.Version == "" {
		version.Version = strings.TrimSpace(versionFile)
	}
	app := kingpin.New(program, "Receives SNMP traps and informs and exports them as Prometheus metrics.")
	f := addFlags(app)
	app.Command("serve", "Run the exporter (the default).").Default()
	translateCmd := app.Command("translate", "Print what OIDs resolve to, with the built-in MIBs and --mib.dir, and exit.")
	translateOIDs := translateCmd.Arg("oid", "Dotted OIDs.").Required().Strings()
	mibLoadCmd := app.Command(loader.Command, "Parse MIB directories and print them as JSON (used by the exporter itself).").Hidden()
	mibLoadDirs := mibLoadCmd.Flag(loader.DirFlag, "").Strings()
	mibLoadSkip := mibLoadCmd.Flag(loader.SkipFlag, "").Strings()
	app.Version(version.Print(program))
	app.HelpFlag.Short('h')
	command, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		return 2
	}
	if command == mibLoadCmd.FullCommand() {
		return loader.Main(*mibLoadDirs, *mibLoadSkip, mib.Files, os.Stdout, os.Stderr)
	}

	logger, slogger := logging.New(f.logLevel, f.logFormat, os.Stderr)
	mibs := loader.NewManager(f.mibDirs, f.mibTimeout, logger)
	mibs.UseVendor(f.mibVendor)
	switch {
	case command == translateCmd.FullCommand():
		table, _ := mibs.Load(context.Background()) // the built-in names at least
		return mib.Translate(os.Stdout, table, *translateOIDs)
	case f.configCheck:
		// Rules are checked against the MIB names, --mib.dir included.
		table, _ := mibs.Load(context.Background())
		if _, err := reload.Read(f.configFile, table, collector.Reserved(), nil); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
			return 1
		}
		fmt.Printf("%s: configuration %q is valid\n", program, f.configFile)
		return 0
	}
	if err := f.validate(); err != nil {
		level.Error(logger).Log("msg", "invalid command line", "err", err)
		return 2
	}

	// Catch the signals from the start: SIGINT or SIGTERM during start-up
	// stops the exporter cleanly once it is up (during the restore of the
	// snapshot, which can take seconds, at once), and SIGHUP (whose default
	// action ends the process) asks for a reload that is served then.
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	level.Info(logger).Log("msg", "starting "+program, "version", version.Info())
	level.Info(logger).Log("msg", "build context", "build_context", version.BuildContext())
	e, err := newExporter(ctx, f, mibs, logger, slogger)
	switch {
	case errors.Is(err, errStopped):
		return 0 // SIGINT or SIGTERM during the restore, logged
	case err != nil:
		level.Error(logger).Log("msg", "cannot start", "err", err)
		return 1
	}
	return e.run(ctx, cancel, hup)
}

// errStopped is newExporter's error when a SIGINT or SIGTERM came during
// the restore: a stop that was asked for, without the final snapshot.
var errStopped = errors.New("stopped during the restore")

// exporter is the running exporter.
type exporter struct {
	logger    log.Logger
	store     *metrics.Store
	history   *traps.History
	trapLog   *traplog.Outputs // nil: none
	forward   *forward.Manager
	listeners []receiver.Listener
	snap      *persist.Snapshotter
	config    *reload.Manager
	srv       *http.Server
	web       *web.FlagConfig
	slogger   *slog.Logger
	ready     atomic.Bool
}

// newExporter builds the exporter of the flags, in the order of the data
// flow, and binds its sockets; nothing is read or served before run.
func newExporter(ctx context.Context, f *flags, mibs *loader.Manager, logger log.Logger, slogger *slog.Logger) (*exporter, error) {
	// Names come first: rules are checked against them, and the listeners
	// and /metrics start only once the MIBs are loaded (or their time
	// bound has passed).
	// The first load builds tables of some 40,000 definitions that stay
	// live: collecting garbage while they grow from nothing is wasted
	// work (about a fifth of the start-up). The previous setting, GOGC's
	// included, comes back once the configuration is compiled.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	names, err := mibs.Load(context.Background())
	if err != nil {
		level.Warn(logger).Log("msg", "going on with the built-in MIB names only")
	}
	reserved := collector.Reserved()
	cfg, err := reload.Read(f.configFile, names, reserved, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot load configuration: %w", err)
	}
	persist.RemoveStaleTemp(f.storagePath, logger) // before the engine file is written
	var engineID []byte
	if cfg.Config.EngineID != "" {
		engineID, _ = config.ParseEngineID(cfg.Config.EngineID) // validated when loaded
	}
	eng, engineResult, err := engine.Start(f.storagePath, engineID, logger)
	if err != nil {
		return nil, fmt.Errorf("cannot start the SNMP engine: %w", err)
	}

	store := metrics.NewStore(f.maxSeries, time.Duration(f.seriesTTL), nil)
	store.SetLimits(f.limits())
	if err := store.SetFamilies(cfg.Rules.Families()); err != nil {
		return nil, fmt.Errorf("cannot set up the rules' metrics: %w", err)
	}
	packets := metrics.NewPackets()
	var proc *pipeline.Processor
	hopts := f.history
	hopts.Names = func() traps.Names { n, _ := proc.Settings().Names.(traps.Names); return n }
	history := traps.New(hopts)
	// The trap log outputs wait while a UDP read finds more datagrams
	// waiting than it takes: receiving comes first.
	backlog := &receiver.Backlog{}
	logOpts := f.trapLog
	logOpts.Logger = logger
	logOpts.Busy = func() bool { return backlog.Within(time.Now(), backlogWindow) }
	trapLog, err := traplog.New(history, logOpts)
	if err != nil {
		return nil, err
	}
	// The forward: destinations start now; until the listeners do, their
	// queues stay empty.
	fwd := forward.NewManager(forward.Options{Logger: logger})
	proc = pipeline.New(store, packets, pipeline.Options{Logger: logger, Debug: f.logLevel == "debug", Engine: eng,
		Security: cfg.Security, Inventory: cfg.Inventory, Rules: cfg.Rules, Names: names, History: history,
		Forward: fwd.Apply(cfg.Forward)})

	e := &exporter{logger: logger, store: store, history: history, trapLog: trapLog, forward: fwd, web: f.web, slogger: slogger}
	// Bind every socket before serving anything, so that a port in use or
	// a missing privilege stops the start with one clear line.
	opts := f.receiver
	opts.Backlog = backlog
	opts.Logger = logger
	for _, addr := range f.listen {
		l, err := receiver.Listen(addr, proc, opts)
		if err != nil {
			e.closeListeners()
			return nil, err
		}
		level.Info(logger).Log("msg", "listening for traps", "listener", addr, "address", l.Addr())
		e.listeners = append(e.listeners, l)
		// Export the listener's packet counters from the start, so that
		// rate() and increase() see its first message.
		packets.Listener(addr)
	}
	// After the rule families are set on the store (a restored series of
	// any other family is left out), before traps are read and /metrics
	// is served.
	e.snap = persist.New(store, proc, f.storagePath, f.snapshotInterval, logger)
	if err := e.snap.Restore(ctx); err != nil {
		e.closeListeners()
		return nil, errStopped
	}

	derived := collector.NewDerivedCollector(store)
	derived.SetDevices(cfg.Inventory.Table())
	e.config = reload.New(reload.Options{Path: f.configFile, Logger: logger, Reserved: reserved, MIBs: mibs, Table: names,
		Loaded: cfg, Store: store, Processor: proc, Devices: derived, Forward: fwd, Reopen: trapLog.Reopen})
	reg := collector.NewRegistry(collector.Parts{
		Store: store, Packets: packets, Listeners: e.listenerStats, Derived: derived,
		Engine: eng, EngineResult: engineResult,
		Config: e.config.Stats, MIBs: mibs.Stats, Storage: e.snap.Stats, TrapLog: trapLog.Stats, Forward: fwd.Stats,
	})
	metricsHandler := collector.NewHandler(reg, store, collector.HandlerOpts{
		ErrorLog:            promhttpLogger{logger},
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: f.maxRequests,
		WriteTimeout:        f.writeTimeout,
	})
	handler, err := routes(metricsHandler, f.metricsPath, &e.ready, e.config, history,
		landingMIBs{Stats: mibs.Stats, Vendor: f.mibVendor, Dirs: f.mibDirs})
	if err != nil {
		e.closeListeners()
		return nil, fmt.Errorf("cannot build web routes: %w", err)
	}
	// Slow or idle clients cannot hold the server: a request must arrive
	// whole within ReadTimeout, and a kept-alive connection closes after
	// IdleTimeout. /metrics has its own write timeout (--web.write-timeout).
	e.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	return e, nil
}

// closeListeners undoes a start that failed: the listeners close and the
// forward: senders stop.
func (e *exporter) closeListeners() {
	e.forward.Stop()
	for _, l := range e.listeners {
		l.Close()
	}
}

func (e *exporter) listenerStats() []receiver.Stats {
	out := make([]receiver.Stats, 0, len(e.listeners))
	for _, l := range e.listeners {
		out = append(out, l.Stats())
	}
	return out
}

// run serves until ctx ends or a listener or the web server fails, then
// stops in order: the listeners (nothing counts after them), the final
// snapshot, the trap log outputs (which write what the listeners left),
// the web server. It returns the exit code.
func (e *exporter) run(ctx context.Context, cancel context.CancelFunc, hup <-chan os.Signal) int {
	go func() {
		for {
			select {
			case <-hup:
				e.config.Reload()
			case <-ctx.Done():
				return
			}
		}
	}()
	httpErr := make(chan error, 1)
	go func() {
		httpErr <- web.ListenAndServe(e.srv, e.web, e.slogger)
	}()
	var wg sync.WaitGroup
	serveErr := make(chan error, len(e.listeners))
	for _, l := range e.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Serve(ctx); err != nil {
				serveErr <- err
			}
		}()
	}
	go e.snap.Run(ctx)
	go e.store.ExpireEvery(ctx, expiryInterval)
	go e.history.Run(ctx)
	// The trap log outputs outlive ctx: they stop after the listeners.
	logCtx, stopLog := context.WithCancel(context.Background())
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		e.trapLog.Run(logCtx)
	}()
	e.ready.Store(true)

	code := 0
	select {
	case <-ctx.Done():
		level.Info(e.logger).Log("msg", "shutting down")
	case err := <-httpErr:
		level.Error(e.logger).Log("msg", "web server failed", "err", err)
		code = 1
	case err := <-serveErr:
		level.Error(e.logger).Log("msg", "trap listener failed", "err", err)
		code = 1
	}
	e.ready.Store(false)
	cancel()
	wg.Wait()
	e.snap.Final() // the listeners have stopped: nothing counts after it
	// Bounded: each destination sends what it holds for up to
	// forward.DefaultDrainTimeout, all at once, and drops the rest.
	e.forward.Stop()
	stopLog()
	<-logDone // bounded: the file is written, OTLP has traplog.DefaultOTLPFinalTimeout
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := e.srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Warn(e.logger).Log("msg", "web server shutdown", "err", err)
	}
	return code
}

// routes serves metrics (the handler of collector.NewHandler) on metricsPath
// beside the reload, config, health and landing pages, and the recent traps
// of history (the /traps page and the JSON API); the landing page counts
// the MIB names of mibs.
func routes(metrics http.Handler, metricsPath string, ready *atomic.Bool, cm *reload.Manager, history *traps.History, mibs landingMIBs) (http.Handler, error) {
	mux := http.NewServeMux()
	trapsweb.Register(mux, history)
	mux.HandleFunc("/-/reload", cm.ServeReload)
	mux.HandleFunc("/config", cm.ServeConfig)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "Not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	if err := handleTelemetry(mux, metricsPath, metrics); err != nil {
		return nil, err
	}
	if metricsPath != "/" {
		landing, err := landingPage(metricsPath, mibs)
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}

// handleTelemetry registers the metrics handler under the path the user
// chose. ServeMux panics on a pattern it cannot parse ("metrics") or one
// already taken ("/config", "/traps"); that becomes a start error naming the
// flag instead.
func handleTelemetry(mux *http.ServeMux, path string, h http.Handler) (err error) {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t{}") {
		return fmt.Errorf("--web.telemetry-path %q must be a plain path starting with /", path)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("--web.telemetry-path %q cannot be used: the exporter serves another page there (%v)", path, r)
		}
	}()
	mux.Handle(path, h)
	return nil
}

// backlogWindow is how long after a full UDP read the receive path counts
// as behind.
const backlogWindow = 10 * time.Millisecond

type promhttpLogger struct{ logger log.Logger }

func (l promhttpLogger) Println(v ...any) {
	level.Error(l.logger).Log("msg", fmt.Sprint(v...))
}
