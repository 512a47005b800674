package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Tests of --storage.path against what a disk can hold where the state
// files go: special files, files left by kill -9 in the middle of a write,
// a snapshot big enough to take seconds to restore, an engineBoots at its
// maximum.

// readyNow reports whether /-/ready answers 200.
func (e *exporter) readyNow() bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + e.web + "/-/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// rss returns the resident set size of process pid (VmRSS), or -1 when it
// cannot be read (the process has gone).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// signalAndWait sends sig and waits for the exit: the exit code and how
// long it took. It fails the test (and kills the process) after within.
func (e *exporter) signalAndWait(t *testing.T, sig os.Signal, within time.Duration) (int, time.Duration) {
	t.Helper()
	begin := time.Now()
	e.cmd.Process.Signal(sig)
	select {
	case <-e.done:
		return e.cmd.ProcessState.ExitCode(), time.Since(begin)
	case <-time.After(within):
		e.cmd.Process.Kill()
		<-e.done
		t.Fatalf("no exit within %v of %v\n%s", within, sig, e.stderr)
		return -1, 0
	}
}

// waitLog waits until the log holds s.
func (e *exporter) waitLog(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(e.stderr.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log within %v\n%s", s, within, e.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// writeSnapshot writes a valid snapshot of n trap series (devices
// 10.x.y.z, one linkDown each) to path and returns its SHA-256.
func writeSnapshot(t *testing.T, path string, n int) [sha256.Size]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := bufio.NewWriterSize(f, 1<<20)
	both := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	fmt.Fprintf(both, `{"snapshot":"snmptrap_exporter series","version":1,"records":%d}`+"\n", n)
	last := time.Now().Add(-time.Hour).UnixNano()
	for i := range n {
		fmt.Fprintf(both, `{"kind":"trap","device":"10.%d.%d.%d","trap":"IF-MIB::linkDown","count":1,"last_ns":%d}`+"\n", i>>16&255, i>>8&255, i&255, last)
	}
	both.Flush()
	fmt.Fprintf(w, `{"sha256":"%s"}`+"\n", hex.EncodeToString(h.Sum(nil)))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// setAside returns the one file that path was moved to as corrupt.
func setAside(t *testing.T, path string) string {
	t.Helper()
	kept, _ := filepath.Glob(path + ".corrupt-*")
	if len(kept) != 1 {
		t.Fatalf("want %s set aside as one %s.corrupt-<time>, got %v", path, filepath.Base(path), kept)
	}
	return kept[0]
}

// A FIFO at snapshot.jsonl used to block the start in open(2) for ever,
// with the listeners bound and SIGTERM caught but never acted on.
func TestStorageFIFOSnapshot(t *testing.T) {
	need(t)
	r := newRestartable(t)
	path := filepath.Join(r.dir, snapshotFile)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	e := r.launch(t)
	took := e.waitReady(t, 5*time.Second)
	t.Logf("ready %v after the start with a FIFO as the snapshot", took)
	e.waitMetric(t, map[string]float64{
		`snmptrap_storage_restore_failures_total`:       1,
		`snmptrap_storage_restored_series{kind="trap"}`: 0,
	})
	kept := setAside(t, path)
	if fi, err := os.Lstat(kept); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("%s is not the FIFO: %v %v", kept, fi, err)
	}
	logs := e.stderr.String()
	if !strings.Contains(logs, "level=error") || !strings.Contains(logs, "not a regular file") || !strings.Contains(logs, kept) {
		t.Errorf("want an error line saying the snapshot is not a regular file and where it went:\n%s", logs)
	}
	if code, took := e.signalAndWait(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("exit code %d %v after SIGTERM, want 0\n%s", code, took, e.stderr)
	}
}

// A symbolic link to /dev/zero at snapshot.jsonl used to be read for ever,
// the memory growing by hundreds of megabytes a second. It is not followed.
func TestStorageSymlinkToDevZero(t *testing.T) {
	need(t)
	r := newRestartable(t)
	path := filepath.Join(r.dir, snapshotFile)
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	const maxRSS = 200 << 20
	begin := time.Now()
	e := r.launch(t)
	var peak int64
	for !e.readyNow() {
		m := rss(e.cmd.Process.Pid)
		peak = max(peak, m)
		if m > maxRSS || time.Since(begin) > 5*time.Second {
			e.cmd.Process.Kill()
			t.Fatalf("not ready %v after the start, resident memory %d MB", time.Since(begin), m>>20)
		}
		time.Sleep(10 * time.Millisecond)
	}
	m := rss(e.cmd.Process.Pid)
	t.Logf("ready %v after the start, resident memory %d MB (peak seen while starting %d MB)", time.Since(begin), m>>20, peak>>20)
	if m > maxRSS {
		t.Errorf("resident memory %d MB, want under %d MB", m>>20, maxRSS>>20)
	}
	e.waitMetric(t, map[string]float64{`snmptrap_storage_restore_failures_total`: 1})
	kept := setAside(t, path)
	if target, err := os.Readlink(kept); err != nil || target != "/dev/zero" {
		t.Errorf("%s should be the symbolic link itself: %q %v", kept, target, err)
	}
	if !strings.Contains(e.stderr.String(), "symbolic link") {
		t.Errorf("the error line should say it is a symbolic link:\n%s", e.stderr)
	}
	e.terminate(t)
}

// v2cTrap is an SNMPv2c trap from community public with trap OID oid.
func v2cTrap(t *testing.T, oid string) []byte {
	t.Helper()
	sysUpTime, _ := snmp.ParseOID("1.3.6.1.2.1.1.3.0")
	trapOID, _ := snmp.ParseOID("1.3.6.1.6.3.1.1.4.1.0")
	value, err := snmp.ParseOID(oid)
	if err != nil {
		t.Fatal(err)
	}
	return snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 1, []snmp.Varbind{
		{OID: sysUpTime, Type: snmp.TagTimeTicks, Value: snmp.UnsignedValue(0)},
		{OID: trapOID, Type: snmp.TagObjectIdentifier, Value: value},
	})
}

// snapshotCount returns the count of one trap series in the snapshot file.
func snapshotCount(t *testing.T, path, device, trap string) float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var r struct {
			Kind, Device, Trap string
			Count              float64
		}
		if json.Unmarshal(line, &r) == nil && r.Kind == "trap" && r.Device == device && r.Trap == trap {
			return r.Count
		}
	}
	t.Fatalf("no series %s %s in %s", device, trap, path)
	return 0
}

// tempFiles returns the temporary files of the snapshot in dir and their
// total size.
func tempFiles(dir string) ([]string, int64) {
	tmp, _ := filepath.Glob(filepath.Join(dir, "."+snapshotFile+".tmp*"))
	var size int64
	for _, name := range tmp {
		if fi, err := os.Lstat(name); err == nil {
			size += fi.Size()
		}
	}
	return tmp, size
}

// kill -9 in the middle of snapshot writes, again and again: each kill
// used to leave its temporary file (a whole snapshot) behind for ever.
func TestStorageKill9DuringWrites(t *testing.T) {
	need(t)
	// Up to 10 cycles, as many as fit in 15 seconds on a busy machine.
	const cycles, budget, atLeast = 10, 15 * time.Second, 3
	// 20000 series make a 2 MB snapshot whose write and fsync last long
	// enough to be caught; a stream of traps changes the store so that
	// every interval writes it again.
	const seeded = 20000
	r := newRestartable(t, "--storage.snapshot-interval=10ms", "--trap.max-series=0")
	path := filepath.Join(r.dir, snapshotFile)
	writeSnapshot(t, path, seeded)
	const oid = "1.3.6.1.4.1.99999.0.1"
	packet := v2cTrap(t, oid)
	conn, err := net.Dial("udp", "127.0.0.1:"+r.port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// First a run that stops cleanly once the series is in the snapshot:
	// every snapshot after it holds the series (restored, written again),
	// however early the kills below come.
	seed := r.start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn.Write(packet)
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(oid)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	seed.terminate(t)

	// mine reports whether a file was written after since, by this run.
	mine := func(name string, since time.Time) bool {
		fi, err := os.Stat(name)
		return err == nil && !fi.ModTime().Before(since)
	}
	begin := time.Now()
	done, caught := 0, 0
	for done < cycles && time.Since(begin) < budget {
		cycleStart := time.Now()
		e := r.start(t)
		stop := make(chan struct{})
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					conn.Write(packet)
				}
			}
		}()
		// Once a snapshot of this run is in place, kill as soon as a
		// temporary file of this run exists: a write is under way.
		deadline := time.Now().Add(5 * time.Second)
		for !mine(path, cycleStart) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	poll:
		for time.Now().Before(deadline) {
			tmp, _ := tempFiles(r.dir)
			for _, name := range tmp {
				if mine(name, cycleStart) {
					break poll
				}
			}
			time.Sleep(100 * time.Microsecond)
		}
		e.kill(t)
		close(stop)
		<-sent
		done++
		tmp, size := tempFiles(r.dir)
		for _, name := range tmp {
			if mine(name, cycleStart) {
				caught++
			}
		}
		t.Logf("cycle %d: %d temporary files (%d bytes) after kill -9", done, len(tmp), size)
	}
	t.Logf("%d kill -9 cycles in %v, %d of them during a write", done, time.Since(begin).Round(time.Millisecond), caught)
	if done < atLeast || caught == 0 {
		t.Fatalf("%d cycles, %d kills during a write: want at least %d and 1", done, caught, atLeast)
	}

	left, _ := tempFiles(r.dir)
	want := snapshotCount(t, path, "127.0.0.1", oid)
	final := &restartable{dir: r.dir, port: r.port, args: []string{"--storage.snapshot-interval=1h", "--trap.max-series=0"}}
	e := final.start(t)
	if tmp, _ := tempFiles(r.dir); len(tmp) > 0 {
		t.Errorf("temporary files left after the start: %v", tmp)
	}
	firstScrape(t, e, map[string]float64{
		trapKey("127.0.0.1", oid):                       want,
		`snmptrap_storage_restore_failures_total`:       0,
		`snmptrap_storage_restored_series{kind="trap"}`: seeded + 1,
	})
	if len(left) > 0 && !strings.Contains(e.stderr.String(), "removed stale temporary files") {
		t.Errorf("%d temporary files were removed at start without a log line:\n%s", len(left), e.stderr)
	}
	if strings.Contains(e.stderr.String(), "level=error") {
		t.Errorf("errors after kill -9:\n%s", e.stderr)
	}
}

// SIGTERM while a large snapshot is being restored stops the exporter at
// once, and leaves the snapshot as it was: the store is half restored, so
// nothing is saved.
func TestStorageSIGTERMDuringRestore(t *testing.T) {
	need(t)
	r := newRestartable(t)
	path := filepath.Join(r.dir, snapshotFile)
	// About 210 MB, several seconds to decode.
	sum := writeSnapshot(t, path, 2_000_000)
	e := r.launch(t)
	// The listeners are bound just before the restore.
	e.waitLog(t, `msg="listening for traps"`, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if strings.Contains(e.stderr.String(), "restored the series store") {
		t.Fatalf("the restore ended before SIGTERM; the test needs a larger snapshot:\n%s", e.stderr)
	}
	code, took := e.signalAndWait(t, syscall.SIGTERM, 20*time.Second)
	logs := e.stderr.String()
	t.Logf("exit code %d %v after SIGTERM", code, took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("stopped %v after SIGTERM, want under 1s", took)
	}
	if code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(logs, "while restoring the snapshot") {
		t.Errorf("no log line saying the restore was stopped:\n%s", logs)
	}
	b, err := os.ReadFile(path)
	if err != nil || sha256.Sum256(b) != sum {
		t.Errorf("the snapshot changed (%v): a half-restored store must not be saved", err)
	}
	if kept, _ := filepath.Glob(path + ".corrupt-*"); len(kept) > 0 {
		t.Errorf("the snapshot was set aside: %v", kept)
	}
}

// A FIFO at engine.json blocked the start before anything was served.
func TestEngineFileFIFO(t *testing.T) {
	need(t)
	r := newRestartable(t)
	path := filepath.Join(r.dir, "engine.json")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	e := r.launch(t)
	e.waitReady(t, 5*time.Second)
	e.waitMetric(t, map[string]float64{`snmptrap_engine_file_errors_total{kind="corrupt"}`: 1})
	if fi, err := os.Lstat(path + ".corrupt"); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("the FIFO is not kept as engine.json.corrupt: %v %v", fi, err)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("no new engine.json: %v %v", fi, err)
	}
	e.terminate(t)
}

// An engine file at engineBoots 2^31-1: every SNMPv3 inform fails the time
// window (RFC 3414 §3.2 step 7a) until the engine gets a new engine ID.
// The start says so and what to do, and counts it.
func TestEngineBootsExhausted(t *testing.T) {
	need(t)
	c := combo(t, "u-sha-aes")
	r := newRestartable(t, "--config.file="+writeConfig(t, usersConfig([]v3combo{c}, "")))
	path := filepath.Join(r.dir, "engine.json")
	const id = "80000000050102030405060708"
	if err := os.WriteFile(path, []byte(`{"version":1,"engine_id":"`+id+`","boots":2147483647}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inform := func() error {
		_, err := netsnmp(t, "snmpinform", append(c.netsnmpArgs(), "-t", "1", "-r", "1", r.to(), "", "1.3.6.1.4.1.99999.7.1")...)
		return err
	}

	e := r.start(t)
	e.waitMetric(t, map[string]float64{
		`snmptrap_engine_file_errors_total{kind="boots_exhausted"}`: 1,
		`snmptrap_engine_boots{engine_id="` + id + `"}`:             2147483647,
	})
	logs := e.stderr.String()
	if !strings.Contains(logs, `level=error msg="engineBoots is at its maximum`) || !strings.Contains(logs, path) {
		t.Errorf("want an error line naming the problem and the file to delete:\n%s", logs)
	}
	if err := inform(); err == nil {
		t.Errorf("an inform was acknowledged at engineBoots 2^31-1")
	}
	e.terminate(t)

	// The remedy the log line gives: delete engine.json.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	e = r.start(t)
	newID, boots := engineBoots(t, e)
	if newID == id || boots >= 2147483647 {
		t.Errorf("after deleting engine.json: engine %s boots %v", newID, boots)
	}
	e.waitMetric(t, map[string]float64{`snmptrap_engine_file_errors_total{kind="boots_exhausted"}`: 0})
	if err := inform(); err != nil {
		t.Errorf("inform after the remedy: %v", err)
	}
}
