package metrics

import (
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"

	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"
)

// snapshotStore has trap series, the overflow series and rule-derived
// series of both types, with label values that need escaping.
func snapshotStore(t testing.TB) (*Store, *testfixtures.Clock) {
	t.Helper()
	clk := testfixtures.NewClock()
	s := NewStore(4, 0, clk.Now)
	if err := s.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()}); err != nil {
		t.Fatal(err)
	}
	up, info, rs := s.Family("snmptrap_interface_up"), s.Family("snmptrap_interface_info"), s.Family("snmptrap_device_restarts_total")
	s.Observe(srcA, "sw1", "IF-MIB::linkDown", time.Time{})
	clk.Add(time.Second)
	s.Observe(srcA, "sw1", "IF-MIB::linkDown", time.Time{})
	s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 0, At: time.Time{}, TTL: up.TTL})
	s.Update(Update{Family: info, Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3", "Gi1/0/3 \"uplink\"\n\\ é \x01"}, Value: 1, At: time.Time{}, TTL: info.TTL})
	clk.Add(time.Second)
	s.Update(Update{Family: rs, Op: OpAdd, Src: srcB, Device: "sw2", Values: nil, Value: 2, At: time.Time{}, TTL: rs.TTL})
	s.Observe(srcB, "sw2", "SNMPv2-MIB::coldStart", time.Time{}) // over the cap of 4
	s.Observe(srcB, "sw2", "SNMPv2-MIB::warmStart", time.Time{})
	return s, clk
}

func encode(s *Store) []byte {
	b, _ := s.EncodeSnapshot(nil)
	return b
}

// The file is what the package comment shows: one line per series, sorted,
// and a checksum line.
func TestSnapshotFormat(t *testing.T) {
	s, _ := snapshotStore(t)
	b, info := s.EncodeSnapshot([]byte("prefix"))
	if !bytes.HasPrefix(b, []byte("prefix")) {
		t.Fatal("EncodeSnapshot did not append")
	}
	b = b[len("prefix"):]
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	want := []string{
		`{"snapshot":"snmptrap_exporter series","version":1,"records":5}`,
		`{"kind":"overflow","count":2,"last_ns":1700000002000000000}`,
		`{"kind":"trap","device":"sw1","trap":"IF-MIB::linkDown","count":2,"last_ns":1700000001000000000}`,
		`{"kind":"derived","family":"snmptrap_device_restarts_total","type":"counter","labels":[],"key_labels":0,"device":"sw2","values":[],"value":2,"updated_ns":1700000002000000000,"ttl_ns":-1}`,
		`{"kind":"derived","family":"snmptrap_interface_info","type":"gauge","labels":["ifIndex","ifDescr"],"key_labels":1,"device":"sw1","values":["3","Gi1/0/3 \"uplink\"\n\\ é \u0001"],"value":1,"updated_ns":1700000001000000000,"ttl_ns":0}`,
		`{"kind":"derived","family":"snmptrap_interface_up","type":"gauge","labels":["ifIndex"],"key_labels":1,"device":"sw1","values":["3"],"value":0,"updated_ns":1700000001000000000,"ttl_ns":0}`,
	}
	if len(lines) != len(want)+1 {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want)+1, b)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, lines[i], want[i])
		}
	}
	if wantSum := fmt.Sprintf(`{"sha256":"%x"}`, info.Sum); lines[len(want)] != wantSum {
		t.Errorf("checksum line %s, want %s", lines[len(want)], wantSum)
	}
	if info.Traps != 1 || !info.Overflow || info.Derived != 3 || info.Count != 2+2 || info.Bytes != len(b) {
		t.Errorf("info = %+v", info)
	}
	if again, info2 := s.EncodeSnapshot(nil); !bytes.Equal(again, b) || info2.Sum != info.Sum {
		t.Error("the same store made a different snapshot")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	s, clk := snapshotStore(t)
	b := encode(s)

	r := NewStore(4, 0, clk.Now)
	if err := r.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()}); err != nil {
		t.Fatal(err)
	}
	res, err := r.Restore(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (RestoreResult{Traps: 1, Derived: 3, Overflow: 2, Devices: 2, Count: 2 + 2}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if got, want := r.Snapshot(), s.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("trap series\n got %+v\nwant %+v", got, want)
	}
	if got, want := derivedText(r), derivedText(s); got != want {
		t.Errorf("derived series\n got %s\nwant %s", got, want)
	}
	if got := encode(r); !bytes.Equal(got, b) {
		t.Errorf("the restored store snapshots differently:\n%s\nwant\n%s", got, b)
	}
	if !reflect.DeepEqual(r.Devices(), []string{"sw1", "sw2"}) || r.Len() != 4 {
		t.Errorf("devices %v, len %d", r.Devices(), r.Len())
	}
	// The restored series are live: updates and the cap work on them.
	r.Observe(srcA, "sw1", "IF-MIB::linkDown", time.Time{})
	if !r.Update(Update{Family: r.Family("snmptrap_interface_up"), Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 1, At: time.Time{}, TTL: r.Family("snmptrap_interface_up").TTL}) {
		t.Error("update of a restored series refused")
	}
	if r.Observe(srcA, "sw3", "IF-MIB::linkUp", time.Time{}) {
		t.Error("the cap did not count the restored series")
	}
	if got := r.Snapshot(); got[0].Count != 3 || total(got) != 6 {
		t.Errorf("after restore: %+v", got)
	}
}

func derivedText(s *Store) string {
	var b strings.Builder
	for _, d := range s.DerivedSnapshot() {
		fmt.Fprintf(&b, "%s %s %q %v %d\n", d.Family.Name, d.Device, d.Values, d.Value, d.Updated.UnixNano())
	}
	return b.String()
}

func TestSnapshotSpecialValues(t *testing.T) {
	fam := &Family{Name: "snmptrap_test_value", Type: Gauge, Labels: []string{"k"}, KeyLabels: 1}
	s := NewStore(0, 0, nil)
	s.SetFamilies([]*Family{fam})
	values := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -0.5, 1e300, 5e-324, 12345678901234567}
	for i, v := range values {
		s.Update(Update{Family: fam, Op: OpSet, Src: srcA, Device: "d", Values: []string{fmt.Sprint(i)}, Value: v, At: time.Time{}, TTL: fam.TTL})
	}
	r := NewStore(0, 0, nil)
	r.SetFamilies([]*Family{{Name: fam.Name, Type: Gauge, Labels: []string{"k"}, KeyLabels: 1}})
	if _, err := r.Restore(encode(s)); err != nil {
		t.Fatal(err)
	}
	for _, d := range r.DerivedSnapshot() {
		var i int
		fmt.Sscan(d.Values[0], &i)
		if want := values[i]; math.Float64bits(d.Value) != math.Float64bits(want) && !(math.IsNaN(d.Value) && math.IsNaN(want)) {
			t.Errorf("value %d: got %v, want %v", i, d.Value, want)
		}
	}
	if len(r.DerivedSnapshot()) != len(values) {
		t.Errorf("%d series restored, want %d", len(r.DerivedSnapshot()), len(values))
	}
}

// A derived series whose family is gone or has changed shape is left out
// and counted as rule_removed.
func TestRestoreDropsChangedFamilies(t *testing.T) {
	s, _ := snapshotStore(t)
	b := encode(s)

	relabelled := ifInfo()
	relabelled.Labels = []string{"ifIndex", "ifName"}
	counter := ifUp()
	counter.Type = Counter
	for name, fams := range map[string][]*Family{
		"none":        nil,
		"gone":        {ifUp(), restarts()},
		"relabelled":  {ifUp(), relabelled, restarts()},
		"retyped":     {counter, ifInfo(), restarts()},
		"other key":   {ifUp(), {Name: "snmptrap_interface_info", Type: Gauge, Labels: []string{"ifIndex", "ifDescr"}, KeyLabels: 2}, restarts()},
		"all present": {ifUp(), ifInfo(), restarts()},
	} {
		t.Run(name, func(t *testing.T) {
			r := NewStore(0, 0, nil)
			if err := r.SetFamilies(fams); err != nil {
				t.Fatal(err)
			}
			res, err := r.Restore(b)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"none": 3, "gone": 1, "relabelled": 1, "retyped": 1, "other key": 1}[name]
			if res.RuleRemoved != want || res.Derived != 3-want || len(r.DerivedSnapshot()) != 3-want {
				t.Errorf("result %+v, want %d left out", res, want)
			}
			if got := r.Dropped()[DropReasonRuleRemoved]; got != uint64(want) {
				t.Errorf("dropped rule_removed = %d, want %d", got, want)
			}
			if res.Traps != 1 {
				t.Errorf("trap series restored: %d", res.Traps)
			}
		})
	}
}

// Restored series respect the cap: derived first, then the most recently
// seen trap series; the counts of the others go to the overflow series, so
// the total stays exact.
func TestRestoreRespectsLimits(t *testing.T) {
	clk := testfixtures.NewClock()
	s := NewStore(0, 0, clk.Now)
	s.SetFamilies([]*Family{ifUp()})
	for i := range 5 {
		clk.Add(time.Second)
		for range i + 1 {
			s.Observe(srcA, fmt.Sprintf("d%d", i), "T", time.Time{})
		}
	}
	s.Update(Update{Family: s.Family("snmptrap_interface_up"), Op: OpSet, Src: srcA, Device: "d0", Values: []string{"1"}, Value: 0, At: time.Time{}, TTL: s.Family("snmptrap_interface_up").TTL})
	b := encode(s)

	r := NewStore(3, 0, clk.Now)
	r.SetFamilies([]*Family{ifUp()})
	res, err := r.Restore(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (RestoreResult{Traps: 2, Derived: 1, Overflow: 1 + 2 + 3, Devices: 3, Limit: 3, Count: 15}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	got := r.Snapshot()
	if len(got) != 3 || got[0].Device != "d3" || got[1].Device != "d4" || got[2].Device != OverflowLabel || total(got) != 15 {
		t.Errorf("series %+v: want d3, d4 and the overflow, 15 traps", got)
	}
	if d := r.Dropped()[DropReasonLimit]; d != 3 {
		t.Errorf("dropped limit = %d, want 3", d)
	}

	// Per device: d0 may have one series, its state series.
	r = NewStore(0, 0, clk.Now)
	r.SetFamilies([]*Family{ifUp()})
	r.SetLimits(Limits{PerDevice: 1})
	res, _ = r.Restore(b)
	if res.Limit != 1 || res.Traps != 4 || res.Derived != 1 || r.Dropped()[DropReasonDeviceLimit] != 1 {
		t.Errorf("per-device limit: %+v, dropped %v", res, r.Dropped())
	}
}

// Restoring into a store that already has series adds the counts and
// keeps the later times and gauge values.
func TestRestoreMerges(t *testing.T) {
	s, clk := snapshotStore(t)
	b := encode(s)
	clk.Add(time.Minute)
	r := NewStore(0, 0, clk.Now)
	r.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()})
	r.Observe(srcA, "sw1", "IF-MIB::linkDown", time.Time{})
	r.Update(Update{Family: r.Family("snmptrap_interface_up"), Op: OpSet, Src: srcA, Device: "sw1", Values: []string{"3"}, Value: 1, At: time.Time{}, TTL: r.Family("snmptrap_interface_up").TTL})
	r.Update(Update{Family: r.Family("snmptrap_device_restarts_total"), Op: OpAdd, Src: srcA, Device: "sw2", Values: nil, Value: 1, At: time.Time{}, TTL: r.Family("snmptrap_device_restarts_total").TTL})
	if _, err := r.Restore(b); err != nil {
		t.Fatal(err)
	}
	got := r.Snapshot()
	if got[0].Count != 3 || !got[0].Last.Equal(clk.Now()) {
		t.Errorf("merged trap series %+v", got[0])
	}
	for _, d := range r.DerivedSnapshot() {
		switch d.Family.Name {
		case "snmptrap_interface_up":
			if d.Value != 1 {
				t.Errorf("the older restored gauge replaced the newer one: %v", d.Value)
			}
		case "snmptrap_device_restarts_total":
			if d.Value != 3 {
				t.Errorf("counter %v, want 1+2", d.Value)
			}
		}
	}
}

// Every damaged snapshot is refused with an error that says what is
// wrong, and leaves the store as it was.
func TestRestoreCorrupt(t *testing.T) {
	s, _ := snapshotStore(t)
	good := encode(s)
	lines := strings.SplitAfter(string(good), "\n")
	header, body := lines[0], strings.Join(lines[1:len(lines)-2], "")
	resum := func(content string) string { // a valid checksum over damaged content
		return content + `{"sha256":"` + sha256Hex([]byte(content)) + `"}` + "\n"
	}
	flipped := []byte(good)
	flipped[len(header)+20] ^= 1

	for _, tc := range []struct{ name, content, err string }{
		{"empty", "", "empty file"},
		{"not ours", `{"engine_id":"80"}` + "\n", "line 1 is not a snmptrap_exporter snapshot header"},
		{"binary", "\x00\x01\x02", "line 1 is not a snmptrap_exporter snapshot header"},
		{"newer version", strings.Replace(string(good), `"version":1`, `"version":2`, 1), "format version 2, this build reads version 1"},
		{"no version", `{"snapshot":"snmptrap_exporter series","records":0}` + "\n", "format version none"},
		{"header only", header, "truncated: no checksum line"},
		{"cut in a record", string(good[:len(header)+30]), "truncated: the last line is incomplete"},
		{"cut after a record", header + lines[1], "truncated: the last line is not the checksum line"},
		{"cut in the checksum", string(good[:len(good)-10]), "truncated: the last line is incomplete"},
		{"no final newline", string(good[:len(good)-1]), "truncated: the last line is incomplete"},
		{"flipped bit", string(flipped), "checksum mismatch"},
		{"line left out", resum(header + strings.Join(lines[2:len(lines)-2], "")), "4 records, the header says 5"},
		{"bad record", resum(strings.Replace(header, "5", "6", 1) + body + "{\n"), "line 7: unexpected end of JSON input"},
		{"unknown kind", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"alien"}` + "\n"), `line 7: unknown record kind "alien"`},
		{"no count", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"trap","device":"a","trap":"b","last_ns":1}` + "\n"), "line 7: trap record without count or last_ns"},
		{"negative count", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"trap","device":"a","trap":"b","count":-1,"last_ns":1}` + "\n"), "line 7: json: cannot unmarshal"},
		{"two overflows", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"overflow","count":1,"last_ns":1}` + "\n"), "line 7: a second overflow record"},
		{"values and labels", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"derived","family":"f","type":"gauge","labels":["a"],"key_labels":1,"device":"d","values":[],"value":1,"updated_ns":1}` + "\n"), "line 7: 0 values for 1 labels"},
		{"bad type", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"derived","family":"f","type":"histogram","labels":[],"key_labels":0,"device":"d","values":[],"value":1,"updated_ns":1}` + "\n"), `line 7: unknown type "histogram"`},
		{"bad value", resum(strings.Replace(header, "5", "6", 1) + body + `{"kind":"derived","family":"f","type":"gauge","labels":[],"key_labels":0,"device":"d","values":[],"value":"1","updated_ns":1}` + "\n"), `line 7: value "1" is not a number`},
		{"trailer not hex", header + body + `{"sha256":"zz"}` + "\n", "truncated: the last line is not the checksum line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewStore(0, 0, nil)
			r.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()})
			_, err := r.Restore([]byte(tc.content))
			if err == nil || !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			if r.Len() != 0 || len(r.Snapshot()) != 0 {
				t.Error("a bad snapshot changed the store")
			}
		})
	}

	// No prefix of a good snapshot is taken for a whole one.
	for n := range len(good) {
		if _, err := decodeSnapshot(good[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes were accepted", n, len(good))
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestLoadAndWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", SnapshotFileName)
	r := NewStore(0, 0, nil)
	if _, err := r.LoadSnapshot(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	s, _ := snapshotStore(t)
	if err := atomicfile.Write(path, encode(s)); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, encode(s)); err != nil { // over the old one
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	r.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()})
	if res, err := r.LoadSnapshot(path); err != nil || res.Traps != 1 || res.Derived != 3 {
		t.Errorf("load: %+v %v", res, err)
	}
	os.WriteFile(path, []byte("garbage\n"), 0o600)
	if _, err := r.LoadSnapshot(path); err == nil || !strings.HasPrefix(err.Error(), path+": corrupt snapshot: ") {
		t.Errorf("corrupt file: error %v should name the file", err)
	}

	// Failures root cannot get around: a directory where the file goes, a
	// file where the directory goes.
	blocked := filepath.Join(dir, "blocked")
	os.MkdirAll(filepath.Join(blocked, "x"), 0o750)
	if err := atomicfile.Write(blocked, []byte("x")); err == nil {
		t.Error("rename over a non-empty directory succeeded")
	}
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	if err := atomicfile.Write(filepath.Join(notDir, SnapshotFileName), []byte("x")); err == nil {
		t.Error("writing under a file succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// Snapshots taken while traps arrive are consistent with the store (run
// with -race).
// What is found at the snapshot's path is opened only if it is a regular
// file of at most MaxSnapshotSize, and never followed: a FIFO blocked the
// start for ever and a link to /dev/zero was read until memory ran out.
func TestLoadSnapshotOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, nil, 0o600)
	os.Truncate(huge, MaxSnapshotSize+1) // sparse
	for _, tc := range []struct {
		path string
		want error
	}{{fifo, atomicfile.ErrNotRegular}, {zero, atomicfile.ErrNotRegular}, {huge, atomicfile.ErrTooLarge}} {
		done := make(chan error, 1)
		go func() {
			_, err := NewStore(0, 0, nil).LoadSnapshot(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("%s: %v, want %v naming the file", tc.path, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still loading after 5s", tc.path)
		}
	}
}

func TestSnapshotWhileObserving(t *testing.T) {
	s := NewStore(1000, 0, nil)
	s.SetFamilies([]*Family{ifUp()})
	up := s.Family("snmptrap_interface_up")
	testfixtures.InBackground(t, 4, func(g, i int) {
		s.Observe(srcA, fmt.Sprintf("d%d", i%50), fmt.Sprintf("T%d", g), time.Time{})
		s.Update(Update{Family: up, Op: OpSet, Src: srcA, Device: fmt.Sprintf("d%d", i%50), Values: []string{fmt.Sprint(g)}, Value: float64(i % 2), At: time.Time{}, TTL: up.TTL})
	})
	var buf []byte
	for range 50 {
		buf, _ = s.EncodeSnapshot(buf[:0])
		if _, err := decodeSnapshot(buf); err != nil {
			t.Fatal(err)
		}
	}
}

// benchStore has n trap series on n/4 devices and n/100 interface states.
func benchStore(b *testing.B, n int) *Store {
	s := NewStore(0, 0, nil)
	s.SetFamilies([]*Family{ifUp()})
	up := s.Family("snmptrap_interface_up")
	traps := []string{"IF-MIB::linkDown", "IF-MIB::linkUp", "SNMPv2-MIB::coldStart", "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"}
	for i := range n {
		d := i / 4
		dev := fmt.Sprintf("10.%d.%d.%d", d>>16&255, d>>8&255, d&255)
		s.Observe(netip.Addr{}, dev, traps[i%4], time.Time{})
		if i%100 == 0 {
			s.Update(Update{Family: up, Op: OpSet, Src: netip.Addr{}, Device: dev, Values: []string{fmt.Sprint(i % 48)}, Value: 0, At: time.Time{}, TTL: up.TTL})
		}
	}
	return s
}

// BenchmarkSnapshotSave100k encodes 100,000 series (and 1,000 derived),
// and writes them as the exporter does: atomically, with fsync.
func BenchmarkSnapshotSave100k(b *testing.B) {
	s := benchStore(b, 100000)
	path := filepath.Join(b.TempDir(), SnapshotFileName)
	b.Run("encode", func(b *testing.B) {
		var buf []byte
		var info SnapshotInfo
		b.ReportAllocs()
		for b.Loop() {
			buf, info = s.EncodeSnapshot(buf[:0])
		}
		b.ReportMetric(float64(info.Bytes), "file-bytes")
	})
	b.Run("encode+write", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = s.EncodeSnapshot(buf[:0])
			if err := atomicfile.Write(path, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSnapshotRestore100k checks, decodes and applies a snapshot of
// 100,000 series into an empty store, as at start.
func BenchmarkSnapshotRestore100k(b *testing.B) {
	snap := encode(benchStore(b, 100000))
	b.ReportAllocs()
	b.SetBytes(int64(len(snap)))
	for b.Loop() {
		r := NewStore(0, 0, nil)
		r.SetFamilies([]*Family{ifUp()})
		if res, err := r.Restore(snap); err != nil || res.Traps != 100000 || res.Derived != 1000 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// FuzzDecodeSnapshot: no input makes the decoder or a restore panic, and
// what it accepts restores and re-encodes to the same series.
func FuzzDecodeSnapshot(f *testing.F) {
	s, _ := snapshotStore(f)
	good := encode(s)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"snapshot":"snmptrap_exporter series","version":1,"records":0}` + "\n" + `{"sha256":"x"}` + "\n"))
	empty := encode(NewStore(0, 0, nil))
	f.Add(empty)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeSnapshot(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("error %v does not wrap ErrCorruptSnapshot", err)
			}
			return
		}
		r := NewStore(0, 0, nil)
		r.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()})
		r.apply(d)
		again := encode(r)
		if _, err := decodeSnapshot(again); err != nil {
			t.Fatalf("a restored store's snapshot does not decode: %v\n%s", err, again)
		}
	})
}

// FuzzSnapshotRecords fuzzes the records behind a valid header and
// checksum, which FuzzDecodeSnapshot rarely gets past.
func FuzzSnapshotRecords(f *testing.F) {
	s, _ := snapshotStore(f)
	good := encode(s)
	lines := bytes.SplitAfter(good, []byte("\n"))
	f.Add(bytes.Join(lines[1:len(lines)-2], nil))
	f.Add([]byte(`{"kind":"trap","device":"a","trap":"b","count":18446744073709551615,"last_ns":-9223372036854775808}` + "\n" +
		`{"kind":"trap","device":"a","trap":"b","count":1,"last_ns":1}` + "\n"))
	f.Add([]byte(`{"kind":"derived","family":"snmptrap_interface_info","type":"gauge","labels":["ifIndex","ifDescr"],"key_labels":1,"device":"d","values":["1","x"],"value":"NaN","updated_ns":1}` + "\n" +
		`{"kind":"derived","family":"snmptrap_interface_info","type":"gauge","labels":["ifIndex","ifDescr"],"key_labels":1,"device":"d","values":["1","y"],"value":1e308,"updated_ns":2}` + "\n"))
	f.Add([]byte(`{"kind":"overflow","count":3,"last_ns":5,"device":"x"}` + "\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		b := fmt.Appendf(nil, `{"snapshot":"snmptrap_exporter series","version":1,"records":%d}`+"\n", bytes.Count(body, []byte("\n")))
		b = append(b, body...)
		sum := sha256.Sum256(b)
		b = fmt.Appendf(b, `{"sha256":"%x"}`+"\n", sum)
		r := NewStore(3, 0, nil)
		r.SetFamilies([]*Family{ifUp(), ifInfo(), restarts()})
		r.SetLimits(Limits{PerDevice: 2})
		if _, err := r.Restore(b); err != nil {
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("error %v does not wrap ErrCorruptSnapshot", err)
			}
			return
		}
		if r.Len() > 3 {
			t.Fatalf("%d series restored past the cap of 3", r.Len())
		}
		again := encode(r)
		if _, err := decodeSnapshot(again); err != nil {
			t.Fatalf("a restored store's snapshot does not decode: %v\n%s", err, again)
		}
	})
}
