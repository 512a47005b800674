package persist

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

func testSnapshotter(t *testing.T, dir string) (*Snapshotter, *metrics.Store, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	store := metrics.NewStore(0, 0, nil)
	sn := New(store, nil, dir, time.Hour, log.NewLogfmtLogger(&logs))
	sn.now = func() time.Time { return time.Unix(1_700_000_000, 0) }
	return sn, store, &logs
}

func TestSnapshotterRestoreAndSave(t *testing.T) {
	dir := t.TempDir()
	sn, store, logs := testSnapshotter(t, dir)
	sn.Restore(context.Background())
	if float64(sn.Stats().RestoreFailures) != 0 || !strings.Contains(logs.String(), "no snapshot to restore") {
		t.Errorf("a missing snapshot is a first start:\n%s", logs)
	}
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	// An unchanged store is not written again, but the snapshot counts.
	before, _ := os.Stat(sn.path)
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(sn.path); !os.SameFile(before, after) {
		t.Error("an unchanged store was written again")
	}
	if got := float64(sn.Stats().Snapshots); got != 2 {
		t.Errorf("snapshots = %v, want 2", got)
	}
	// A file deleted behind the exporter's back is written again.
	os.Remove(sn.path)
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sn.path); err != nil {
		t.Errorf("deleted snapshot not written again: %v", err)
	}

	sn2, store2, logs2 := testSnapshotter(t, dir)
	sn2.Restore(context.Background())
	if got := testfixtures.SeriesOf(store2.Index()); len(got) != 1 || got[0].Count != 1 {
		t.Errorf("restored %+v", got)
	}
	if float64(sn2.Stats().RestoredTraps) != 1 || !strings.Contains(logs2.String(), "restored the series store") {
		t.Errorf("restore not reported:\n%s", logs2)
	}
}

func TestSnapshotterCorruptFileSetAside(t *testing.T) {
	dir := t.TempDir()
	sn, store, logs := testSnapshotter(t, dir)
	os.WriteFile(sn.path, []byte(`{"snapshot":"snmptrap_exporter series","version":1,"records":1}`+"\n"+`{"kind":"trap"`), 0o600)
	sn.Restore(context.Background())
	if got := float64(sn.Stats().RestoreFailures); got != 1 {
		t.Errorf("restore failures = %v, want 1", got)
	}
	aside := sn.path + ".corrupt-1700000000"
	if _, err := os.Stat(aside); err != nil {
		t.Errorf("corrupt file not kept aside: %v", err)
	}
	line := logs.String()
	if !strings.Contains(line, "level=error") || !strings.Contains(line, sn.path) || !strings.Contains(line, aside) || !strings.Contains(line, "truncated") {
		t.Errorf("the error line should name the file, where it went and what is wrong:\n%s", line)
	}
	if store.Len() != 0 {
		t.Error("store not empty")
	}
	// The next snapshot does not touch the file set aside.
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(aside); err != nil {
		t.Error("the file set aside was removed")
	}
}

// Anything at the snapshot's path that is not a regular file is refused
// like a corrupt snapshot: counted, logged with the reason, moved aside
// (the FIFO or the link itself) and the store starts empty; never read
// from or followed.
func TestSnapshotterRestoreSpecialFiles(t *testing.T) {
	for name, plant := range map[string]func(path string) error{
		"fifo":              func(path string) error { return syscall.Mkfifo(path, 0o600) },
		"link to /dev/zero": func(path string) error { return os.Symlink("/dev/zero", path) },
	} {
		t.Run(name, func(t *testing.T) {
			sn, store, logs := testSnapshotter(t, t.TempDir())
			if err := plant(sn.path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(sn.path)
			done := make(chan error, 1)
			go func() { done <- sn.Restore(context.Background()) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still restoring after 5s")
			}
			if got := float64(sn.Stats().RestoreFailures); got != 1 {
				t.Errorf("restore failures = %v, want 1", got)
			}
			aside := sn.path + ".corrupt-1700000000"
			if fi, err := os.Lstat(aside); err != nil || fi.Mode() != before.Mode() {
				t.Errorf("not moved aside as it was: %v %v", fi, err)
			}
			if line := logs.String(); !strings.Contains(line, "level=error") || !strings.Contains(line, "not a regular file") || !strings.Contains(line, aside) {
				t.Errorf("the error line should say what is wrong and where it went:\n%s", line)
			}
			if store.Len() != 0 {
				t.Error("store not empty")
			}
		})
	}
}

// SIGINT or SIGTERM (the context) during a long restore returns at once
// with the context's error and a log line, without waiting for the load.
func TestSnapshotterRestoreCancelled(t *testing.T) {
	sn, _, logs := testSnapshotter(t, t.TempDir())
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	sn.load = func(string) (metrics.RestoreResult, error) {
		close(started)
		<-release // a snapshot that takes for ever
		return metrics.RestoreResult{}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sn.Restore(ctx) }()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("restore = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("restore did not return after the context ended")
	}
	if line := logs.String(); !strings.Contains(line, "level=warn") || !strings.Contains(line, "while restoring the snapshot") || !strings.Contains(line, "without saving") {
		t.Errorf("want a warning saying the restore was stopped and nothing saved:\n%s", line)
	}
	if float64(sn.Stats().RestoreFailures) != 0 {
		t.Error("a stopped restore is not a restore failure")
	}
}

// A snapshot larger than a restore reads (metrics.MaxSnapshotSize) is
// not written: it would be refused at the next start and the counts lost
// then, silently until that moment. The last good file stays.
func TestSnapshotterRefusesOversizedSnapshot(t *testing.T) {
	sn, store, logs := testSnapshotter(t, t.TempDir())
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(sn.path)
	store.Observe(netip.Addr{}, "sw2", "IF-MIB::linkDown", time.Time{})
	sn.maxSize = int64(len(good)) // the new one is larger
	if err := sn.Save(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("save of an oversized snapshot: %v", err)
	}
	if b, _ := os.ReadFile(sn.path); !bytes.Equal(b, good) {
		t.Error("the last good snapshot was replaced")
	}
	if float64(sn.Stats().Failures) != 1 || !strings.Contains(logs.String(), "level=error") {
		t.Errorf("not counted or logged as a failure:\n%s", logs)
	}
}

// Temporary files left by a crash in the middle of a save are removed at
// start and logged with their count and size; other files stay.
func TestRemoveStaleTemp(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".snapshot.jsonl.tmp"), make([]byte, 1000), 0o600)
	os.WriteFile(filepath.Join(dir, ".snapshot.jsonl.tmp123456"), make([]byte, 200), 0o600)
	os.WriteFile(filepath.Join(dir, "snapshot.jsonl"), nil, 0o600)
	var logs bytes.Buffer
	RemoveStaleTemp(dir, log.NewLogfmtLogger(&logs))
	if line := logs.String(); !strings.Contains(line, "level=info") || !strings.Contains(line, "files=2 bytes=1200") {
		t.Errorf("want an info line with 2 files and 1200 bytes:\n%s", line)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != "snapshot.jsonl" {
		t.Errorf("left %v", entries)
	}
	logs.Reset()
	RemoveStaleTemp(dir, log.NewLogfmtLogger(&logs))
	RemoveStaleTemp(filepath.Join(dir, "missing"), log.NewLogfmtLogger(&logs))
	if logs.Len() != 0 {
		t.Errorf("nothing to remove should log nothing:\n%s", logs.String())
	}
}

// Saving into a directory that cannot hold the file (a file is in the
// way: this fails for root too) is counted and logged once at error level
// while it goes on; success afterwards is logged once.
func TestSnapshotterSaveFailures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	sn, _, logs := testSnapshotter(t, dir)
	sn.logger = log.NewLogfmtLogger(logs) // debug lines included
	os.WriteFile(dir, nil, 0o600)
	for range 3 {
		if sn.Save() == nil {
			t.Fatal("save into a file succeeded")
		}
	}
	if got := float64(sn.Stats().Failures); got != 3 {
		t.Errorf("failures = %v, want 3", got)
	}
	if n := strings.Count(logs.String(), "level=error"); n != 1 {
		t.Errorf("%d error lines for one failing state, want 1:\n%s", n, logs)
	}
	os.Remove(dir)
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "works again") || float64(sn.Stats().LastSuccess.UnixNano())/1e9 != 1_700_000_000 {
		t.Errorf("recovery not reported:\n%s", logs)
	}
}

// stopRun lets final go on: run returns at once with no interval.
func stopRun(sn *Snapshotter) {
	sn.interval = 0
	sn.Run(context.Background())
}

// The last save at shutdown failing is always logged at error level, with
// what is lost, even when the periodic saves were failing already (it used
// to be silent then): the traps counted since the last good snapshot.
func TestSnapshotterFinalFailureLogged(t *testing.T) {
	t.Run("after a good snapshot", func(t *testing.T) {
		sn, store, logs := testSnapshotter(t, t.TempDir())
		store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
		if err := sn.Save(); err != nil {
			t.Fatal(err)
		}
		// A directory in the snapshot's way: the rename fails, root too.
		os.Remove(sn.path)
		os.MkdirAll(filepath.Join(sn.path, "in-the-way"), 0o750)
		for range 3 {
			store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
		}
		if sn.Save() == nil {
			t.Fatal("save succeeded")
		}
		store.Observe(netip.Addr{}, "sw2", "IF-MIB::linkUp", time.Time{})
		logs.Reset() // the periodic failure was logged; now only the shutdown
		stopRun(sn)
		sn.Final()
		line := logs.String()
		for _, want := range []string{"level=error", "at shutdown", "file=" + sn.path, "last_good_snapshot=2023-11-14T22:13:20Z", "unsaved_traps=4", "trap_series=2"} {
			if !strings.Contains(line, want) {
				t.Errorf("the shutdown error line lacks %q:\n%s", want, line)
			}
		}
	})
	t.Run("no snapshot at all", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		os.WriteFile(dir, nil, 0o600) // a file where the directory goes
		sn, store, logs := testSnapshotter(t, dir)
		store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
		stopRun(sn)
		sn.Final()
		line := logs.String()
		if n := strings.Count(line, "level=error"); n != 1 {
			t.Errorf("%d error lines, want 1:\n%s", n, line)
		}
		for _, want := range []string{"at shutdown", "last_good_snapshot=none", "unsaved_traps=1"} {
			if !strings.Contains(line, want) {
				t.Errorf("the shutdown error line lacks %q:\n%s", want, line)
			}
		}
	})
}

func TestSnapshotterRunAndFinal(t *testing.T) {
	sn, store, _ := testSnapshotter(t, t.TempDir())
	sn.interval = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	go sn.Run(ctx)
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	deadline := time.Now().Add(5 * time.Second)
	for float64(sn.Stats().Snapshots) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no periodic snapshot")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	sn.Final()
	r := metrics.NewStore(0, 0, nil)
	if _, err := r.LoadSnapshot(sn.path); err != nil || testfixtures.SeriesOf(r.Index())[0].Count != 2 {
		t.Errorf("final snapshot: %v %+v", err, testfixtures.SeriesOf(r.Index()))
	}
}

// An unchanged store is not even encoded: an idle exporter used to encode
// and hash its whole store every interval (26 % of a core for 148 MB).
func TestSnapshotterSkipsUnchangedStore(t *testing.T) {
	sn, store, _ := testSnapshotter(t, t.TempDir())
	encodes := 0
	sn.encode = func(dst []byte) ([]byte, metrics.SnapshotInfo) {
		encodes++
		return store.EncodeSnapshot(dst)
	}
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	for range 3 {
		if err := sn.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if encodes != 1 {
		t.Errorf("%d encodings for one change, want 1", encodes)
	}
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	sn.Save()
	os.Remove(sn.path) // deleted behind the exporter's back
	sn.Save()
	if encodes != 3 {
		t.Errorf("%d encodings, want 3 (a change, a deleted file)", encodes)
	}
	r := metrics.NewStore(0, 0, nil)
	if _, err := r.LoadSnapshot(sn.path); err != nil || testfixtures.SeriesOf(r.Index())[0].Count != 2 {
		t.Errorf("snapshot after the skips: %v %+v", err, testfixtures.SeriesOf(r.Index()))
	}
}

// fakeReplay is a replay memory that records what the Snapshotter does.
type fakeReplay struct {
	changes  uint64
	state    string
	restored []string
	events   *[]string
	fail     error
}

func (f *fakeReplay) AppendReplayState(dst []byte) ([]byte, uint64) {
	*f.events = append(*f.events, "encode replay")
	return append(dst, f.state...), f.changes
}
func (f *fakeReplay) ReplayChanges() uint64 { return f.changes }
func (f *fakeReplay) RestoreReplayState(b []byte) (int, int, error) {
	if f.fail != nil {
		return 0, 0, f.fail
	}
	f.restored = append(f.restored, string(b))
	return 1, 3, nil
}

// The SNMPv3 replay memory is saved with the snapshot, before it, only
// when it changed, and restored at start before the series; a bad file is
// set aside and counted.
func TestSnapshotterReplayMemory(t *testing.T) {
	dir := t.TempDir()
	var events []string
	sn, store, logs := testSnapshotter(t, dir)
	replay := &fakeReplay{changes: 1, state: "state-1", events: &events}
	sn.replay = replay
	sn.encode = func(dst []byte) ([]byte, metrics.SnapshotInfo) {
		events = append(events, "encode store")
		return store.EncodeSnapshot(dst)
	}
	store.Observe(netip.Addr{}, "sw1", "IF-MIB::linkDown", time.Time{})
	if err := sn.Save(); err != nil {
		t.Fatal(err)
	}
	sn.Save() // nothing changed
	if want := []string{"encode store", "encode replay"}; !slices.Equal(events, want) {
		t.Errorf("events %v, want %v (the store first, then the replay memory, each once)", events, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ReplayFileName)); string(b) != "state-1" {
		t.Errorf("replay file %q", b)
	}
	replay.changes, replay.state = 2, "state-2"
	sn.Save()
	if b, _ := os.ReadFile(filepath.Join(dir, ReplayFileName)); string(b) != "state-2" {
		t.Errorf("changed replay memory not saved: %q", b)
	}

	// A restart restores it before the series.
	sn2, store2, logs2 := testSnapshotter(t, dir)
	replay2 := &fakeReplay{events: &events}
	sn2.replay = replay2
	if err := sn2.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(replay2.restored) != 1 || replay2.restored[0] != "state-2" || len(testfixtures.SeriesOf(store2.Index())) != 1 {
		t.Errorf("restored %q and %d series", replay2.restored, len(testfixtures.SeriesOf(store2.Index())))
	}
	if !strings.Contains(logs2.String(), "restored the SNMPv3 replay memory") {
		t.Errorf("restore not logged:\n%s", logs2)
	}

	// A bad file: set aside, counted, said.
	sn3, _, logs3 := testSnapshotter(t, dir)
	sn3.replay = &fakeReplay{events: &events, fail: errors.New("corrupt replay memory: bad")}
	sn3.Restore(context.Background())
	if got := float64(sn3.Stats().RestoreFailures); got != 1 {
		t.Errorf("restore failures %v, want 1", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ReplayFileName+".corrupt-1700000000")); err != nil {
		t.Errorf("bad replay file not set aside: %v", err)
	}
	if !strings.Contains(logs3.String(), "could be accepted once more") {
		t.Errorf("the error does not say what it risks:\n%s", logs3)
	}
	_ = logs
}
