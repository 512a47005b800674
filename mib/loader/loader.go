// Package loader loads operators' MIB directories (--mib.dir) at run time.
//
// The MIB parser (gosmi) keeps its state in package globals and cannot be
// cancelled, and some inputs make it run for seconds and use hundreds of MiB
// (circular imports) — see README.md. So it never runs in the exporter's
// process: Load starts the exporter's own binary again with a hidden
// command (`snmptrap_exporter mib-load --dir D ...`) under a deadline; the
// child's body is Main, which parses every MIB file in the directories and
// prints one JSON document; Load decodes it into a *mib.Table. A child that
// times out is killed, and the exporter goes on with its built-in table.
package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// Command is the hidden command that runs Main; DirFlag and SkipFlag are its
// repeatable flags (--dir D, --skip FILE).
const (
	Command  = "mib-load"
	DirFlag  = "dir"
	SkipFlag = "skip"
)

// FileError is a problem with one MIB file (or directory). The file's other
// modules, and the other files, still load.
type FileError struct {
	File    string `json:"file"`             // path as found in --mib.dir, or "builtin:NAME"
	Line    int    `json:"line,omitempty"`   // 1-based; 0 when no line applies
	Column  int    `json:"column,omitempty"` // 1-based; 0 when unknown
	Module  string `json:"module,omitempty"` // the module, when known
	Message string `json:"message"`
	// Skipped marks what is not wrong, only left out: a file that is not
	// a MIB module (a README, an index), or an operator's copy of a core
	// SMI module the exporter ships. Log these at debug level, the rest
	// at warning.
	Skipped bool `json:"skipped,omitempty"`
}

func (e FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Module != "" {
		b.WriteString(e.Module + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// MaxOutput bounds the child's standard output that Load reads (a large
// vendor collection is a few MiB of JSON).
var MaxOutput int64 = 256 << 20

// maxAttempts is how often Load starts a child: after a crash in a known
// file it tries again without that file, within the same deadline.
const maxAttempts = 3

// Load parses the MIB files in dirs in a child process — self is the path
// of the exporter's binary (os.Executable) — and returns their definitions.
// timeout bounds the whole load, including retries. Problems with single
// files are returned as FileErrors and the rest loads; an error means
// nothing from dirs is usable (the child timed out, crashed, or wrote
// nonsense) and the caller goes on with its built-in table.
func Load(ctx context.Context, self string, dirs []string, timeout time.Duration) (*mib.Table, []FileError, error) {
	if len(dirs) == 0 {
		return &mib.Table{Notifications: map[string]*mib.Notification{}, Objects: map[string]*mib.Object{}}, nil, nil
	}
	if timeout <= 0 {
		return nil, nil, fmt.Errorf("MIB load timeout must be positive, got %v", timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	args := []string{Command}
	for _, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		args = append(args, "--"+DirFlag, d)
	}
	var crashed []FileError
	for attempt := 1; ; attempt++ {
		out, tr, err := runChild(ctx, self, args)
		if err == nil {
			t, errs, err := Decode(out)
			if err != nil {
				return nil, nil, err
			}
			return t, append(crashed, errs...), nil
		}
		if ctx.Err() != nil {
			// Give the parent's own cancellation its own words.
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, nil, fmt.Errorf("MIB loader timed out after %v%s", timeout, tr.where())
			}
			return nil, nil, fmt.Errorf("MIB loader stopped: %w", ctx.Err())
		}
		culprit := tr.current()
		if culprit == "" || attempt == maxAttempts || strings.HasPrefix(culprit, builtinPrefix) {
			return nil, nil, fmt.Errorf("MIB loader failed: %v%s%s", err, tr.where(), tr.tailText())
		}
		crashed = append(crashed, FileError{
			File:    culprit,
			Message: fmt.Sprintf("the MIB parser crashed on this file (%v); it was left out and the other files loaded again%s", err, tr.lastLine()),
		})
		args = append(args, "--"+SkipFlag, culprit)
	}
}

// runChild runs one child and returns its standard output.
func runChild(ctx context.Context, self string, args []string) ([]byte, *tracker, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	stdout := &limitedBuffer{max: MaxOutput}
	tr := &tracker{}
	cmd.Stdout = stdout
	cmd.Stderr = tr
	cmd.Stdin = nil
	// The child starts nothing, but should it leave a pipe open, Wait
	// still returns.
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, tr, err
	}
	if stdout.overflow {
		return nil, tr, fmt.Errorf("output larger than %d bytes", MaxOutput)
	}
	if stdout.buf.Len() == 0 {
		return nil, tr, errNoOutput
	}
	return stdout.buf.Bytes(), tr, nil
}

type limitedBuffer struct {
	buf      bytes.Buffer
	max      int64
	overflow bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(l.buf.Len())+int64(len(p)) > l.max {
		l.overflow = true
		return 0, errors.New("MIB loader output too large")
	}
	return l.buf.Write(p)
}

// Progress events on the child's standard error: the child announces each
// file it hands the parser and each it is done with, so that the parent can
// name the file a timeout or a crash happened in.
const (
	eventOpen = "mib-load: open "
	eventDone = "mib-load: done "
)

// tracker reads the child's standard error line by line: it keeps the
// stack of open files and the last lines that are not events (a panic, a
// runtime error), both bounded.
type tracker struct {
	partial []byte
	open    []string
	tail    []string
}

const (
	maxLine      = 4096
	maxTailLines = 20
	maxOpenDepth = 1024
)

func (t *tracker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.partial = appendBounded(t.partial, p)
			break
		}
		t.partial = appendBounded(t.partial, p[:i])
		t.line(string(t.partial))
		t.partial = t.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func appendBounded(b, p []byte) []byte {
	if room := maxLine - len(b); len(p) > room {
		p = p[:max(room, 0)]
	}
	return append(b, p...)
}

func (t *tracker) line(s string) {
	switch {
	case strings.HasPrefix(s, eventOpen):
		if f, err := strconv.Unquote(s[len(eventOpen):]); err == nil && len(t.open) < maxOpenDepth {
			t.open = append(t.open, f)
		}
	case strings.HasPrefix(s, eventDone):
		if f, err := strconv.Unquote(s[len(eventDone):]); err == nil {
			for i := len(t.open) - 1; i >= 0; i-- {
				if t.open[i] == f {
					t.open = append(t.open[:i], t.open[i+1:]...)
					break
				}
			}
		}
	case strings.TrimSpace(s) != "":
		t.tail = append(t.tail, s)
		if len(t.tail) > maxTailLines {
			t.tail = t.tail[1:]
		}
	}
}

// current is the innermost file the child was parsing, or "".
func (t *tracker) current() string {
	if len(t.open) == 0 {
		return ""
	}
	return t.open[len(t.open)-1]
}

func (t *tracker) where() string {
	if f := t.current(); f != "" {
		return " while parsing " + f
	}
	return ""
}

// lastLine is the first line of the child's complaint (a Go panic or
// fatal error names the problem there).
func (t *tracker) lastLine() string {
	for _, l := range t.tail {
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "runtime:") {
			return ": " + l
		}
	}
	return ""
}

func (t *tracker) tailText() string {
	if len(t.tail) == 0 {
		return ""
	}
	return "; its last words: " + strings.Join(t.tail, " | ")
}
