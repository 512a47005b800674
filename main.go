// Command snmptrap_exporter receives SNMP traps and informs and exports them
// as Prometheus metrics.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/snmptrap-exporter/snmptrap_exporter/collector"
	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/engine"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/logging"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/persist"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/loader"
	"github.com/snmptrap-exporter/snmptrap_exporter/pipeline"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

const program = "snmptrap_exporter"

// maxBatchSize bounds --trap.read-batch-size: every slot holds a 64 KiB
// buffer per UDP listener.
const maxBatchSize = 1024

// maxUDPSockets bounds --trap.udp.sockets (each socket has batch buffers).
const maxUDPSockets = 256

// expiryInterval is how often the store removes series past their TTL
// (--trap.series-ttl, a rule's ttl): TTLs are minutes to days, and a pass
// over 100,000 series takes about a millisecond under the read lock.
const expiryInterval = 10 * time.Second

// minMessageSize is the floor of --trap.max-message-size: every SNMP engine
// must accept messages of 484 octets (RFC 3417 §3.1, and RFC 3412's lower
// bound on msgMaxSize); a smaller limit would close connections carrying
// ordinary traps. The ceiling is receiver.MaxMessageSizeLimit (1 MiB): a
// TCP connection may hold a buffer that large, so the flag bounds memory.
const minMessageSize = 484

// versionFile is the release version, used when the build did not set one
// with -ldflags (as `go run .` and `go build` do not); the revision comes
// from the build's VCS information either way.
//
//go:embed VERSION
var versionFile string

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if version.Version == "" {
		version.Version = strings.TrimSpace(versionFile)
	}
	app := kingpin.New(program, "Receives SNMP traps and informs and exports them as Prometheus metrics.")
	var (
		webConfig     = kingpinflag.AddFlags(app, ":9412")
		metricsPath   = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		listen        = app.Flag("trap.listen-address", "Address to receive traps on, as udp://host:port or tcp://host:port (IPv6 hosts in brackets). Repeatable; giving it replaces the defaults.").Default("udp://:162", "udp://:412", "tcp://:412").Strings()
		maxSeries     = app.Flag("trap.max-series", "Maximum number of series kept (device × trap counters and rule-derived series together); traps beyond it are counted under device=\"_other\", trap=\"_other\". 0 means no limit.").Default("100000").Int()
		maxPerDevice  = app.Flag("trap.max-series-per-device", "Maximum number of series one device may have; 0 means no limit.").Default("10000").Int()
		newPerSource  = app.Flag("trap.new-series-per-source", "New series one source address may make per minute (a burst of as many is allowed); 0 means no limit.").Default("6000").Int()
		maxBytes      = app.Flag("trap.max-series-bytes", "Maximum bytes of the label values of all series together (devices, trap names, rule labels); a new series beyond it is refused like one beyond --trap.max-series. 0 means no limit.").Default("16MiB").Bytes()
		maxRequests   = app.Flag("web.max-requests", "Maximum number of scrapes of the metrics path served at once; more are answered 503. 0 means no limit.").Default("40").Int()
		writeTimeout  = app.Flag("web.write-timeout", "End a scrape whose answer cannot be written within this time (a client that does not read).").Default("1m").Duration()
		seriesTTL     = model.Duration(7 * 24 * time.Hour)
		maxMessage    = app.Flag("trap.max-message-size", "Largest TCP message accepted, in bytes (484 to 1048576); a larger one closes its connection.").Default("65535").Int()
		recvBuffer    = app.Flag("trap.receive-buffer-size", "UDP socket receive buffer to ask the kernel for (the granted size is exported as snmptrap_receive_buffer_bytes). 0 keeps the system default.").Default("4MiB").Bytes()
		batchSize     = app.Flag("trap.read-batch-size", "Datagrams read per system call on UDP listeners.").Default("32").Int()
		udpSockets    = app.Flag("trap.udp.sockets", "Sockets per UDP listener, sharing the port with SO_REUSEPORT, each read by its own goroutine. Default: GOMAXPROCS.").Default(strconv.Itoa(runtime.GOMAXPROCS(0))).Int()
		tcpMaxConns   = app.Flag("trap.tcp.max-connections", "Maximum open TCP connections per TCP listener; more are closed at once.").Default("1024").Int()
		tcpPerSource  = app.Flag("trap.tcp.max-connections-per-source", "Maximum open TCP connections from one source address per TCP listener.").Default("32").Int()
		tcpIdle       = app.Flag("trap.tcp.idle-timeout", "Close a TCP connection that sends nothing for this long.").Default("5m").Duration()
		tcpMsgTimeout = app.Flag("trap.tcp.message-timeout", "Close a TCP connection that takes longer than this to send one message once it has begun.").Default("30s").Duration()
		configFile    = app.Flag("config.file", "YAML configuration: communities, source allow-list, SNMPv3 users. Without it, v1/v2c traps are accepted from anyone and no SNMPv3 users exist.").Default("").String()
		configCheck   = app.Flag("config.check", "Check --config.file and exit: 0 when it is valid, 1 with the error otherwise.").Bool()
		storagePath   = app.Flag("storage.path", "Directory for state that survives restarts (the SNMP engine ID and engineBoots, the snapshot of the series), relative to the working directory.").Default("data/").String()
		logLevel      = app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").Enum("debug", "info", "warn", "error")
		logFormat     = app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").Enum("logfmt", "json")
	)
	mibDirs := app.Flag("mib.dir", "Directory of MIB files to load at start and on reload, beside the built-in ones (repeatable). Their names override the built-in ones.").Strings()
	mibTimeout := app.Flag("mib.load-timeout", "Give up loading --mib.dir after this long and go on with the names loaded so far.").Default("30s").Duration()
	snapshotInterval := app.Flag("storage.snapshot-interval", "Save the series (counters, last-seen times, rule state) under --storage.path this often, and at shutdown; restored at start. 0 saves at shutdown only.").Default("5s").Duration()
	app.Command("serve", "Run the exporter (the default).").Default()
	translateCmd := app.Command("translate", "Print what OIDs resolve to, with the built-in MIBs and --mib.dir, and exit.")
	translateOIDs := translateCmd.Arg("oid", "Dotted OIDs.").Required().Strings()
	mibLoadCmd := app.Command(loader.Command, "Parse MIB directories and print them as JSON (used by the exporter itself).").Hidden()
	mibLoadDirs := mibLoadCmd.Flag(loader.DirFlag, "").Strings()
	mibLoadSkip := mibLoadCmd.Flag(loader.SkipFlag, "").Strings()
	app.Flag("trap.series-ttl", "Forget a device × trap series not updated for this long (e.g. 7d, 12h). 0 keeps series for ever.").Default("7d").SetValue(&seriesTTL)
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

	// Catch the signals from the start: SIGINT or SIGTERM during start-up
	// stops the exporter cleanly once it is up (during the restore of the
	// snapshot, which can take seconds, at once), and SIGHUP (whose default
	// action ends the process) asks for a reload that is served then.
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	logger, slogger := logging.New(*logLevel, *logFormat, os.Stderr)
	mm := loader.NewManager(*mibDirs, *mibTimeout, logger)
	if command == translateCmd.FullCommand() {
		table, _ := mm.Load(context.Background()) // the built-in names at least
		return mib.Translate(os.Stdout, table, *translateOIDs)
	}
	cm := newConfigManager(*configFile, logger, reservedMetrics())
	if *configCheck {
		// Rules are checked against the MIB names, --mib.dir included.
		table, _ := mm.Load(context.Background())
		if _, err := cm.read(table, nil); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
			return 1
		}
		fmt.Printf("%s: configuration %q is valid\n", program, *configFile)
		return 0
	}
	if *udpSockets < 1 || *udpSockets > maxUDPSockets {
		level.Error(logger).Log("msg", fmt.Sprintf("--trap.udp.sockets must be between 1 and %d, got %d", maxUDPSockets, *udpSockets))
		return 2
	}
	if *batchSize < 1 || *batchSize > maxBatchSize {
		level.Error(logger).Log("msg", fmt.Sprintf("--trap.read-batch-size must be between 1 and %d, got %d", maxBatchSize, *batchSize))
		return 2
	}
	if *maxMessage < minMessageSize || *maxMessage > receiver.MaxMessageSizeLimit {
		level.Error(logger).Log("msg", fmt.Sprintf("--trap.max-message-size must be between %d and %d, got %d", minMessageSize, receiver.MaxMessageSizeLimit, *maxMessage))
		return 2
	}
	if *maxRequests < 0 {
		level.Error(logger).Log("msg", fmt.Sprintf("--web.max-requests must not be negative, got %d", *maxRequests))
		return 2
	}
	if *writeTimeout <= 0 {
		level.Error(logger).Log("msg", fmt.Sprintf("--web.write-timeout must be positive, got %s", *writeTimeout))
		return 2
	}
	if *snapshotInterval < 0 {
		level.Error(logger).Log("msg", fmt.Sprintf("--storage.snapshot-interval must not be negative, got %s", *snapshotInterval))
		return 2
	}
	level.Info(logger).Log("msg", "starting "+program, "version", version.Info())
	level.Info(logger).Log("msg", "build context", "build_context", version.BuildContext())

	// Names come first: rules are checked against them, and the listeners
	// and /metrics start only once the MIBs are loaded (or their time bound
	// has passed).
	names, err := mm.Load(context.Background())
	if err != nil {
		level.Warn(logger).Log("msg", "going on with the built-in MIB names only")
	}
	cm.table = names
	ld, err := cm.load()
	if err != nil {
		level.Error(logger).Log("msg", "cannot load configuration", "err", err)
		return 1
	}
	cfg := ld.cfg
	persist.RemoveStaleTemp(*storagePath, logger) // before the engine file is written
	eng, engineErrors, err := startEngine(*storagePath, cfg, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot start the SNMP engine", "err", err)
		return 1
	}

	store := metrics.NewStore(*maxSeries, time.Duration(seriesTTL), nil)
	store.SetLimits(metrics.Limits{PerDevice: *maxPerDevice, NewPerSourcePerMinute: *newPerSource, MaxLabelBytes: int(*maxBytes)})
	if err := store.SetFamilies(ld.rules.Families()); err != nil {
		level.Error(logger).Log("msg", "cannot set up the rules' metrics", "err", err)
		return 1
	}
	packets := metrics.NewPackets()
	proc := pipeline.New(store, packets, pipeline.Options{Logger: logger, Debug: *logLevel == "debug", Security: ld.sec, Engine: eng, Names: names,
		Inventory: ld.inv, Rules: ld.rules})
	cm.proc, cm.mibs, cm.store = proc, mm, store

	opts := receiver.Options{
		MaxMessageSize:             *maxMessage,
		ReceiveBuffer:              int(*recvBuffer),
		BatchSize:                  *batchSize,
		UDPSockets:                 *udpSockets,
		TCPMaxConnections:          *tcpMaxConns,
		TCPMaxConnectionsPerSource: *tcpPerSource,
		TCPIdleTimeout:             *tcpIdle,
		TCPMessageTimeout:          *tcpMsgTimeout,
		Logger:                     logger,
	}
	// Bind every socket before serving anything, so that a port in use or
	// a missing privilege stops the start with one clear line.
	var listeners []receiver.Listener
	for _, addr := range *listen {
		l, err := receiver.Listen(addr, proc, opts)
		if err != nil {
			level.Error(logger).Log("msg", err)
			for _, l := range listeners {
				l.Close()
			}
			return 1
		}
		level.Info(logger).Log("msg", "listening for traps", "listener", addr, "address", l.Addr())
		listeners = append(listeners, l)
		// Export the listener's packet counters from the start, so that
		// rate() and increase() see its first message.
		packets.Listener(addr)
	}
	// After the rule families are set on the store (a restored series of
	// any other family is left out), before traps are read and /metrics
	// is served.
	snap := persist.New(store, proc, *storagePath, *snapshotInterval, logger)
	if err := snap.Restore(ctx); err != nil {
		// SIGINT or SIGTERM during a long restore (logged): a stop that
		// was asked for, so exit 0, and without the final snapshot.
		for _, l := range listeners {
			l.Close()
		}
		return 0
	}

	derived := collector.NewDerivedCollector(store)
	derived.SetDevices(ld.inv.Table())
	cm.derived = derived
	reg := ownMetrics{
		store:        store,
		packets:      packets,
		listeners:    func() []receiver.Stats { return listenerStats(listeners) },
		derived:      derived,
		engine:       eng,
		engineErrors: engineErrors,
		cm:           cm,
		mm:           mm,
		snap:         snap,
	}.registry()
	metrics := collector.NewHandler(reg, store, collector.HandlerOpts{
		ErrorLog:            promhttpLogger{logger},
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: *maxRequests,
		WriteTimeout:        *writeTimeout,
	})

	var ready atomic.Bool
	go func() {
		for {
			select {
			case <-hup:
				cm.reload()
			case <-ctx.Done():
				return
			}
		}
	}()

	handler, err := routes(metrics, *metricsPath, &ready, cm)
	if err != nil {
		level.Error(logger).Log("msg", "cannot build web routes", "err", err)
		return 1
	}
	// Slow or idle clients cannot hold the server: a request must arrive
	// whole within ReadTimeout, and a kept-alive connection closes after
	// IdleTimeout. /metrics has its own write timeout (--web.write-timeout).
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	httpErr := make(chan error, 1)
	go func() {
		httpErr <- web.ListenAndServe(srv, webConfig, slogger)
	}()

	var wg sync.WaitGroup
	serveErr := make(chan error, len(listeners))
	for _, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Serve(ctx); err != nil {
				serveErr <- err
			}
		}()
	}
	go snap.Run(ctx)
	go store.ExpireEvery(ctx, expiryInterval)
	ready.Store(true)

	code := 0
	select {
	case <-ctx.Done():
		level.Info(logger).Log("msg", "shutting down")
	case err := <-httpErr:
		level.Error(logger).Log("msg", "web server failed", "err", err)
		code = 1
	case err := <-serveErr:
		level.Error(logger).Log("msg", "trap listener failed", "err", err)
		code = 1
	}
	ready.Store(false)
	cancel()
	wg.Wait()
	snap.Final() // the listeners have stopped: nothing counts after it
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Warn(logger).Log("msg", "web server shutdown", "err", err)
	}
	return code
}

// startEngine loads this exporter's SNMP engine. A corrupt engine file or
// one that cannot be written is logged and counted, never fatal.
func startEngine(dir string, cfg *config.Config, logger log.Logger) (*engine.Engine, *prometheus.CounterVec, error) {
	errs := newEngineErrors()
	var configured []byte
	if cfg.EngineID != "" {
		configured, _ = config.ParseEngineID(cfg.EngineID) // validated when loaded
	}
	eng, res, err := engine.Load(dir, configured, nil)
	if err != nil {
		return nil, nil, err
	}
	if res.Regenerated != nil {
		errs.WithLabelValues("corrupt").Inc()
		level.Error(logger).Log("msg", "engine file unusable; made a new engine ID (SNMPv3 inform senders must rediscover it)", "err", res.Regenerated)
	}
	if res.NotSaved != nil {
		errs.WithLabelValues("not_saved").Inc()
		level.Warn(logger).Log("msg", "cannot save engineBoots; the next start may reuse this value", "err", res.NotSaved)
	}
	if res.BootsExhausted {
		errs.WithLabelValues("boots_exhausted").Inc()
		file := filepath.Join(dir, engine.FileName)
		remedy := "stop the exporter, delete " + file + " and start it: it makes a new engine ID, which inform senders discover (those configured with this engine ID, or with keys localized to it, need the new one)"
		if configured != nil {
			remedy = "set a new engine_id in the configuration and restart (with engine_id set, deleting " + file + " would restart engineBoots under the same engine ID, which RFC 3414 allows only with new secrets for every SNMPv3 user)"
		}
		level.Error(logger).Log("msg", "engineBoots is at its maximum, 2147483647 (RFC 3414 §2.2.2): every SNMPv3 inform to this engine fails the time window until it has a new engine ID; "+remedy,
			"engine_id", fmt.Sprintf("%x", eng.ID), "file", file)
	}
	level.Info(logger).Log("msg", "SNMP engine", "engine_id", fmt.Sprintf("%x", eng.ID), "engine_boots", eng.Boots)
	return eng, errs, nil
}

func newEngineErrors() *prometheus.CounterVec {
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "snmptrap_engine_file_errors_total",
		Help: "Problems with the engine file under --storage.path at start: corrupt (a new engine ID was made), not_saved (engineBoots could not be written) or boots_exhausted (engineBoots is at 2^31-1: SNMPv3 informs fail until the engine has a new engine ID).",
	}, []string{"kind"})
	errs.WithLabelValues("corrupt")
	errs.WithLabelValues("not_saved")
	errs.WithLabelValues("boots_exhausted")
	return errs
}

func engineInfo(eng *engine.Engine) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "snmptrap_engine_boots",
		Help: "engineBoots of this exporter's SNMP engine (the authoritative engine for SNMPv3 informs), by engine ID.",
	}, []string{"engine_id"})
	g.WithLabelValues(fmt.Sprintf("%x", eng.ID)).Set(float64(eng.Boots))
	return g
}

func listenerStats(ls []receiver.Listener) []receiver.Stats {
	out := make([]receiver.Stats, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Stats())
	}
	return out
}

// routes serves metrics (the handler of collector.NewHandler) on metricsPath
// beside the reload, config, health and landing pages.
func routes(metrics http.Handler, metricsPath string, ready *atomic.Bool, cm *configManager) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/-/reload", cm.serveReload)
	mux.HandleFunc("/config", cm.serveConfig)
	mux.Handle(metricsPath, metrics)
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
	if metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "SNMP Trap Exporter",
			Description: "Receives SNMP traps and informs and exports them as Prometheus metrics",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: metricsPath, Text: "Metrics"},
				{Address: "/config", Text: "Configuration (secrets redacted)"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}

type promhttpLogger struct{ logger log.Logger }

func (l promhttpLogger) Println(v ...any) {
	level.Error(l.logger).Log("msg", fmt.Sprint(v...))
}
