package traplog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// fileBatch is how many records one write holds at most.
const fileBatch = 1024

// fileMode is a new log file's mode: readable by its group (a log shipper
// such as Alloy or promtail), not by everyone.
const fileMode = 0o640

// Stdout is the --trap.log.file value that writes to standard output.
const Stdout = "-"

// File writes records as JSON lines (traps.Record, one per line) to a
// file, from its own goroutine (Run): a full disk or a slow file makes it
// fall behind the ring and count records dropped or failed, never slows
// receiving. Reopen opens the path again, for logrotate's
// rename-and-signal.
type File struct {
	path   string
	logger log.Logger
	follow follower
	counts counts
	reopen chan struct{}

	// Owned by the Run goroutine (or a test calling flush directly).
	out     io.Writer
	file    *os.File // nil for standard output
	buf     bytes.Buffer
	ends    []int // where each record's line ends in buf
	partial bool  // the last write stopped within a line
	failing bool  // the last write failed (logged once until one works)
}

// OpenFile opens path for appending (creating it), or standard output for
// "-", to write history's records after its newest one.
func OpenFile(path string, history *traps.History, logger log.Logger) (*File, error) {
	w := newFile(nil, history, logger)
	w.path = path
	if path == Stdout {
		w.out = os.Stdout
		return w, nil
	}
	f, err := openLog(path)
	if err != nil {
		return nil, err
	}
	w.out, w.file = f, f
	return w, nil
}

// newFile returns a File writing to out.
func newFile(out io.Writer, history *traps.History, logger log.Logger) *File {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	w := &File{out: out, logger: logger, reopen: make(chan struct{}, 1)}
	w.follow = follower{history: history, after: history.LastSeq(), counts: &w.counts}
	return w
}

func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("cannot open the trap log --trap.log.file: %w", err)
	}
	return f, nil
}

// Stats returns the output's counts.
func (w *File) Stats() Stats { return w.counts.stats(OutputFile) }

// Reopen asks Run to write what it has to the file open now, then open
// the path again: after logrotate renamed the file, new records go to a
// new file at the path. It does not wait, so a file that blocks never
// holds up the caller (the reload).
func (w *File) Reopen() {
	select {
	case w.reopen <- struct{}{}:
	default: // one is pending already
	}
}

// Run writes new records every PollInterval until ctx ends, then writes
// what is left and closes the file.
func (w *File) Run(ctx context.Context) {
	w.follow.done = ctx.Done()
	t := time.NewTimer(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.flush()
			w.Close()
			return
		case <-w.reopen:
			w.flush()
			w.reopenNow()
		case <-t.C:
			w.flush()
			t.Reset(w.follow.interval())
		}
	}
}

// Close closes the file (not standard output). A nil File does nothing.
func (w *File) Close() {
	if w != nil && w.file != nil {
		w.file.Close()
		w.file = nil
	}
}

// reopenNow opens the path again; when that fails, the file open now is
// kept, so that records still go somewhere, and the error is logged.
func (w *File) reopenNow() {
	if w.file == nil {
		return // standard output, or closed
	}
	f, err := openLog(w.path)
	if err != nil {
		level.Error(w.logger).Log("msg", "cannot reopen the trap log; writing on to the file open before", "file", w.path, "err", err)
		return
	}
	if err := w.file.Close(); err != nil {
		level.Warn(w.logger).Log("msg", "closing the trap log before reopening it", "file", w.path, "err", err)
	}
	w.out, w.file, w.partial = f, f, false
	level.Info(w.logger).Log("msg", "trap log reopened", "file", w.path)
}

// flush writes the records kept since the last flush, up to the newest
// when it starts.
func (w *File) flush() {
	until := w.follow.history.LastSeq()
	for {
		recs := w.follow.next(fileBatch, until)
		if len(recs) == 0 {
			return
		}
		w.write(recs)
		if len(recs) < fileBatch {
			return
		}
	}
}

// write writes recs as lines in one write. On an error, the records whose
// lines were written whole count as written, the others as failed; a line
// cut short is ended by the next write, so that the lines after it parse.
func (w *File) write(recs []traps.Record) {
	w.buf.Reset()
	w.ends = w.ends[:0]
	if w.partial {
		w.buf.WriteByte('\n')
	}
	start := w.buf.Len()
	enc := json.NewEncoder(&w.buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil { // cannot happen: a Record always encodes
			w.counts.failed.Add(1)
			continue
		}
		w.ends = append(w.ends, w.buf.Len())
	}
	n, err := w.out.Write(w.buf.Bytes())
	if err == nil {
		w.counts.written.Add(uint64(len(w.ends)))
		w.partial = false
		if w.failing {
			w.failing = false
			level.Info(w.logger).Log("msg", "trap log writes work again", "file", w.path)
		}
		return
	}
	whole := 0
	for _, end := range w.ends {
		if end <= n {
			whole++
		}
	}
	w.counts.written.Add(uint64(whole))
	w.counts.failed.Add(uint64(len(w.ends) - whole))
	switch {
	case n < start: // not even the newline ending the line cut before
	case n == start || (whole > 0 && w.ends[whole-1] == n):
		w.partial = false
	default:
		w.partial = true
	}
	if !w.failing {
		w.failing = true
		level.Error(w.logger).Log("msg", "cannot write the trap log; counting records as failed until writes work again", "file", w.path, "err", err)
	}
}
