package traplog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

var (
	oidLinkDown = snmp.MustParseOID("1.3.6.1.6.3.1.1.5.3")
	ifUp        = &metrics.Family{Name: "snmptrap_interface_up", Type: metrics.Gauge, Labels: []string{"ifIndex"}, KeyLabels: 1}
	names       = mib.Builtin()
)

// newHistory returns a history of size records that renders with the
// built-in MIBs and keeps every trap (no dedup window).
func newHistory(size int) *traps.History {
	return traps.New(traps.Options{Size: size, Names: func() traps.Names { return names }})
}

// addLinkDown keeps a v2c linkDown of interface 2 from device, which took
// snmptrap_interface_up from 1 to 0.
func addLinkDown(t testing.TB, h *traps.History, device string) {
	t.Helper()
	vbs := testfixtures.LinkDownVarbinds[snmp.Varbind]()
	msg := snmp.AppendTrapV2(nil, snmp.V2c, []byte("public"), snmp.PDUTrapV2, 7, vbs)
	var m snmp.Message
	if err := m.Decode(msg); err != nil {
		t.Fatal(err)
	}
	h.Admitted(&traps.Admitted{At: time.Unix(1_700_000_000, 5), Listener: "udp://:162", Source: netip.MustParseAddrPort("192.0.2.7:40000"),
		Device: device, Version: metrics.VersionV2c, Trap: "IF-MIB::linkDown", TrapOID: oidLinkDown, Message: msg, Varbinds: m.Varbinds,
		Changes: []traps.StateChange{{Family: ifUp, Device: device, Values: []string{"2"}, Existed: true, Old: 1, New: 0}}})
}

// lines returns the records of a JSON lines file.
func lines(t *testing.T, path string) []traps.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseLines(t, b)
}

func parseLines(t *testing.T, b []byte) []traps.Record {
	t.Helper()
	var out []traps.Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r traps.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// Every line is one record, field for field what the history (and so the
// API) gives, oldest first.
func TestFileLinesAreRecords(t *testing.T) {
	h := newHistory(10)
	path := filepath.Join(t.TempDir(), "trap.log")
	w, err := OpenFile(path, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 3 {
		addLinkDown(t, h, fmt.Sprint("sw", i))
	}
	w.flush()
	got := lines(t, path)
	want := h.Records(traps.Query{})
	slices.Reverse(want)
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("lines differ from the records:\n got %s\nwant %s", gotJSON, wantJSON)
	}
	r := got[0]
	if r.Device != "sw0" || r.Trap != "IF-MIB::linkDown" || len(r.Varbinds) != 6 || r.Varbinds[4].Name != "IF-MIB::ifOperStatus.2" || r.Varbinds[4].Value != "down(2)" ||
		len(r.Changes) != 1 || r.Changes[0].Series != `snmptrap_interface_up{device="sw0",ifIndex="2"}` || r.Changes[0].From == nil || *r.Changes[0].From != 1 || r.Changes[0].To != 0 {
		t.Errorf("first line: %+v", r)
	}
	if s := w.Stats(); s != (Stats{Output: OutputFile, Written: 3}) {
		t.Errorf("stats %+v", s)
	}
	// A second flush writes only what came since.
	addLinkDown(t, h, "sw3")
	w.flush()
	if got := lines(t, path); len(got) != 4 || got[3].Device != "sw3" {
		t.Errorf("after a fourth trap: %d lines", len(got))
	}
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("public")) {
		t.Error("the community is in the log")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != fileMode {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), os.FileMode(fileMode))
	}
}

// logrotate without copytruncate: the file is renamed, then the exporter
// is told (SIGHUP); what came before goes to the renamed file, what comes
// after to a new file at the path.
func TestFileReopenAfterRename(t *testing.T) {
	h := newHistory(10)
	dir := t.TempDir()
	path := filepath.Join(dir, "trap.log")
	w, err := OpenFile(path, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	addLinkDown(t, h, "before")
	testfixtures.WaitFor(t, "the first line", func() bool { b, _ := os.ReadFile(path); return bytes.Contains(b, []byte("before")) })
	rotated := path + ".1"
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	addLinkDown(t, h, "between") // before the signal: still the old file
	w.Reopen()
	testfixtures.WaitFor(t, "a new file at the path", func() bool { _, err := os.Stat(path); return err == nil })
	addLinkDown(t, h, "after")
	testfixtures.WaitFor(t, "the line after the reopen", func() bool { b, _ := os.ReadFile(path); return bytes.Contains(b, []byte("after")) })

	devices := func(p string) []string {
		var out []string
		for _, r := range lines(t, p) {
			out = append(out, r.Device)
		}
		return out
	}
	if got := devices(rotated); !slices.Equal(got, []string{"before", "between"}) {
		t.Errorf("rotated file has %v", got)
	}
	if got := devices(path); !slices.Equal(got, []string{"after"}) {
		t.Errorf("new file has %v", got)
	}
}

// A reopen that fails (the directory is gone) keeps writing to the file
// open before.
func TestFileReopenFailsKeepsOldFile(t *testing.T) {
	h := newHistory(10)
	dir := filepath.Join(t.TempDir(), "logs")
	os.Mkdir(dir, 0o755)
	path := filepath.Join(dir, "trap.log")
	var logs syncBuffer
	w, err := OpenFile(path, h, log.NewLogfmtLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	moved := dir + ".old"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	w.reopenNow()
	addLinkDown(t, h, "sw1")
	w.flush()
	if got := lines(t, filepath.Join(moved, "trap.log")); len(got) != 1 {
		t.Errorf("old file has %d lines, want 1", len(got))
	}
	if !strings.Contains(logs.String(), "cannot reopen the trap log") {
		t.Errorf("log: %s", logs.String())
	}
}

// failingWriter accepts room more bytes, then fails like a full disk.
type failingWriter struct {
	buf  bytes.Buffer
	room int
}

var errNoSpace = errors.New("no space left on device")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= f.room {
		f.room -= len(p)
		return f.buf.Write(p)
	}
	n := f.room
	f.buf.Write(p[:n])
	f.room = 0
	return n, errNoSpace
}

// A write error counts the records not written whole as failed, logs once,
// and the lines written after the disk has room again parse, even after
// a line cut short.
func TestFileWriteErrorCountsFailed(t *testing.T) {
	h := newHistory(10)
	out := &failingWriter{room: 1 << 20}
	var logs syncBuffer
	w := newFile(out, h, log.NewLogfmtLogger(&logs))

	addLinkDown(t, h, "sw1")
	w.flush()
	line := out.buf.Len()
	// Room for one line and a half: one written, two failed.
	out.room = line + line/2
	for range 3 {
		addLinkDown(t, h, "sw1")
	}
	w.flush()
	if s := w.Stats(); s.Written != 2 || s.Failed != 2 {
		t.Fatalf("after a write with room for 1.5 of 3 lines: %+v", s)
	}
	if !w.partial {
		t.Fatal("a line was cut short, and the writer does not know")
	}
	w.flush() // nothing new: nothing written
	for range 2 {
		addLinkDown(t, h, "sw2")
	}
	out.room = 1 << 20
	w.flush()
	if s := w.Stats(); s != (Stats{Output: OutputFile, Written: 4, Failed: 2}) {
		t.Errorf("stats %+v, want 4 written, 2 failed", s)
	}
	// The cut line is junk; the lines after it parse.
	all := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	var devices []string
	for i, l := range all {
		var r traps.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			if i != 2 {
				t.Errorf("line %d does not parse: %q", i, l)
			}
			continue
		}
		devices = append(devices, r.Device)
	}
	if !slices.Equal(devices, []string{"sw1", "sw1", "sw2", "sw2"}) || len(all) != 5 {
		t.Errorf("devices %v in %d lines", devices, len(all))
	}
	if n := strings.Count(logs.String(), "cannot write the trap log"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "writes work again") {
		t.Errorf("no recovery logged:\n%s", logs.String())
	}
}

// A writer that falls behind the ring counts what the ring dropped.
func TestFileFallsBehindCountsDropped(t *testing.T) {
	h := newHistory(3)
	var out bytes.Buffer
	w := newFile(&out, h, nil)
	for i := range 10 {
		addLinkDown(t, h, fmt.Sprint("sw", i))
	}
	w.flush()
	if s := w.Stats(); s.Written != 3 || s.Dropped != 7 {
		t.Errorf("after 10 traps into a ring of 3: %+v", s)
	}
	for i := range 2 {
		addLinkDown(t, h, fmt.Sprint("late", i))
	}
	w.flush()
	if s := w.Stats(); s.Written != 5 || s.Dropped != 7 {
		t.Errorf("then 2 more: %+v", s)
	}
	var devices []string
	for _, r := range parseLines(t, out.Bytes()) {
		devices = append(devices, r.Device)
	}
	if want := []string{"sw7", "sw8", "sw9", "late0", "late1"}; !slices.Equal(devices, want) {
		t.Errorf("devices %v, want %v", devices, want)
	}
	// A follower whose next record is gone goes on from the oldest held.
	h2 := newHistory(1)
	for range 3 {
		addLinkDown(t, h2, "y")
	}
	f := follower{history: h2, counts: &counts{}}
	f.after = 1
	f.next(10, 0) // seq 2 is gone, 3 is held
	if f.after != 3 || f.counts.dropped.Load() != 1 {
		t.Errorf("follower after %d, dropped %d", f.after, f.counts.dropped.Load())
	}
}

// With a history of size 0 there is nothing to follow: an output is an
// error at start.
func TestOutputsNeedHistory(t *testing.T) {
	_, err := New(newHistory(0), Options{File: filepath.Join(t.TempDir(), "x")})
	if err == nil || !strings.Contains(err.Error(), "--trap.history.size") {
		t.Errorf("err = %v", err)
	}
	if o, err := New(newHistory(0), Options{}); o != nil || err != nil {
		t.Errorf("no outputs: %v, %v", o, err)
	}
	var none *Outputs
	none.Reopen()
	none.Run(context.Background())
	if none.Stats() != nil {
		t.Error("nil Outputs has stats")
	}
}

// A path in a directory that does not exist fails at start.
func TestOpenFileFails(t *testing.T) {
	_, err := OpenFile(filepath.Join(t.TempDir(), "no", "trap.log"), newHistory(1), nil)
	if err == nil || !strings.Contains(err.Error(), "--trap.log.file") {
		t.Errorf("err = %v", err)
	}
}

// syncBuffer is the shared concurrent-safe buffer.
type syncBuffer = testfixtures.SyncBuffer
