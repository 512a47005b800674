package reload

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/pipeline"
)

// Reload requests that arrive while a reload runs do not queue one reload
// each: they all get the result of the one reload that starts when the
// running one ends.
func TestReloadRequestsCoalesce(t *testing.T) {
	var c coalescer
	var mu sync.Mutex
	runs := 0
	release := make(chan struct{})
	started := make(chan struct{}, 20)
	f := func() error {
		mu.Lock()
		runs++
		n := runs
		mu.Unlock()
		started <- struct{}{}
		if n == 1 {
			<-release
		}
		return fmt.Errorf("run %d", n)
	}
	first := make(chan error, 1)
	go func() { first <- c.do(f) }()
	<-started // the first reload runs

	const waiting = 10
	var wg sync.WaitGroup
	results := make(chan error, waiting)
	for range waiting {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- c.do(f)
		}()
	}
	// Let every request arrive before the first reload ends.
	deadline := time.Now().Add(5 * time.Second)
	for c.pendingCallers() < waiting && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-first; err == nil || err.Error() != "run 1" {
		t.Errorf("first request: %v, want run 1", err)
	}
	wg.Wait()
	close(results)
	for err := range results {
		if err == nil || err.Error() != "run 2" {
			t.Errorf("a request that arrived during run 1 got %v, want run 2", err)
		}
	}
	if runs != 2 {
		t.Errorf("%d reloads for %d requests, want 2", runs, waiting+1)
	}
	// Idle again: the next request runs at once.
	if err := c.do(f); err == nil || err.Error() != "run 3" {
		t.Errorf("request after the others: %v, want run 3", err)
	}
}

// Every reload calls Reopen before the file is read, also one that fails:
// logrotate's postrotate must reopen the trap log even while the
// configuration file has an error.
func TestReloadReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snmptrap.yml")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	table := mib.Builtin()
	reserved := func(string) bool { return false }
	loaded, err := Read(path, table, reserved, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := metrics.NewStore(0, 0, nil)
	proc := pipeline.New(store, metrics.NewPackets(), pipeline.Options{Security: loaded.Security, Inventory: loaded.Inventory, Rules: loaded.Rules, Names: table})
	reopened := 0
	cm := New(Options{Path: path, Reserved: reserved, Table: table, Loaded: loaded, Store: store, Processor: proc, Reopen: func() { reopened++ }})
	if err := cm.Reload(); err != nil || reopened != 1 {
		t.Errorf("good file: %v, %d reopens", err, reopened)
	}
	if err := os.WriteFile(path, []byte("no: [valid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cm.Reload(); err == nil || reopened != 2 {
		t.Errorf("bad file: %v, %d reopens", err, reopened)
	}
}
