package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadNewThenIncrement(t *testing.T) {
	dir := t.TempDir()
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { return clock }

	e1, res, err := Load(dir, nil, now)
	if err != nil || res.Regenerated != nil || res.NotSaved != nil {
		t.Fatalf("first load: %v %+v", err, res)
	}
	if len(e1.ID) != 13 || e1.ID[0] != 0x80 || e1.ID[4] != 5 || e1.Boots != 1 {
		t.Fatalf("first engine: id %x boots %d", e1.ID, e1.Boots)
	}
	clock = clock.Add(90 * time.Second)
	if e1.Time() != 90 {
		t.Errorf("Time() = %d, want 90", e1.Time())
	}

	e2, _, err := Load(dir, nil, now)
	if err != nil || !bytes.Equal(e2.ID, e1.ID) || e2.Boots != 2 || e2.Time() != 0 {
		t.Fatalf("second load: %v id %x boots %d time %d", err, e2.ID, e2.Boots, e2.Time())
	}
}

func TestConfiguredIDWins(t *testing.T) {
	dir := t.TempDir()
	Load(dir, nil, nil)
	Load(dir, nil, nil)
	want := []byte{0x80, 0, 0x1f, 0x88, 0x80, 1, 2, 3}
	e, _, err := Load(dir, want, nil)
	if err != nil || !bytes.Equal(e.ID, want) || e.Boots != 1 {
		t.Fatalf("configured: %v id %x boots %d; want a fresh count for the new ID", err, e.ID, e.Boots)
	}
	e, _, _ = Load(dir, want, nil)
	if e.Boots != 2 {
		t.Errorf("boots = %d, want 2", e.Boots)
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
			if err != nil || res.Regenerated == nil || e.Boots != 1 || len(e.ID) != 13 {
				t.Fatalf("%v %+v id %x boots %d", err, res, e.ID, e.Boots)
			}
			kept, err := os.ReadFile(path + ".corrupt")
			if err != nil || string(kept) != content {
				t.Errorf("corrupt file not kept aside: %v", err)
			}
			e2, res, _ := Load(dir, nil, nil)
			if res.Regenerated != nil || !bytes.Equal(e2.ID, e.ID) || e2.Boots != 2 {
				t.Errorf("the new engine was not saved: %+v", res)
			}
		})
	}
}

func TestUnwritableDirectory(t *testing.T) {
	// A file where the directory should be fails even for root.
	dir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(dir, nil, 0o600)
	e, res, err := Load(dir, nil, nil)
	if err != nil || e == nil || res.NotSaved == nil || e.Boots != 1 {
		t.Fatalf("%v %+v: want a working engine and a NotSaved error", err, res)
	}
}
