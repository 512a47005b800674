// Package persist keeps the exporter's state across restarts under
// --storage.path: the series snapshot (format: internal/metrics) and the
// SNMPv3 replay memory (format: pipeline), restored at start, saved every
// interval and at shutdown. Its counters are plain values (Stats); the
// collector makes them metrics.
package persist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/loop"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
)

// Snapshotter keeps the store's series across restarts in
// --storage.path/snapshot.jsonl (format: internal/metrics/snapshot.go): restored
// at start, saved every interval and at shutdown. No problem with the file
// is fatal: a bad snapshot is set aside and the exporter starts empty; a
// failed save is counted, logged when the state changes, and tried again
// at the next interval.
type Snapshotter struct {
	store *metrics.Store
	// replay is the SNMPv3 replay memory, saved beside the snapshot in
	// --storage.path/replay.jsonl; nil: none.
	replay     ReplayMemory
	replayPath string
	path       string
	interval   time.Duration // 0: only at shutdown
	logger     log.Logger
	now        func() time.Time

	// stats are guarded by statsMu, written under mu by saves and by
	// restore before the saves start.
	statsMu sync.Mutex
	stats   Stats

	// load reads and restores the snapshot file (the store's LoadSnapshot;
	// tests put a slow one in); encode is the store's EncodeSnapshot.
	load   func(path string) (metrics.RestoreResult, error)
	encode func(dst []byte) ([]byte, metrics.SnapshotInfo)
	// maxSize is the largest snapshot written: metrics.MaxSnapshotSize,
	// the most LoadSnapshot reads.
	maxSize int64

	mu      sync.Mutex // one save at a time
	buf     []byte
	saved   metrics.SnapshotInfo
	savedAt fileStamp // the file as this process last wrote it
	// replaySaved is the ReplayChanges of the replay file last written,
	// replayAt that file as written.
	replaySaved uint64
	replayAt    fileStamp
	failing     bool
	good        goodSnapshot
	started     time.Time // when restore began
	done        chan struct{}
}

// goodSnapshot is the last snapshot known to be on disk, saved by this
// process or restored at start: what a restart would bring back.
type goodSnapshot struct {
	at    time.Time // zero: none
	count uint64    // its metrics.SnapshotInfo.Count
}

// fileStamp tells whether the file is still the one last written.
type fileStamp struct {
	size    int64
	modTime time.Time
}

// ReplayMemory is the SNMPv3 replay memory (*pipeline.Processor).
type ReplayMemory interface {
	AppendReplayState(dst []byte) ([]byte, uint64)
	ReplayChanges() uint64
	RestoreReplayState(b []byte) (engines, messages int, err error)
}

// ReplayFileName is the SNMPv3 replay memory's file in the storage
// directory (its format: pipeline's AppendReplayState).
const ReplayFileName = "replay.jsonl"

// maxReplayFile bounds the replay memory's file read at start: at its
// bounds (500,000 fingerprints of 16 bytes in base64, 20,000 engines of
// about 150 bytes) it is about 14 MB.
const maxReplayFile = 64 << 20

// New returns the Snapshotter of store and replay (nil: none) in dir,
// saving every interval (0: only at shutdown).
func New(store *metrics.Store, replay ReplayMemory, dir string, interval time.Duration, logger log.Logger) *Snapshotter {
	return &Snapshotter{
		store:      store,
		replay:     replay,
		replayPath: filepath.Join(dir, ReplayFileName),
		path:       filepath.Join(dir, metrics.SnapshotFileName),
		interval:   interval,
		logger:     logger,
		now:        time.Now,
		load:       store.LoadSnapshot,
		encode:     store.EncodeSnapshot,
		maxSize:    metrics.MaxSnapshotSize,
		done:       make(chan struct{}),
	}
}

// Stats are the Snapshotter's counters and gauges, for metrics.
type Stats struct {
	// Snapshots saved (an unchanged store is not written, but counts), and
	// saves that failed.
	Snapshots, Failures uint64
	// LastSuccess is when the last snapshot was saved (zero: none yet);
	// Size and Duration are its size and how long it took.
	LastSuccess time.Time
	Size        int
	Duration    time.Duration
	// RestoreFailures counts state files that could not be restored at
	// start; RestoredTraps and RestoredDerived the series restored (the
	// overflow series among the traps).
	RestoreFailures                uint64
	RestoredTraps, RestoredDerived int
}

// Stats returns the counters as they are now.
func (sn *Snapshotter) Stats() Stats {
	sn.statsMu.Lock()
	defer sn.statsMu.Unlock()
	return sn.stats
}

func (sn *Snapshotter) count(f func(*Stats)) {
	sn.statsMu.Lock()
	f(&sn.stats)
	sn.statsMu.Unlock()
}

// Restore loads the replay memory and the snapshot. Call it after the rule
// families are set on the store (series of other families are left out)
// and before traps are received or /metrics is served.
//
// A large snapshot takes seconds to decode. When ctx ends first (SIGINT or
// SIGTERM), restore logs it and returns ctx's error at once, leaving the
// load to finish in the background: the caller must then stop without
// saving a snapshot, since the store is half restored and the file on
// disk is still the good one.
func (sn *Snapshotter) Restore(ctx context.Context) error {
	sn.restoreReplay()
	begin := sn.now()
	sn.started = begin
	level.Debug(sn.logger).Log("msg", "restoring the series store", "file", sn.path)
	type loaded struct {
		res metrics.RestoreResult
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		res, err := sn.load(sn.path)
		done <- loaded{res, err}
	}()
	var res metrics.RestoreResult
	var err error
	select {
	case l := <-done:
		res, err = l.res, l.err
	case <-ctx.Done():
		level.Warn(sn.logger).Log("msg", "stopped by SIGINT or SIGTERM while restoring the snapshot; exiting without saving, the snapshot is left as it was", "file", sn.path, "after", sn.now().Sub(begin))
		return ctx.Err()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		level.Info(sn.logger).Log("msg", "no snapshot to restore; starting with an empty store", "file", sn.path)
		return nil
	case err != nil:
		sn.count(func(st *Stats) { st.RestoreFailures++ })
		aside := fmt.Sprintf("%s.corrupt-%d", sn.path, sn.now().Unix())
		if rerr := os.Rename(sn.path, aside); rerr != nil {
			level.Error(sn.logger).Log("msg", "cannot restore the snapshot; starting with an empty store (and cannot set the file aside: the next snapshot replaces it)", "file", sn.path, "err", err, "rename_err", rerr)
			return nil
		}
		level.Error(sn.logger).Log("msg", "cannot restore the snapshot; starting with an empty store, the file is kept for inspection", "file", sn.path, "kept_as", aside, "err", err)
		return nil
	}
	sn.good = goodSnapshot{at: begin, count: res.Count}
	if fi, err := os.Stat(sn.path); err == nil {
		sn.good.at = fi.ModTime()
	}
	trapSeries := res.Traps
	if res.Overflow > 0 {
		trapSeries++
	}
	sn.count(func(st *Stats) { st.RestoredTraps, st.RestoredDerived = trapSeries, res.Derived })
	level.Info(sn.logger).Log("msg", "restored the series store", "file", sn.path,
		"trap_series", res.Traps, "derived_series", res.Derived, "overflow_traps", res.Overflow, "devices", res.Devices,
		"duration", sn.now().Sub(begin))
	if res.RuleRemoved > 0 {
		level.Warn(sn.logger).Log("msg", "left out restored rule-derived series whose metric is no longer in the rules or changed its labels or type (counted in snmptrap_series_dropped_total{reason=\"rule_removed\"})", "series", res.RuleRemoved)
	}
	if res.Limit > 0 {
		level.Warn(sn.logger).Log("msg", "left out restored series beyond --trap.max-series or --trap.max-series-per-device (counted in snmptrap_series_dropped_total; their trap counts went to the overflow series)", "series", res.Limit)
	}
	return nil
}

// restoreReplay loads the SNMPv3 replay memory, so that no v3 message
// accepted before the restart is accepted again. The file is small
// (maxReplayFile). Without it (a first start, or an upgrade from a version
// that kept none) the memory starts empty; a bad file is set aside and
// counted like a bad snapshot, and the memory starts empty: v3 messages
// accepted before the restart could then be replayed once, which the
// error line says.
func (sn *Snapshotter) restoreReplay() {
	if sn.replay == nil {
		return
	}
	b, err := atomicfile.ReadRegular(sn.replayPath, maxReplayFile)
	if errors.Is(err, fs.ErrNotExist) {
		level.Info(sn.logger).Log("msg", "no SNMPv3 replay memory to restore; starting with an empty one", "file", sn.replayPath)
		return
	}
	var engines, messages int
	if err == nil {
		engines, messages, err = sn.replay.RestoreReplayState(b)
	}
	if err != nil {
		sn.count(func(st *Stats) { st.RestoreFailures++ })
		aside := fmt.Sprintf("%s.corrupt-%d", sn.replayPath, sn.now().Unix())
		rerr := os.Rename(sn.replayPath, aside)
		level.Error(sn.logger).Log("msg", "cannot restore the SNMPv3 replay memory; starting with an empty one: an SNMPv3 message accepted before this start could be accepted once more",
			"file", sn.replayPath, "err", err, "kept_as", aside, "rename_err", rerr)
		return
	}
	sn.replaySaved = sn.replay.ReplayChanges()
	sn.replayAt, _ = stampOf(sn.replayPath)
	level.Info(sn.logger).Log("msg", "restored the SNMPv3 replay memory", "file", sn.replayPath, "engines", engines, "messages", messages)
}

// RemoveStaleTemp removes the temporary files that a crash in the middle
// of a save (kill -9, power loss) left in the storage directory, logging
// how many and their size. Call it at start, before anything is written
// there: the engine file, then the snapshots.
func RemoveStaleTemp(dir string, logger log.Logger) {
	files, size, err := atomicfile.RemoveStale(dir)
	if files > 0 {
		level.Info(logger).Log("msg", "removed stale temporary files left by an interrupted save", "dir", dir, "files", files, "bytes", size)
	}
	if err != nil {
		level.Warn(logger).Log("msg", "cannot remove stale temporary files from the storage directory", "dir", dir, "err", err)
	}
}

// Run saves a snapshot every interval until ctx ends; Final must follow.
func (sn *Snapshotter) Run(ctx context.Context) {
	defer close(sn.done)
	if sn.interval <= 0 {
		return
	}
	loop.Every(ctx, sn.interval, func() { sn.Save() })
}

// Final saves the last snapshot at shutdown, once the listeners have
// stopped and run has returned. A failure is always logged at error level,
// whatever the periodic saves did before, with what it loses: what was
// counted since the last good snapshot (unsaved_traps is the growth of the
// trap counters' sum since then; rule state changed since then is lost
// too).
func (sn *Snapshotter) Final() {
	<-sn.done
	sn.mu.Lock()
	defer sn.mu.Unlock()
	info, err := sn.write()
	if err == nil {
		level.Info(sn.logger).Log("msg", "saved the series store", "file", sn.path, "trap_series", info.Traps, "derived_series", info.Derived)
		return
	}
	var unsaved uint64
	if info.Count > sn.good.count {
		unsaved = info.Count - sn.good.count
	}
	msg, since := "cannot save the series store at shutdown: what was counted since the last good snapshot is lost", sn.good.at
	if since.IsZero() {
		msg, since = "cannot save the series store at shutdown, and no snapshot was saved or restored since the start: everything counted since then is lost", sn.started
	}
	last := "none"
	if !sn.good.at.IsZero() {
		last = sn.good.at.UTC().Format(time.RFC3339)
	}
	level.Error(sn.logger).Log("msg", msg, "file", sn.path, "err", err,
		"last_good_snapshot", last, "lost_since", since.UTC().Format(time.RFC3339),
		"unsaved_traps", unsaved, "trap_series", info.Traps, "derived_series", info.Derived)
}

// Save writes a snapshot unless the store and the file are as last saved.
// A failure is logged at error level when saving starts failing and at
// debug level while it goes on; the recovery is logged too.
func (sn *Snapshotter) Save() error {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if _, err := sn.write(); err != nil {
		if !sn.failing {
			level.Error(sn.logger).Log("msg", "cannot save a snapshot of the series store; retrying every interval (logged again at debug level only, until it works)", "file", sn.path, "err", err)
		} else {
			level.Debug(sn.logger).Log("msg", "cannot save a snapshot of the series store", "file", sn.path, "err", err)
		}
		sn.failing = true
		return err
	}
	if sn.failing {
		level.Info(sn.logger).Log("msg", "saving snapshots of the series store works again", "file", sn.path)
		sn.failing = false
	}
	return nil
}

// write saves the store and the replay memory, each unless it and its
// file are as last saved, and keeps the metrics; it returns what the
// snapshot holds, also on failure. The caller holds mu.
//
// An unchanged store (TakeChanged) is not even encoded: an idle exporter
// used to encode and hash its whole store every interval. The store is
// encoded before the replay memory and the replay memory written before
// the snapshot, so the replay file remembers at least every v3 message the
// snapshot counts, whichever write a crash interrupts.
func (sn *Snapshotter) write() (metrics.SnapshotInfo, error) {
	begin := sn.now()
	info := sn.saved
	encoded := false
	if sn.store.TakeChanged() || sn.saved.Bytes == 0 || !sn.unchangedOnDisk() {
		sn.buf, info = sn.encode(sn.buf[:0])
		encoded = true
	}
	err := sn.writeReplay()
	switch {
	case err != nil:
	case int64(info.Bytes) > sn.maxSize:
		// The next start would refuse it: keep the last one that fits.
		err = fmt.Errorf("the snapshot is %d bytes, larger than the %d a restore reads; keeping the last one (fewer series: --trap.max-series)", info.Bytes, sn.maxSize)
	case encoded && (info.Sum != sn.saved.Sum || !sn.unchangedOnDisk()):
		err = atomicfile.Write(sn.path, sn.buf)
		if err == nil {
			sn.savedAt, err = sn.stamp()
		}
	}
	if err != nil {
		sn.count(func(st *Stats) { st.Failures++ })
		sn.saved = metrics.SnapshotInfo{}
		sn.store.MarkChanged() // encode it again next time
		return info, err
	}
	end := sn.now()
	sn.saved = info
	sn.good = goodSnapshot{at: end, count: info.Count}
	sn.count(func(st *Stats) {
		st.Snapshots++
		st.LastSuccess, st.Size, st.Duration = end, info.Bytes, end.Sub(begin)
	})
	// A large store sends the encoding buffer's several megabytes to the
	// collector between snapshots instead of keeping it.
	if cap(sn.buf) > 1<<20 {
		sn.buf = nil
	}
	return info, nil
}

// writeReplay writes the replay memory unless it and its file are as last
// written. The caller holds mu.
func (sn *Snapshotter) writeReplay() error {
	if sn.replay == nil {
		return nil
	}
	changes := sn.replay.ReplayChanges()
	if changes == sn.replaySaved && sn.replayAt.is(sn.replayPath) {
		return nil
	}
	var b []byte
	b, changes = sn.replay.AppendReplayState(nil)
	if err := atomicfile.Write(sn.replayPath, b); err != nil {
		sn.replayAt = fileStamp{}
		return fmt.Errorf("SNMPv3 replay memory: %w", err)
	}
	sn.replaySaved = changes
	sn.replayAt, _ = stampOf(sn.replayPath)
	return nil
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), modTime: fi.ModTime()}, nil
}

// is reports whether the file at path is still the one stamped: a file
// deleted or replaced behind the exporter's back is written again.
func (f fileStamp) is(path string) bool {
	st, err := stampOf(path)
	return err == nil && !f.modTime.IsZero() && st == f
}

func (sn *Snapshotter) stamp() (fileStamp, error) { return stampOf(sn.path) }

// unchangedOnDisk reports whether the snapshot file is still the one last
// written.
func (sn *Snapshotter) unchangedOnDisk() bool { return sn.savedAt.is(sn.path) }
