// Package atomicfile replaces files so that a crash never leaves half of
// one, and reads them back without trusting what is found at their path:
// the snapshot of the series store and the SNMP engine file use it.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrNotRegular is wrapped by ReadRegular's error when path is not a
// regular file: a FIFO, a device, a socket, a directory or a symbolic link.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by ReadRegular's error when the file is larger
// than the maximum the caller gave.
var ErrTooLarge = errors.New("file too large")

// ReadRegular returns the content of the regular file at path, which must
// be at most max bytes. It is meant for state files that the program
// wrote itself and reads back at start, where anything else found at the
// path must neither block the start nor exhaust memory:
//
//   - a FIFO, a device, a socket or a directory is refused (the error
//     wraps ErrNotRegular) without reading from it: the file is opened
//     with O_NONBLOCK, so that opening a FIFO with no writer does not
//     wait, and O_NOCTTY, so that a terminal does not become the
//     process's, then checked with fstat before any read;
//   - a symbolic link as the last component of path is refused
//     (ErrNotRegular) and never followed (O_NOFOLLOW); links among the
//     directories above it are followed as usual;
//   - a file larger than max is refused (the error wraps ErrTooLarge)
//     from its size, without reading it; one that grows past max while it
//     is read is refused too, after reading at most max+1 bytes.
//
// A missing file is an error that wraps fs.ErrNotExist. Callers treat
// ErrNotRegular and ErrTooLarge as they treat a corrupt file; the file may
// be renamed aside (os.Rename moves a symbolic link or a FIFO itself).
func ReadRegular(path string, max int64) ([]byte, error) {
	return readRegular(path, max, syscall.O_NOFOLLOW)
}

// ReadRegularFollow is ReadRegular for a file an operator names, such as
// the configuration file: a symbolic link is followed (Kubernetes mounts a
// ConfigMap's files as links), and what it leads to must be a regular file
// of at most max bytes. A FIFO there would otherwise block the start.
func ReadRegularFollow(path string, max int64) ([]byte, error) {
	return readRegular(path, max, 0)
}

func readRegular(path string, max int64, flags int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|flags|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		// A symbolic link fails with ELOOP, a socket with ENXIO: say what
		// is there instead.
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, notRegular(path, fi.Mode())
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	if fi.Size() > max {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %d bytes, at most %d allowed", ErrTooLarge, fi.Size(), max)}
	}
	b := make([]byte, 0, min(fi.Size(), max)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // it grew since fstat
		}
		// At most one byte more than allowed: enough to tell a file
		// that grew past max.
		n, err := f.Read(b[len(b):min(int64(cap(b)), max+1)])
		b = b[:len(b)+n]
		switch {
		case int64(len(b)) > max:
			return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: it grew past %d bytes while read", ErrTooLarge, max)}
		case err == io.EOF:
			return b, nil
		case err != nil:
			return nil, err
		}
	}
}

func notRegular(path string, m fs.FileMode) error {
	var what string
	switch m.Type() {
	case fs.ModeSymlink:
		what = "a symbolic link (not followed)"
	case fs.ModeNamedPipe:
		what = "a named pipe (FIFO)"
	case fs.ModeSocket:
		what = "a socket"
	case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
		what = "a device"
	case fs.ModeDir:
		what = "a directory"
	default:
		what = "file type " + m.Type().String()
	}
	return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: %s", ErrNotRegular, what)}
}

// Write replaces path with b so that a crash at any moment
// leaves either the old file or the new one: a temporary file in the same
// directory, written and fsynced, renamed over path, and the directory
// fsynced so that the rename itself is durable. The directory is created
// if missing.
//
// The temporary file has one fixed name per target, TempName(path), so a
// crash between its creation and the rename (kill -9, power loss) leaves
// at most one per target, which the next Write replaces and RemoveStale
// removes at start. Whatever is found at that name is removed first and
// the file is created anew (O_EXCL, O_NOFOLLOW): a symbolic link planted
// there is replaced, never followed. The fixed name assumes one writer per
// target at a time, as the snapshotter's lock and the single start-up
// write of the engine file ensure; two processes sharing a --storage.path
// would overwrite each other's state anyway.
func Write(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	name := TempName(path)
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	committed = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// TempName is the temporary file Write uses for path: ".<name>.tmp" in the
// same directory.
func TempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
}

// isTemp tells the names of Write's temporary files: ".<name>.tmp", and
// ".<name>.tmp<digits>" of the builds that used os.CreateTemp (whose
// random part is decimal digits).
func isTemp(name string) bool {
	base := strings.TrimRight(name, "0123456789")
	return len(base) > len("..tmp") && base[0] == '.' && strings.HasSuffix(base, ".tmp")
}

// RemoveStale removes from dir the temporary files that Write leaves when
// the process dies between creating one and renaming it over its target
// (".<name>.tmp", and ".<name>.tmp<digits>" from earlier builds, which
// used a random suffix and so left a new file at every crash). Call it at
// start, before the first Write into dir. Only regular files and symbolic
// links of those names are removed (a link is removed, not followed);
// directories are left alone. It returns how many files it removed and
// their size in bytes. A missing dir is not an error; the first error
// removing a file is returned after trying the others.
func RemoveStale(dir string) (files int, size int64, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var first error
	for _, e := range entries {
		if !isTemp(e.Name()) || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		var n int64
		if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
			n = fi.Size()
		}
		if err := os.Remove(path); err != nil {
			if first == nil && !errors.Is(err, fs.ErrNotExist) {
				first = err
			}
			continue
		}
		files++
		size += n
	}
	return files, size, first
}
