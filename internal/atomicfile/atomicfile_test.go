package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bounded runs f and fails the test if it takes longer than a few seconds
// (a read that blocks on a FIFO or never ends on /dev/zero).
func bounded(t *testing.T, f func() ([]byte, error)) ([]byte, error) {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := f()
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("still reading after 5s")
		return nil, nil
	}
}

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "state.json")
	os.WriteFile(regular, []byte("0123456789"), 0o600)

	if b, err := ReadRegular(regular, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("a file of exactly max bytes: %q %v", b, err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	if b, err := ReadRegular(empty, 10); err != nil || len(b) != 0 {
		t.Errorf("an empty file: %q %v", b, err)
	}
	if _, err := ReadRegular(filepath.Join(dir, "missing"), 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(regular, link)
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ path, what string }{
		{fifo, "named pipe"},
		{link, "symbolic link"}, // even to a regular file: never followed
		{zero, "symbolic link"},
		{"/dev/zero", "device"},
		{"/dev/null", "device"},
		{sock, "socket"},
		{dir, "directory"},
	} {
		_, err := bounded(t, func() ([]byte, error) { return ReadRegular(tc.path, 1<<20) })
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.what) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: %v, want ErrNotRegular saying %q and naming the path", tc.path, err, tc.what)
		}
	}

	// Too large: refused from its size, never read whole (1 TiB, sparse).
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, nil, 0o600)
	if err := os.Truncate(huge, 1<<40); err != nil {
		t.Fatal(err)
	}
	_, err = bounded(t, func() ([]byte, error) { return ReadRegular(huge, 1<<20) })
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), huge) {
		t.Errorf("a 1 TiB file: %v, want ErrTooLarge", err)
	}
	if _, err := ReadRegular(regular, 9); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a file one byte over max: %v, want ErrTooLarge", err)
	}
}

// A file that grows while it is read is still capped.
func TestReadRegularGrowing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "growing")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte("x"))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		chunk := bytes.Repeat([]byte("y"), 4096)
		for {
			select {
			case <-stop:
				return
			default:
				f.Write(chunk)
			}
		}
	}()
	for range 100 {
		b, err := ReadRegular(path, 64<<10)
		if err == nil && len(b) > 64<<10 {
			t.Fatalf("read %d bytes, max %d", len(b), 64<<10)
		}
		if err != nil && !errors.Is(err, ErrTooLarge) {
			t.Fatal(err)
		}
		if errors.Is(err, ErrTooLarge) {
			return
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// A temporary file left by a crash (kill -9 between create and rename) is
// replaced by the next Write, not left beside a new one; and whatever is
// planted at the temporary name (a symbolic link) is replaced, never
// followed.
func TestWriteReplacesStaleTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	tmp := filepath.Join(dir, ".state.json.tmp")
	os.WriteFile(tmp, bytes.Repeat([]byte("stale"), 1000), 0o600)
	if err := Write(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 1 || got[0] != "state.json" {
		t.Errorf("after a Write over a stale temporary file: %v, want only state.json", got)
	}

	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("untouched"), 0o600)
	if err := os.Symlink(victim, tmp); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "untouched" {
		t.Errorf("Write followed a symbolic link at the temporary name: the target holds %q", b)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("%s is not a regular file: %v %v", path, fi, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two" {
		t.Errorf("%s holds %q, want two", path, b)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("left in the directory: %v, want only state.json", got)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(t.TempDir(), "other")
	os.WriteFile(other, []byte("not in dir"), 0o600)
	for name, size := range map[string]int{
		".snapshot.jsonl.tmp":           100, // this build's name
		".snapshot.jsonl.tmp1234567890": 20,  // os.CreateTemp's, earlier builds
		".engine.json.tmp":              3,
		// Kept: the targets, files set aside, anything else.
		"snapshot.jsonl":                    7,
		"engine.json":                       5,
		"snapshot.jsonl.corrupt-1700000000": 1,
		"engine.json.corrupt":               1,
		".hidden":                           1,
		".snapshot.jsonl.tmpx":              1,
		"snapshot.jsonl.tmp":                1,
		"..tmp":                             1,
	} {
		os.WriteFile(filepath.Join(dir, name), bytes.Repeat([]byte("x"), size), 0o600)
	}
	os.Symlink(other, filepath.Join(dir, ".planted.tmp"))        // removed, not followed
	os.MkdirAll(filepath.Join(dir, ".dir.tmp", "inside"), 0o750) // kept: a directory

	files, size, err := RemoveStale(dir)
	if err != nil || files != 4 || size != 123 {
		t.Errorf("RemoveStale = %d files, %d bytes, %v; want 4, 123, nil", files, size, err)
	}
	want := []string{"..tmp", ".dir.tmp", ".hidden", ".snapshot.jsonl.tmpx", "engine.json", "engine.json.corrupt",
		"snapshot.jsonl", "snapshot.jsonl.corrupt-1700000000", "snapshot.jsonl.tmp"}
	if got := names(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("left %v\nwant %v", got, want)
	}
	if b, _ := os.ReadFile(other); string(b) != "not in dir" {
		t.Error("the link's target was touched")
	}
	if files, size, err := RemoveStale(filepath.Join(dir, "missing")); files != 0 || size != 0 || err != nil {
		t.Errorf("a missing directory: %d %d %v", files, size, err)
	}
}
