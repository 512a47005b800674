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
