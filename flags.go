package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
)

// maxBatchSize bounds --trap.read-batch-size: every slot holds a 64 KiB
// buffer per UDP listener.
const maxBatchSize = 1024

// maxUDPSockets bounds --trap.udp.sockets (each socket has batch buffers).
const maxUDPSockets = 256

// minMessageSize is the floor of --trap.max-message-size: every SNMP engine
// must accept messages of 484 octets (RFC 3417 §3.1, and RFC 3412's lower
// bound on msgMaxSize); a smaller limit would close connections carrying
// ordinary traps. The ceiling is receiver.MaxMessageSizeLimit (1 MiB): a
// TCP connection may hold a buffer that large, so the flag bounds memory.
const minMessageSize = 484

// maxHistory bounds the rings' counts: each slot costs about 200 bytes
// before its message.
const maxHistory = 1_000_000

// flags are the command line. Defaults that belong to a package (the
// receiver's) are taken from it, so they are written once.
type flags struct {
	web         *web.FlagConfig
	metricsPath string
	maxRequests int
	// writeTimeout ends a scrape whose client does not read.
	writeTimeout time.Duration

	listen       []string
	receiver     receiver.Options
	recvBuffer   units.Base2Bytes
	historyBytes units.Base2Bytes
	maxSeries    int
	maxPerDevice int
	newPerSource int
	maxBytes     units.Base2Bytes
	seriesTTL    model.Duration

	history traps.Options

	// trapLog is --trap.log.file and, once validated, the OTLP output of
	// the --trap.otlp flags.
	trapLog         traplog.Options
	otlpEndpoint    string
	otlpHeaders     []string
	otlpHeaderFiles []string
	otlpInstanceID  string

	configFile       string
	configCheck      bool
	storagePath      string
	snapshotInterval time.Duration
	mibDirs          []string
	mibVendor        bool
	mibTimeout       time.Duration
	logLevel         string
	logFormat        string
}

// addFlags defines the flags on app.
func addFlags(app *kingpin.Application) *flags {
	f := &flags{web: kingpinflag.AddFlags(app, ":9412"), seriesTTL: model.Duration(7 * 24 * time.Hour)}
	d := receiver.DefaultOptions
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.metricsPath)
	app.Flag("web.max-requests", "Maximum number of scrapes of the metrics path served at once; more are answered 503. 0 means no limit.").Default("40").IntVar(&f.maxRequests)
	app.Flag("web.write-timeout", "End a scrape whose answer cannot be written within this time (a client that does not read).").Default("1m").DurationVar(&f.writeTimeout)
	app.Flag("trap.listen-address", "Address to receive traps on, as udp://host:port or tcp://host:port (IPv6 hosts in brackets). Repeatable; giving it replaces the defaults.").Default("udp://:162", "udp://:412", "tcp://:412").StringsVar(&f.listen)
	app.Flag("trap.max-series", "Maximum number of series kept (device × trap counters and rule-derived series together); traps beyond it are counted under device=\"_other\", trap=\"_other\". 0 means no limit.").Default("100000").IntVar(&f.maxSeries)
	app.Flag("trap.max-series-per-device", "Maximum number of series one device may have; 0 means no limit.").Default("10000").IntVar(&f.maxPerDevice)
	app.Flag("trap.new-series-per-source", "New series one source address may make per minute (a burst of as many is allowed); 0 means no limit.").Default("6000").IntVar(&f.newPerSource)
	app.Flag("trap.max-series-bytes", "Maximum bytes of the label values of all series together (devices, trap names, rule labels); a new series beyond it is refused like one beyond --trap.max-series. 0 means no limit.").Default("16MiB").BytesVar(&f.maxBytes)
	app.Flag("trap.series-ttl", "Forget a device × trap series not updated for this long (e.g. 7d, 12h). 0 keeps series for ever.").Default("7d").SetValue(&f.seriesTTL)
	app.Flag("trap.max-message-size", "Largest TCP message accepted, in bytes (484 to 1048576); a larger one closes its connection.").Default(strconv.Itoa(d.MaxMessageSize)).IntVar(&f.receiver.MaxMessageSize)
	app.Flag("trap.receive-buffer-size", "UDP socket receive buffer to ask the kernel for (the granted size is exported as snmptrap_receive_buffer_bytes). 0 keeps the system default.").Default(units.Base2Bytes(d.ReceiveBuffer).String()).BytesVar(&f.recvBuffer)
	app.Flag("trap.read-batch-size", "Datagrams read per system call on UDP listeners.").Default(strconv.Itoa(d.BatchSize)).IntVar(&f.receiver.BatchSize)
	app.Flag("trap.udp.sockets", "Sockets per UDP listener, sharing the port with SO_REUSEPORT, each read by its own goroutine. Default: GOMAXPROCS.").Default(strconv.Itoa(runtime.GOMAXPROCS(0))).IntVar(&f.receiver.UDPSockets)
	app.Flag("trap.tcp.max-connections", "Maximum open TCP connections per TCP listener; more are closed at once.").Default(strconv.Itoa(d.TCPMaxConnections)).IntVar(&f.receiver.TCPMaxConnections)
	app.Flag("trap.tcp.max-connections-per-source", "Maximum open TCP connections from one source address per TCP listener.").Default(strconv.Itoa(d.TCPMaxConnectionsPerSource)).IntVar(&f.receiver.TCPMaxConnectionsPerSource)
	app.Flag("trap.tcp.idle-timeout", "Close a TCP connection that sends nothing for this long.").Default(model.Duration(d.TCPIdleTimeout).String()).DurationVar(&f.receiver.TCPIdleTimeout)
	app.Flag("trap.tcp.message-timeout", "Close a TCP connection that takes longer than this to send one message once it has begun.").Default(model.Duration(d.TCPMessageTimeout).String()).DurationVar(&f.receiver.TCPMessageTimeout)
	app.Flag("trap.history.size", "Admitted traps kept in memory for /traps, the API and the trap log outputs (the newest; 0 keeps none).").Default(strconv.Itoa(traps.DefaultSize)).IntVar(&f.history.Size)
	app.Flag("trap.history.max-bytes", "Most memory the kept traps' messages may hold (their buffers' size, however little of it a trap uses); the oldest go first.").Default(units.Base2Bytes(traps.DefaultMaxBytes).String()).BytesVar(&f.historyBytes)
	app.Flag("trap.history.rejected-size", "Refused messages kept in memory (time, listener, source, result, size; the first bytes of what is not SNMP).").Default(strconv.Itoa(traps.DefaultRefusedSize)).IntVar(&f.history.RefusedSize)
	app.Flag("trap.dedup.window", "Identical traps (same device, trap and varbinds but sysUpTime.0) within this window make one kept record and a summary with their count; 0 keeps every one. Counters and rules see every trap.").Default(model.Duration(traps.DefaultDedupWindow).String()).DurationVar(&f.history.DedupWindow)
	app.Flag("trap.log.file", "Write the admitted traps the trap history keeps (storms collapsed by --trap.dedup.window) to this file within a second, one JSON trap record a line; - for standard output. Reopened on SIGHUP and POST /-/reload, for logrotate. Needs --trap.history.size above 0.").PlaceHolder("PATH").StringVar(&f.trapLog.File)
	app.Flag("trap.otlp.endpoint", "Send the admitted traps the trap history keeps, each as an OpenTelemetry log record, over OTLP/HTTP (protobuf) to this URL, e.g. http://collector:4318 (the path /v1/logs is added to a URL without one) or Loki's http://loki:3100/otlp/v1/logs; https uses TLS. Needs --trap.history.size above 0.").PlaceHolder("URL").StringVar(&f.otlpEndpoint)
	app.Flag("trap.otlp.header", "Header sent with every OTLP request, as Name=Value (repeatable), e.g. Authorization=Bearer TOKEN or X-Scope-OrgID=TENANT. Values are never logged.").PlaceHolder("NAME=VALUE").StringsVar(&f.otlpHeaders)
	app.Flag("trap.otlp.header-file", "Header sent with every OTLP request, as Name=PATH: the value is the content of the file at PATH (a regular file, one trailing newline dropped), so that a token is not on the command line. Repeatable. Read at start.").PlaceHolder("NAME=PATH").StringsVar(&f.otlpHeaderFiles)
	app.Flag("trap.otlp.instance-id", "The OTLP resource's service.instance.id. Default: the host name and the port of the first --web.listen-address, e.g. nms1:9412.").PlaceHolder("ID").StringVar(&f.otlpInstanceID)
	app.Flag("config.file", "YAML configuration: communities, source allow-list, SNMPv3 users. Without it, v1/v2c traps are accepted from anyone and no SNMPv3 users exist.").Default("").StringVar(&f.configFile)
	app.Flag("config.check", "Check --config.file and exit: 0 when it is valid, 1 with the error otherwise.").BoolVar(&f.configCheck)
	app.Flag("storage.path", "Directory for state that survives restarts (the SNMP engine ID and engineBoots, the snapshot of the series), relative to the working directory.").Default("data/").StringVar(&f.storagePath)
	app.Flag("storage.snapshot-interval", "Save the series (counters, last-seen times, rule state) under --storage.path this often, and at shutdown; restored at start. 0 saves at shutdown only.").Default("5s").DurationVar(&f.snapshotInterval)
	app.Flag("mib.dir", "Directory of MIB files to load at start and on reload, beside the built-in ones (repeatable). Their names override the built-in ones.").StringsVar(&f.mibDirs)
	app.Flag("mib.vendor", "Name vendor notifications (about 21,000, of 90 vendors) from the compiled vendor table, below the built-in IETF and SynOptics names and --mib.dir; --no-mib.vendor turns it off.").Default("true").BoolVar(&f.mibVendor)
	app.Flag("mib.load-timeout", "Give up loading --mib.dir after this long and go on with the names loaded so far.").Default("30s").DurationVar(&f.mibTimeout)
	app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").EnumVar(&f.logLevel, "debug", "info", "warn", "error")
	app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").EnumVar(&f.logFormat, "logfmt", "json")
	return f
}

// validate checks the values kingpin cannot, all of them, and says what is
// wrong with each.
func (f *flags) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	r := &f.receiver
	check(r.UDPSockets >= 1 && r.UDPSockets <= maxUDPSockets, "--trap.udp.sockets must be between 1 and %d, got %d", maxUDPSockets, r.UDPSockets)
	check(r.BatchSize >= 1 && r.BatchSize <= maxBatchSize, "--trap.read-batch-size must be between 1 and %d, got %d", maxBatchSize, r.BatchSize)
	check(r.MaxMessageSize >= minMessageSize && r.MaxMessageSize <= receiver.MaxMessageSizeLimit,
		"--trap.max-message-size must be between %d and %d, got %d", minMessageSize, receiver.MaxMessageSizeLimit, r.MaxMessageSize)
	check(f.maxRequests >= 0, "--web.max-requests must not be negative, got %d", f.maxRequests)
	check(f.writeTimeout > 0, "--web.write-timeout must be positive, got %s", f.writeTimeout)
	check(f.history.Size >= 0 && f.history.Size <= maxHistory, "--trap.history.size must be between 0 and %d, got %d", maxHistory, f.history.Size)
	check(f.history.RefusedSize >= 0 && f.history.RefusedSize <= maxHistory, "--trap.history.rejected-size must be between 0 and %d, got %d", maxHistory, f.history.RefusedSize)
	check(f.history.DedupWindow >= 0, "--trap.dedup.window must not be negative, got %s", f.history.DedupWindow)
	check(f.snapshotInterval >= 0, "--storage.snapshot-interval must not be negative, got %s", f.snapshotInterval)
	// The outputs follow the history's ring, which is their queue: without
	// it they would have nothing to read.
	check(f.history.Size > 0 || (f.trapLog.File == "" && f.otlpEndpoint == ""),
		"--trap.log.file and --trap.otlp.endpoint read the trap history: --trap.history.size must not be 0 with either")
	otlp := &traplog.OTLPOptions{Header: http.Header{}, InstanceID: f.otlpInstanceID, Version: version.Version}
	if f.otlpEndpoint != "" {
		endpoint, err := traplog.ParseEndpoint(f.otlpEndpoint)
		if err != nil {
			errs = append(errs, err)
		}
		otlp.Endpoint = endpoint
	}
	check(f.otlpEndpoint != "" || (len(f.otlpHeaders) == 0 && len(f.otlpHeaderFiles) == 0 && f.otlpInstanceID == ""),
		"--trap.otlp.header, --trap.otlp.header-file and --trap.otlp.instance-id need --trap.otlp.endpoint")
	for _, h := range f.otlpHeaders {
		name, value, err := traplog.ParseHeader(h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		otlp.Header.Add(name, value)
	}
	for _, h := range f.otlpHeaderFiles {
		name, value, err := readHeaderFile(h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		otlp.Header.Add(name, value)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.ReceiveBuffer = int(f.recvBuffer)
	f.history.MaxBytes = int(f.historyBytes)
	if f.otlpEndpoint != "" {
		otlp.HostName, _ = os.Hostname()
		if otlp.InstanceID == "" {
			otlp.InstanceID = otlp.HostName
			if addrs := *f.web.WebListenAddresses; len(addrs) > 0 {
				if _, port, err := net.SplitHostPort(addrs[0]); err == nil {
					otlp.InstanceID = net.JoinHostPort(otlp.HostName, port)
				}
			}
		}
		f.trapLog.OTLP = otlp
	}
	return nil
}

// maxHeaderFile bounds a --trap.otlp.header-file: a token, not a file.
const maxHeaderFile = 64 << 10

// readHeaderFile reads a --trap.otlp.header-file Name=PATH. Its errors
// name the header and the path, never the content.
func readHeaderFile(s string) (name, value string, err error) {
	name, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return "", "", fmt.Errorf("--trap.otlp.header-file must be Name=PATH, got %q", s)
	}
	b, err := atomicfile.ReadRegularFollow(path, maxHeaderFile)
	if err != nil {
		return "", "", fmt.Errorf("--trap.otlp.header-file %s: %w", strings.TrimSpace(name), err)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	name, value, err = traplog.ParseHeader(name + "=" + v)
	if err != nil {
		return "", "", fmt.Errorf("%w (from --trap.otlp.header-file %s)", err, path)
	}
	return name, value, nil
}

// limits are the store's limits beyond its cap.
func (f *flags) limits() metrics.Limits {
	return metrics.Limits{PerDevice: f.maxPerDevice, NewPerSourcePerMinute: f.newPerSource, MaxLabelBytes: int(f.maxBytes)}
}
