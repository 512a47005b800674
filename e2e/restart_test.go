package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The restart tests stop the real binary in the ways it stops in
// production and start it again on the same --storage.path.

const snapshotFile = "snapshot.jsonl"

// restartable is an exporter on a fixed storage directory and trap port.
type restartable struct {
	dir, port string
	args      []string
}

func newRestartable(t *testing.T, args ...string) *restartable {
	return &restartable{
		dir:  t.TempDir(),
		port: fmt.Sprint(freePort(t)),
		args: args,
	}
}

func (r *restartable) start(t *testing.T, extra ...string) *exporter {
	t.Helper()
	e := r.launch(t, extra...)
	e.waitReady(t, 10*time.Second)
	return e
}

// launch starts the exporter on r's storage directory and trap port
// without waiting for it to be ready.
func (r *restartable) launch(t *testing.T, extra ...string) *exporter {
	t.Helper()
	args := append([]string{
		"--storage.path=" + r.dir,
		"--trap.listen-address=udp://127.0.0.1:" + r.port,
	}, r.args...)
	return launch(t, append(args, extra...)...)
}

func (r *restartable) to() string { return "udp:127.0.0.1:" + r.port }

// sendTraps sends three linkDown traps for ifIndex 2 and two
// enterprise-specific traps, and waits until all are counted.
func (r *restartable) sendTraps(t *testing.T, e *exporter) map[string]float64 {
	t.Helper()
	for range 3 {
		run(t, "snmptrap", "-v", "2c", "-c", "public", r.to(), "", linkDown, ifIndex2, "i", "2")
	}
	for range 2 {
		run(t, "snmptrap", "-v", "2c", "-c", "public", r.to(), "", "1.3.6.1.4.1.99999.0.1")
	}
	want := map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`:      3,
		`snmptrap_traps_received_total{device="127.0.0.1",trap="1.3.6.1.4.1.99999.0.1"}`: 2,
	}
	got := e.waitMetric(t, want)
	for k, v := range got {
		if strings.HasPrefix(k, "snmptrap_trap_last_received_timestamp_seconds{") {
			want[k] = v
		}
	}
	if len(want) != 4 {
		t.Fatalf("want two last-received timestamps: %v", want)
	}
	return want
}

// terminate sends SIGTERM and waits for a clean exit.
func (e *exporter) terminate(t *testing.T) {
	t.Helper()
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, e.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit within 10s of SIGTERM\n%s", e.stderr)
	}
}

// kill sends SIGKILL: no final snapshot.
func (e *exporter) kill(t *testing.T) {
	t.Helper()
	e.cmd.Process.Kill()
	<-e.done
}

// firstScrape checks the values on the first scrape after start: the
// snapshot is restored before /metrics is served.
func firstScrape(t *testing.T, e *exporter, want map[string]float64) map[string]float64 {
	t.Helper()
	got := samples(t, e.scrape(t))
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("after restart %s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	return got
}

// waitSnapshots waits until n more snapshots have been saved than when
// called: with n = 2 a whole snapshot began after the call.
func (e *exporter) waitSnapshots(t *testing.T, n float64) {
	t.Helper()
	const name = "snmptrap_storage_snapshots_total"
	base := samples(t, e.scrape(t))[name]
	deadline := time.Now().Add(10 * time.Second)
	for samples(t, e.scrape(t))[name] < base+n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %v snapshots in 10s\n%s", n, e.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRestartSIGTERMKeepsCounts(t *testing.T) {
	need(t)
	r := newRestartable(t, "--storage.snapshot-interval=1h") // only the one at shutdown
	e := r.start(t)
	if !strings.Contains(e.stderr.String(), "no snapshot to restore") {
		t.Errorf("a first start should say there is no snapshot:\n%s", e.stderr)
	}
	want := r.sendTraps(t, e)
	e.terminate(t)
	if !strings.Contains(e.stderr.String(), "saved the series store") {
		t.Errorf("no final snapshot logged:\n%s", e.stderr)
	}

	e2 := r.start(t)
	want[`snmptrap_storage_restored_series{kind="trap"}`] = 2
	want[`snmptrap_storage_restore_failures_total`] = 0
	firstScrape(t, e2, want)
	// And counting goes on from there.
	run(t, "snmptrap", "-v", "2c", "-c", "public", r.to(), "", linkDown, ifIndex2, "i", "2")
	e2.waitMetric(t, map[string]float64{`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`: 4})
}

func TestRestartKill9KeepsCountsOfLastSnapshot(t *testing.T) {
	need(t)
	r := newRestartable(t, "--storage.snapshot-interval=200ms")
	e := r.start(t)
	want := r.sendTraps(t, e)
	e.waitSnapshots(t, 2)
	e.kill(t)

	e2 := r.start(t)
	firstScrape(t, e2, want)
	if strings.Contains(e2.stderr.String(), "level=error") {
		t.Errorf("errors after kill -9:\n%s", e2.stderr)
	}
	if tmp, _ := filepath.Glob(filepath.Join(r.dir, "."+snapshotFile+".tmp*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestRestartTruncatedSnapshot(t *testing.T) {
	need(t)
	r := newRestartable(t)
	e := r.start(t)
	r.sendTraps(t, e)
	e.terminate(t)

	path := filepath.Join(r.dir, snapshotFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	e2 := r.start(t)
	got := firstScrape(t, e2, map[string]float64{
		`snmptrap_storage_restore_failures_total`:       1,
		`snmptrap_storage_restored_series{kind="trap"}`: 0,
		`snmptrap_series`: 0,
	})
	for k := range got {
		if strings.HasPrefix(k, "snmptrap_traps_received_total{") {
			t.Errorf("series %s after a truncated snapshot", k)
		}
	}
	logs := e2.stderr.String()
	kept, _ := filepath.Glob(path + ".corrupt-*")
	if len(kept) != 1 {
		t.Fatalf("corrupt snapshot not kept aside: %v", kept)
	}
	if b, _ := os.ReadFile(kept[0]); int64(len(b)) != fi.Size()/2 {
		t.Errorf("the file kept aside has %d bytes, want %d", len(b), fi.Size()/2)
	}
	if !strings.Contains(logs, "level=error") || !strings.Contains(logs, "file="+path) || !strings.Contains(logs, "truncated") || !strings.Contains(logs, kept[0]) {
		t.Errorf("want one clear error line naming the file, the cause and where it went:\n%s", logs)
	}
	// The exporter works: it counts and saves again.
	run(t, "snmptrap", "-v", "2c", "-c", "public", r.to(), "", linkDown, ifIndex2, "i", "2")
	e2.waitMetric(t, map[string]float64{`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`: 1})
	e2.terminate(t)
	e3 := r.start(t)
	firstScrape(t, e3, map[string]float64{
		`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`: 1,
		`snmptrap_storage_restore_failures_total`:                                   0,
	})
}

// A storage directory the exporter cannot write to (root can write past
// chmod, so the tests use places that refuse root too) is counted and
// logged, never fatal.
func TestRestartUnwritableStorage(t *testing.T) {
	need(t)
	t.Run("read-only directory", func(t *testing.T) {
		// /proc/self exists and nobody, root included, may create files
		// in it.
		e := start(t, "--storage.path=/proc/self", "--storage.snapshot-interval=100ms",
			fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", freePort(t)))
		e.waitFailures(t, 3)
		if n := strings.Count(e.stderr.String(), `level=error msg="cannot save a snapshot`); n != 1 {
			t.Errorf("%d error lines for a failure that goes on, want 1:\n%s", n, e.stderr)
		}
		e.terminate(t) // still up; the final save fails too, not fatal
		// and says so, although the periodic failures are no longer
		// logged at error level.
		if !strings.Contains(e.stderr.String(), `level=error msg="cannot save the series store at shutdown`) {
			t.Errorf("the failed save at shutdown was not logged:\n%s", e.stderr)
		}
	})

	t.Run("fails while running and recovers", func(t *testing.T) {
		r := newRestartable(t, "--storage.snapshot-interval=100ms")
		e := r.start(t)
		want := r.sendTraps(t, e)
		e.waitSnapshots(t, 1)
		// A directory where the snapshot goes: the rename over it fails.
		path := filepath.Join(r.dir, snapshotFile)
		deadline := time.Now().Add(5 * time.Second)
		for {
			os.Remove(path)
			if os.MkdirAll(filepath.Join(path, "in-the-way"), 0o755) == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("cannot put a directory in the snapshot's way")
			}
		}
		e.waitFailures(t, 3)
		e.waitMetric(t, want) // still serving and counting
		run(t, "snmptrap", "-v", "2c", "-c", "public", r.to(), "", linkDown, ifIndex2, "i", "2")
		want[`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`] = 4
		e.waitMetric(t, map[string]float64{`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`: 4})

		os.RemoveAll(path)
		e.waitSnapshots(t, 2)
		if !strings.Contains(e.stderr.String(), "works again") {
			t.Errorf("recovery not logged:\n%s", e.stderr)
		}
		e.kill(t)
		e2 := r.start(t)
		got := samples(t, e2.scrape(t))
		if v := got[`snmptrap_traps_received_total{device="127.0.0.1",trap="IF-MIB::linkDown"}`]; v != 4 {
			t.Errorf("after recovery and kill -9: linkDown = %v, want 4", v)
		}
	})
}

func (e *exporter) waitFailures(t *testing.T, n float64) {
	t.Helper()
	const name = "snmptrap_storage_snapshot_failures_total"
	deadline := time.Now().Add(10 * time.Second)
	for samples(t, e.scrape(t))[name] < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %v snapshot failures in 10s\n%s", n, e.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An open interface state (the built-in linkDown rule) survives a restart.
func TestRestartKeepsInterfaceState(t *testing.T) {
	need(t)
	r := newRestartable(t)
	e := r.start(t)
	r.sendTraps(t, e)
	const up = `snmptrap_interface_up{device="127.0.0.1",ifIndex="2"}`
	deadline := time.Now().Add(3 * time.Second)
	for {
		v, ok := samples(t, e.scrape(t))[up]
		if ok && v == 0 {
			break
		}
		if time.Now().After(deadline) {
			if ok {
				t.Fatalf("%s = %v after linkDown, want 0", up, v)
			}
			t.Fatalf("%s never appeared after linkDown (the built-in rule)\n%s", up, e.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.terminate(t)
	e2 := r.start(t)
	got := firstScrape(t, e2, map[string]float64{up: 0})
	if got[`snmptrap_storage_restored_series{kind="derived"}`] < 1 {
		t.Errorf("no derived series restored")
	}
}
