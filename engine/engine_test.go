package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"
)

func TestLoadNewThenIncrement(t *testing.T) {
	dir := t.TempDir()
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { return clock }

	e1, res, err := Load(dir, nil, now)
	if err != nil || res.Regenerated != nil || res.NotSaved != nil {
		t.Fatalf("first load: %v %+v", err, res)
	}
	if len(e1.ID) != 13 || e1.ID[0] != 0x80 || e1.ID[4] != 5 || e1.Boots != int32(clock.Unix()/60) {
		t.Fatalf("first engine: id %x boots %d", e1.ID, e1.Boots)
	}
	clock = clock.Add(90 * time.Second)
	if e1.Time() != 90 {
		t.Errorf("Time() = %d, want 90", e1.Time())
	}

	e2, _, err := Load(dir, nil, now)
	if err != nil || !bytes.Equal(e2.ID, e1.ID) || e2.Boots != e1.Boots+1 || e2.Time() != 0 {
		t.Fatalf("second load: %v id %x boots %d time %d", err, e2.ID, e2.Boots, e2.Time())
	}
}

func TestConfiguredIDWins(t *testing.T) {
	dir := t.TempDir()
	Load(dir, nil, nil)
	Load(dir, nil, nil)
	want := []byte{0x80, 0, 0x1f, 0x88, 0x80, 1, 2, 3}
	e, _, err := Load(dir, want, nil)
	if err != nil || !bytes.Equal(e.ID, want) {
		t.Fatalf("configured: %v id %x", err, e.ID)
	}
	e2, _, _ := Load(dir, want, nil)
	if e2.Boots != e.Boots+1 {
		t.Errorf("boots = %d, want %d", e2.Boots, e.Boots+1)
	}
}

func TestCorruptFileMeansNewEngine(t *testing.T) {
	for name, content := range map[string]string{
		"not json":      "{engine",
		"bad version":   `{"version":9,"engine_id":"8000000005aabbccdd","boots":3}`,
		"bad engine id": `{"version":1,"engine_id":"80","boots":3}`,
		"bad boots":     `{"version":1,"engine_id":"8000000005aabbccdd","boots":0}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			os.WriteFile(path, []byte(content), 0o600)
			e, res, err := Load(dir, nil, nil)
			if err != nil || res.Regenerated == nil || len(e.ID) != 13 {
				t.Fatalf("%v %+v id %x boots %d", err, res, e.ID, e.Boots)
			}
			kept, err := os.ReadFile(path + ".corrupt")
			if err != nil || string(kept) != content {
				t.Errorf("corrupt file not kept aside: %v", err)
			}
			e2, res, _ := Load(dir, nil, nil)
			if res.Regenerated != nil || !bytes.Equal(e2.ID, e.ID) || e2.Boots != e.Boots+1 {
				t.Errorf("the new engine was not saved: %+v", res)
			}
		})
	}
}

// Only a regular file of at most maxFileSize is read as the engine file;
// anything else found there is set aside like a corrupt file, without
// blocking (a FIFO), following (a symbolic link) or reading it whole.
func TestSpecialFileMeansNewEngine(t *testing.T) {
	valid := `{"version":1,"engine_id":"8000000005aabbccdd","boots":3}`
	for name, plant := range map[string]func(path string) error{
		"fifo":              func(path string) error { return syscall.Mkfifo(path, 0o600) },
		"link to /dev/zero": func(path string) error { return os.Symlink("/dev/zero", path) },
		"link to valid file": func(path string) error {
			other := filepath.Join(t.TempDir(), "engine.json")
			os.WriteFile(other, []byte(valid), 0o600)
			return os.Symlink(other, path)
		},
		"too large": func(path string) error {
			return os.WriteFile(path, []byte(valid+strings.Repeat(" ", maxFileSize)), 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := plant(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(path)
			type result struct {
				e   *Engine
				res Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				e, res, err := Load(dir, nil, nil)
				done <- result{e, res, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("still loading after 5s")
			}
			if r.err != nil || r.res.Regenerated == nil || len(r.e.ID) != 13 || r.e.ID[4] != 5 {
				t.Fatalf("%v %+v: want a new engine ID and Regenerated", r.err, r.res)
			}
			if !errors.Is(r.res.Regenerated, atomicfile.ErrNotRegular) && !errors.Is(r.res.Regenerated, atomicfile.ErrTooLarge) {
				t.Errorf("Regenerated = %v, want ErrNotRegular or ErrTooLarge", r.res.Regenerated)
			}
			if kept, err := os.Lstat(path + ".corrupt"); err != nil || kept.Mode() != before.Mode() {
				t.Errorf("not kept aside as it was: %v %v", kept, err)
			}
			if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("no new engine file: %v %v", fi, err)
			}
		})
	}
}

func TestUnwritableDirectory(t *testing.T) {
	// A file where the directory should be fails even for root.
	dir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(dir, nil, 0o600)
	e, res, err := Load(dir, nil, nil)
	if err != nil || e == nil || res.NotSaved == nil {
		t.Fatalf("%v %+v: want a working engine and a NotSaved error", err, res)
	}
}

// engineBoots never repeats for an engine ID: not after a lost or corrupt
// file with a configured ID, not when the file cannot be written, not when
// the ID changes and changes back.
func TestBootsNeverRepeat(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { return clock }
	dir := t.TempDir()
	id := []byte{0x80, 0, 0x1f, 0x88, 0x80, 1, 2, 3}
	other := []byte{0x80, 0, 0x1f, 0x88, 0x80, 9, 9, 9}
	seen := map[int32]bool{}
	check := func(what string, e *Engine) {
		t.Helper()
		if seen[e.Boots] {
			t.Fatalf("%s: engineBoots %d repeated", what, e.Boots)
		}
		seen[e.Boots] = true
	}
	for range 3 { // quick restarts
		e, _, _ := Load(dir, id, now)
		check("restart", e)
	}
	clock = clock.Add(time.Hour)
	os.WriteFile(filepath.Join(dir, FileName), []byte("garbage"), 0o600)
	e, _, _ := Load(dir, id, now)
	check("after a corrupt file", e)
	clock = clock.Add(time.Hour)
	Load(dir, other, now)
	clock = clock.Add(time.Hour)
	e, _, _ = Load(dir, id, now)
	check("after the ID changed and changed back", e)
	clock = clock.Add(time.Hour)
	os.RemoveAll(dir)
	e, _, _ = Load(dir, id, now)
	check("after the file was lost", e)
}

// engineBoots at 2^31-1 stays there (RFC 3414 §2.2.2) and every
// authenticated message is then outside the time window (§3.2 step 7a):
// Load says so, whether the file was at the maximum or reached it now,
// until the engine gets a new engine ID.
func TestBootsExhausted(t *testing.T) {
	const id = "8000000005aabbccdd"
	write := func(dir string, boots int32) {
		t.Helper()
		b := fmt.Sprintf(`{"version":1,"engine_id":%q,"boots":%d}`, id, boots)
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		stored     int32
		configured []byte
		want       bool
	}{
		{math.MaxInt32, nil, true},
		{math.MaxInt32 - 1, nil, true}, // reached at this start
		{math.MaxInt32 - 2, nil, false},
		{math.MaxInt32, []byte{0x80, 0, 0, 0, 5, 0xaa, 0xbb, 0xcc, 0xdd}, true}, // the same ID, configured
		{math.MaxInt32, []byte{0x80, 0, 0, 0, 5, 1, 2, 3, 4}, false},            // a new ID in the configuration
	} {
		dir := t.TempDir()
		write(dir, tc.stored)
		e, res, err := Load(dir, tc.configured, nil)
		if err != nil || res.Regenerated != nil || res.BootsExhausted != tc.want {
			t.Errorf("stored %d, configured %x: %v %+v, want BootsExhausted %v", tc.stored, tc.configured, err, res, tc.want)
			continue
		}
		if tc.want && e.Boots != math.MaxInt32 {
			t.Errorf("stored %d: boots %d, want it to stay at 2^31-1", tc.stored, e.Boots)
		}
	}
	// Deleting the file gives a new engine ID and engineBoots from the
	// clock: the remedy the exporter logs.
	dir := t.TempDir()
	write(dir, math.MaxInt32)
	os.Remove(filepath.Join(dir, FileName))
	e, res, _ := Load(dir, nil, nil)
	if res.BootsExhausted || fmt.Sprintf("%x", e.ID) == id || e.Boots == math.MaxInt32 {
		t.Errorf("after deleting the file: %+v id %x boots %d", res, e.ID, e.Boots)
	}
}

func TestNextBoots(t *testing.T) {
	at := time.Unix(60*1000, 0)
	for _, tc := range []struct{ stored, want int32 }{
		{0, 1000}, {5, 1000}, {999, 1000}, {1000, 1001}, {math.MaxInt32 - 1, math.MaxInt32}, {math.MaxInt32, math.MaxInt32},
	} {
		if got := nextBoots(tc.stored, at); got != tc.want {
			t.Errorf("nextBoots(%d) = %d, want %d", tc.stored, got, tc.want)
		}
	}
}
