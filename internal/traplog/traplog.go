// Package traplog writes the admitted traps out as they come: one JSON
// line per record to a file (--trap.log.file), and OTLP log records to a
// collector (--trap.otlp.endpoint). Both follow the trap history
// (internal/traps) by sequence number: the history's ring is the bounded
// queue between the receive path and the outputs, so the receive path
// never waits for an output, and what an output was too slow to read
// before the ring dropped it is counted as dropped. Its counters are
// plain values (Stats); the collector makes them metrics.
package traplog

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// PollInterval is how often an output looks for new records: a record is
// written within about this long of its trap, well within a second. While
// records come faster than a chunk per look, an output looks every
// BusyPollInterval instead: at 100,000 traps/s the default ring of 10,000
// holds only 100 ms of them.
const (
	PollInterval     = 200 * time.Millisecond
	BusyPollInterval = 10 * time.Millisecond
)

// Output names, the metric's output label.
const (
	OutputFile = "file"
	OutputOTLP = "otlp"
)

// Stats are an output's counts of records.
type Stats struct {
	// Output is OutputFile or OutputOTLP.
	Output string
	// Written records were written (the file) or accepted by the receiver
	// (OTLP). Dropped records were gone from the ring when the output got
	// to them. Failed records could not be written: a write error, or a
	// batch the receiver refused or that failed its last attempt.
	Written, Dropped, Failed uint64
	// Paused is how long the output waited for the receive path to catch
	// up before rendering records.
	Paused time.Duration
}

// counts are an output's Stats as it runs.
type counts struct {
	written, dropped, failed atomic.Uint64
	paused                   atomic.Int64 // nanoseconds
}

func (c *counts) stats(output string) Stats {
	return Stats{Output: output, Written: c.written.Load(), Dropped: c.dropped.Load(), Failed: c.failed.Load(),
		Paused: time.Duration(c.paused.Load())}
}

// follower reads the history's records in order, once each, counting what
// the ring dropped before it got to them. Only its output's goroutine
// calls next.
type follower struct {
	history *traps.History
	after   uint64 // the sequence of the last record read or dropped
	counts  *counts
	shared  *rendered // with both outputs on, the records the other rendered
	// busy, when set, reports that the receive path is behind; done is
	// closed when the output is to stop (it then waits for nothing).
	busy func() bool
	done <-chan struct{}
	// moved counts the records read or dropped since interval last asked.
	moved uint64
}

// interval returns how long the output is to wait before it looks again.
func (f *follower) interval() time.Duration {
	moved := f.moved
	f.moved = 0
	if moved >= chunk {
		return BusyPollInterval
	}
	return PollInterval
}

const (
	// chunk is how many records an output renders between looks at the
	// receive path: about half a millisecond of work.
	chunk = 128
	// While the receive path is behind, an output waits yieldStep at a
	// time, up to maxYield before a chunk; then it renders the chunk
	// anyway, so that a flood that does not end still leaves a sample in
	// the log. What the ring drops meanwhile is counted as dropped.
	yieldStep = 5 * time.Millisecond
	maxYield  = time.Second
)

// next returns up to max records after the last ones read, oldest first,
// and no more than were kept up to seq until (0: no bound), so that an
// output that falls behind a flood still gets back to its loop.
func (f *follower) next(max int, until uint64) []traps.Record {
	var out []traps.Record
	for len(out) < max && (until == 0 || f.after < until) {
		f.yield()
		want := min(chunk, max-len(out))
		if until != 0 {
			want = int(min(uint64(want), until-f.after))
		}
		recs := f.read(want)
		if out == nil {
			out = recs
		} else {
			out = append(out, recs...)
		}
		if len(recs) < want {
			break
		}
	}
	return out
}

// yield waits while the receive path is behind, up to maxYield, and counts
// the time waited.
func (f *follower) yield() {
	if f.busy == nil {
		return
	}
	start := time.Now()
	for time.Since(start) < maxYield && f.busy() {
		t := time.NewTimer(yieldStep)
		select {
		case <-f.done:
			t.Stop()
			f.counts.paused.Add(int64(time.Since(start)))
			return
		case <-t.C:
		}
	}
	if d := time.Since(start); d >= yieldStep {
		f.counts.paused.Add(int64(d))
	}
}

// read returns up to max records after the last ones read.
func (f *follower) read(max int) []traps.Record {
	var recs []traps.Record
	var missed uint64
	if f.shared != nil {
		recs, missed = f.shared.follow(f.history, f.after, max)
	} else {
		recs, missed = f.history.Follow(f.after, max)
	}
	f.counts.dropped.Add(missed)
	f.moved += missed + uint64(len(recs))
	if len(recs) > 0 {
		f.after = recs[len(recs)-1].Seq
	} else {
		// Nothing was held after f.after: every record up to the newest
		// was missed (Follow counts from f.after+1 to the newest).
		f.after += missed
	}
	return recs
}

// rendered keeps the records an output rendered last, for the other
// output: the two read the same records a moment apart, and rendering is
// most of an output's work per record (BenchmarkFollow against
// BenchmarkEncodeJSONLine and BenchmarkEncodeOTLP). Records are read-only
// once rendered, so both outputs can hold the same ones. It holds the last
// sharedRecords records read in order.
type rendered struct {
	mu    sync.Mutex
	after uint64 // recs are every record the ring held after this
	recs  []traps.Record
}

// sharedRecords bounds what rendered keeps: a few chunks, so that one
// output a batch behind the other still finds its records.
const sharedRecords = 8 * chunk

// follow answers as history.Follow(after, limit) does, from the records
// kept when they hold all limit asked for, or all the ring has.
func (r *rendered) follow(h *traps.History, after uint64, limit int) ([]traps.Record, uint64) {
	r.mu.Lock()
	recs, from := r.recs, r.after
	r.mu.Unlock()
	if n := len(recs); n > 0 && after >= from && after < recs[n-1].Seq {
		k := sort.Search(n, func(i int) bool { return recs[i].Seq > after })
		end := min(k+limit, n)
		if end-k == limit || recs[n-1].Seq == h.LastSeq() {
			out := recs[k:end:end]
			// As Follow counts them: the sequences skipped up to the last
			// record returned, whether before the ring's oldest or
			// dropped for the byte bound.
			return out, out[len(out)-1].Seq - after - uint64(len(out))
		}
	}
	got, missed := h.Follow(after, limit)
	if len(got) == 0 {
		return got, missed
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.recs); n > 0 && r.recs[n-1].Seq == after {
		// got goes on from the records kept: keep the newest of both, in
		// a new slice (readers may hold the old one).
		all := append(r.recs[min(n, max(0, n+len(got)-sharedRecords)):n:n], got...)
		if drop := n + len(got) - len(all); drop > 0 {
			r.after = r.recs[drop-1].Seq
		}
		r.recs = all
	} else {
		r.after, r.recs = after, got
	}
	return got, missed
}

// pending returns how many records were kept since the last one read.
func (f *follower) pending() uint64 {
	if last := f.history.LastSeq(); last > f.after {
		return last - f.after
	}
	return 0
}

// Options configure the outputs.
type Options struct {
	// File is --trap.log.file: a path, "-" for standard output, "" for
	// no file output.
	File string
	// OTLP configures the OTLP output; nil for none.
	OTLP *OTLPOptions
	// Busy, when set, reports that the receive path is behind
	// (receiver.Backlog); the outputs then wait before rendering.
	Busy   func() bool
	Logger log.Logger
}

// Outputs are the configured outputs. A nil *Outputs has none.
type Outputs struct {
	file *File
	otlp *OTLP
}

// New opens the configured outputs on history; it returns nil when none
// is configured. The outputs start from the history's newest record, and
// do nothing until Run.
func New(history *traps.History, o Options) (*Outputs, error) {
	if o.File == "" && o.OTLP == nil {
		return nil, nil
	}
	if !history.Enabled() {
		return nil, errors.New("the trap log outputs read the trap history: --trap.history.size must not be 0")
	}
	if o.Logger == nil {
		o.Logger = log.NewNopLogger()
	}
	out := &Outputs{}
	if o.File != "" {
		f, err := OpenFile(o.File, history, o.Logger)
		if err != nil {
			return nil, err
		}
		out.file = f
		out.file.follow.busy = o.Busy
		level.Info(o.Logger).Log("msg", "writing the trap log", "file", o.File)
	}
	if o.OTLP != nil {
		x, err := NewOTLP(history, *o.OTLP, o.Logger)
		if err != nil {
			out.file.Close()
			return nil, err
		}
		out.otlp = x
		out.otlp.follow.busy = o.Busy
		if out.file != nil {
			shared := &rendered{}
			out.file.follow.shared, out.otlp.follow.shared = shared, shared
		}
		level.Info(o.Logger).Log("msg", "sending the trap log over OTLP", "endpoint", x.endpoint, "service_instance_id", o.OTLP.InstanceID)
	}
	return out, nil
}

// Run runs every output until ctx ends; then each writes what the history
// holds for it (OTLP: within its FinalTimeout) and Run returns.
func (o *Outputs) Run(ctx context.Context) {
	if o == nil {
		return
	}
	var wg sync.WaitGroup
	if o.file != nil {
		wg.Go(func() { o.file.Run(ctx) })
	}
	if o.otlp != nil {
		wg.Go(func() { o.otlp.Run(ctx) })
	}
	wg.Wait()
}

// Reopen asks the file output to reopen its file (after logrotate moved
// it); it does not wait.
func (o *Outputs) Reopen() {
	if o != nil && o.file != nil {
		o.file.Reopen()
	}
}

// Stats returns the configured outputs' counts.
func (o *Outputs) Stats() []Stats {
	if o == nil {
		return nil
	}
	var out []Stats
	if o.file != nil {
		out = append(out, o.file.Stats())
	}
	if o.otlp != nil {
		out = append(out, o.otlp.Stats())
	}
	return out
}
