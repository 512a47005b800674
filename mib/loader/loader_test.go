package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// startupBound is the start-up bound the exporter promises for a --mib.dir
// like testdata (a handful of modules): child start, parsing, decoding.
// (Measured: under 0.1 s; under the race detector, 1.5 s.)
const startupBound = 5 * time.Second * timeScale

func self(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func loadDirs(t testing.TB, timeout time.Duration, dirs ...string) (*mib.Table, []FileError, time.Duration) {
	t.Helper()
	start := time.Now()
	tab, errs, err := Load(context.Background(), self(t), dirs, timeout)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Load(%v): %v", dirs, err)
	}
	return tab, errs, took
}

func notification(t *testing.T, tab *mib.Table, oid string) *mib.Notification {
	t.Helper()
	n := tab.Notifications[oid]
	if n == nil {
		t.Fatalf("no notification at %s", oid)
	}
	return n
}

func object(t *testing.T, tab *mib.Table, oid string) *mib.Object {
	t.Helper()
	o := tab.Objects[oid]
	if o == nil {
		t.Fatalf("no object at %s", oid)
	}
	return o
}

// checkAcme checks ACME-TRAP-MIB's definitions, exactly.
func checkAcme(t *testing.T, tab *mib.Table) {
	t.Helper()
	const acme = "1.3.6.1.4.1.99999"
	n := notification(t, tab, acme+".2.0.1")
	want := &mib.Notification{Module: "ACME-TRAP-MIB", Name: "acmeFanFailure", OID: acme + ".2.0.1", Status: "current",
		Objects: []string{acme + ".1.1.1.2", acme + ".1.1.1.3", acme + ".1.1.1.4", "1.3.6.1.2.1.2.2.1.1"}, Source: mib.SourceMIBDir}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("acmeFanFailure = %+v, want %+v", n, want)
	}
	if n := notification(t, tab, acme+".2.0.2"); n.Name != "acmeFanRecovered" || len(n.Objects) != 2 {
		t.Errorf("acmeFanRecovered = %+v", n)
	}
	wantObjects := map[string]mib.Object{
		acme:              {Name: "acmeTrapMIB", Kind: mib.KindNode},
		acme + ".1":       {Name: "acmeObjects", Kind: mib.KindNode},
		acme + ".2.0":     {Name: "acmeNotifPrefix", Kind: mib.KindNode},
		acme + ".1.1":     {Name: "acmeFanTable", Kind: mib.KindTable},
		acme + ".1.1.1":   {Name: "acmeFanEntry", Kind: mib.KindRow},
		acme + ".1.1.1.1": {Name: "acmeFanIndex", Kind: mib.KindColumn, Syntax: mib.SyntaxInteger},
		acme + ".1.1.1.2": {Name: "acmeFanStatus", Kind: mib.KindColumn, Syntax: mib.SyntaxInteger,
			Enums: map[int64]string{1: "ok", 2: "failed", 3: "absent"}},
		acme + ".1.1.1.3": {Name: "acmeFanName", Kind: mib.KindColumn, Syntax: mib.SyntaxDisplayString, TC: "DisplayString", Hint: "255a"},
		acme + ".1.1.1.4": {Name: "acmeFanSeverity", Kind: mib.KindColumn, Syntax: mib.SyntaxInteger, TC: "AcmeSeverity",
			Enums: map[int64]string{1: "info", 2: "minor", 3: "major", 4: "critical"}},
		acme + ".1.1.1.5": {Name: "acmeFanTurns", Kind: mib.KindColumn, Syntax: mib.SyntaxCounter64},
	}
	for oid, w := range wantObjects {
		w.Module, w.OID, w.Source = "ACME-TRAP-MIB", oid, mib.SourceMIBDir
		if got := object(t, tab, oid); !reflect.DeepEqual(*got, w) {
			t.Errorf("object %s = %+v, want %+v", oid, *got, w)
		}
	}
}

func TestLoadGood(t *testing.T) {
	tab, errs, took := loadDirs(t, 30*time.Second, "testdata/good")
	t.Logf("start-up cost of --mib.dir=testdata/good (1 module, child process included): %v", took)
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	if !slices.Equal(tab.Modules, []string{"ACME-TRAP-MIB"}) {
		t.Errorf("modules = %v", tab.Modules)
	}
	checkAcme(t, tab)
	// Nothing of the shipped modules comes back: the built-in table has them.
	if o := tab.Objects["1.3.6.1.2.1.2.2.1.1"]; o != nil {
		t.Errorf("ifIndex came back from the loader: %+v", o)
	}
	if took > startupBound {
		t.Errorf("took %v, bound %v", took, startupBound)
	}
}

// findError returns the FileError for a file (by base name) whose message
// contains substr.
func findError(errs []FileError, file, substr string) *FileError {
	for i, e := range errs {
		if filepath.Base(e.File) == file && strings.Contains(e.Message, substr) {
			return &errs[i]
		}
	}
	return nil
}

func TestLoadMixed(t *testing.T) {
	tab, errs, took := loadDirs(t, 30*time.Second, "testdata/mixed")
	t.Logf("start-up cost of --mib.dir=testdata/mixed (good, syntax error, missing import, non-MIB): %v", took)
	for _, e := range errs {
		t.Logf("reported: %v (skipped=%v)", e, e.Skipped)
	}
	checkAcme(t, tab) // from acme-trap.my: found by module name, not file name

	if e := findError(errs, "syntax-error.mib", "syntax error"); e == nil {
		t.Error("syntax error not reported")
	} else if e.Line != 20 || e.Module != "ACME-BROKEN-MIB" || !strings.Contains(e.Message, `"two"`) || e.Skipped {
		t.Errorf("syntax error reported as %+v, want line 20 naming the token", *e)
	}
	if e := findError(errs, "missing-import.mib", "ACME-VENDOR-ROOT-MIB"); e == nil {
		t.Error("missing import not reported")
	} else if e.Line != 5 || !strings.Contains(e.Message, "acmeVendorRoot") || e.Skipped {
		t.Errorf("missing import reported as %+v, want line 5 naming acmeVendorRoot", *e)
	}
	if e := findError(errs, "README.txt", "not a MIB"); e == nil || !e.Skipped {
		t.Errorf("non-MIB file: %+v", e)
	}
	if !slices.Equal(tab.Modules, []string{"ACME-TRAP-MIB", "ACME-ORPHAN-MIB"}) {
		t.Errorf("modules = %v", tab.Modules)
	}
	for oid, o := range tab.Objects {
		if o.Module != "ACME-TRAP-MIB" {
			t.Errorf("object %s from %s: a definition hanging off the missing import came through", oid, o.Module)
		}
	}
	if took > startupBound {
		t.Errorf("took %v, bound %v", took, startupBound)
	}
}

func TestLoadDirs(t *testing.T) {
	empty := t.TempDir()
	tab, errs, _ := loadDirs(t, 30*time.Second, empty)
	if len(errs) != 0 || len(tab.Objects) != 0 || len(tab.Notifications) != 0 || len(tab.Modules) != 0 {
		t.Errorf("empty dir: %+v, %v", tab, errs)
	}

	missing := filepath.Join(empty, "no-such-dir")
	file := filepath.Join("testdata", "good", "ACME-TRAP-MIB.mib")
	tab, errs, _ = loadDirs(t, 30*time.Second, missing, file, "testdata/good", "testdata/good/", "./testdata/good")
	checkAcme(t, tab)
	if e := findError(errs, "no-such-dir", "cannot read MIB directory"); e == nil || !strings.Contains(e.Error(), missing) {
		t.Errorf("missing dir not named: %v", errs)
	}
	if e := findError(errs, "ACME-TRAP-MIB.mib", "not a directory"); e == nil {
		t.Errorf("file as dir not reported: %v", errs)
	}
	if len(errs) != 2 {
		t.Errorf("want 2 errors (a directory given three times is read once): %v", errs)
	}

	t.Run("no dirs", func(t *testing.T) {
		tab, errs, err := Load(context.Background(), "/nonexistent", nil, time.Second)
		if err != nil || len(errs) != 0 || tab == nil || tab.Objects == nil {
			t.Errorf("Load(no dirs) = %v, %v, %v", tab, errs, err)
		}
	})
}

func TestLoadTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sleep   string
		timeout time.Duration
	}{
		{"hung child", "1m", 300 * time.Millisecond},
		{"1ns", "", time.Nanosecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envSleep, tc.sleep)
			start := time.Now()
			tab, _, err := Load(context.Background(), self(t), []string{"testdata/good"}, tc.timeout)
			took := time.Since(start)
			t.Logf("returned after %v: %v", took, err)
			if err == nil || tab != nil || !strings.Contains(err.Error(), "timed out") {
				t.Errorf("Load = %v, %v; want a time-out", tab, err)
			}
			if took > tc.timeout+3*time.Second*timeScale {
				t.Errorf("took %v for a %v time-out", took, tc.timeout)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := Load(ctx, self(t), []string{"testdata/good"}, time.Minute); err == nil {
			t.Error("no error from a cancelled context")
		}
	})
}

func TestLoadNamesFileOnTimeout(t *testing.T) {
	// The parser hangs in one file (as gosmi has been seen to do): the
	// time-out names it.
	dir := t.TempDir()
	copyFile(t, "testdata/good/ACME-TRAP-MIB.mib", filepath.Join(dir, "ACME-TRAP-MIB.mib"))
	writeBigModule(t, filepath.Join(dir, "HANG-MIB.my"), "HANG-MIB", 99992, 3)
	t.Setenv(envHang, "HANG-MIB")
	timeout := childStartup
	start := time.Now()
	_, _, err := Load(context.Background(), self(t), []string{dir}, timeout)
	t.Logf("after %v: %v", time.Since(start), err)
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "while parsing "+filepath.Join(dir, "HANG-MIB.my")) {
		t.Errorf("error %v does not name the file being parsed", err)
	}
	if took := time.Since(start); took > timeout+3*time.Second {
		t.Errorf("took %v for a %v time-out", took, timeout)
	}

	// A real parse cut short (no hook): the message names the file it was
	// in. childStartup is enough for the child to start and open BIG-MIB,
	// and parsing its 40000 objects takes several times that (measured:
	// 4 s without the race detector, before a few milliseconds in
	// SNMPv2-SMI for its imports), so the time-out falls inside BIG-MIB.
	big := t.TempDir()
	bigFile := filepath.Join(big, "BIG-MIB.mib")
	const objects = 40000
	writeBigModule(t, bigFile, "BIG-MIB", 99990, objects)
	t.Setenv(envHang, "")
	start = time.Now()
	tab, _, err := Load(context.Background(), self(t), []string{big}, timeout)
	t.Logf("%d objects, after %v: %v", objects, time.Since(start), err)
	if err == nil || tab != nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "while parsing "+bigFile) {
		t.Errorf("Load gave a table: %v, error %v; want a time-out naming %s", tab != nil, err, bigFile)
	}
	if took := time.Since(start); took > timeout+3*time.Second {
		t.Errorf("took %v for a %v time-out", took, timeout)
	}
}

func TestLoadCrashRetry(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/good/ACME-TRAP-MIB.mib", filepath.Join(dir, "ACME-TRAP-MIB.mib"))
	writeBigModule(t, filepath.Join(dir, "CRASHY-MIB.txt"), "CRASHY-MIB", 99991, 2)
	t.Setenv(envCrash, "CRASHY-MIB")
	tab, errs, err := Load(context.Background(), self(t), []string{dir}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkAcme(t, tab)
	e := findError(errs, "CRASHY-MIB.txt", "crashed")
	if e == nil || !strings.Contains(e.Message, "simulated crash") {
		t.Errorf("crash not reported: %v", errs)
	}

	// A crash in the shipped set is not retried: nothing would load.
	t.Setenv(envCrash, "SNMPv2-SMI")
	if _, _, err := Load(context.Background(), self(t), []string{dir}, 30*time.Second); err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Errorf("crash in a shipped module: %v", err)
	}
}

func TestLoadImportCycle(t *testing.T) {
	tab, errs, took := loadDirs(t, 30*time.Second, "testdata/cycle")
	t.Logf("three modules importing in a circle: %v", took)
	var cycles int
	for _, e := range errs {
		t.Log(e)
		if strings.Contains(e.Message, "import cycle") {
			cycles++
		}
	}
	if cycles == 0 {
		t.Error("import cycle not reported")
	}
	// The modules still load; what hangs off the circle has no OID.
	if o := tab.Objects["1.3.6.1.4.1.424242"]; o == nil || o.Name != "cycRoot" {
		t.Errorf("cycRoot: %+v", o)
	}
	if took > startupBound {
		t.Errorf("took %v, bound %v", took, startupBound)
	}
}

func TestLoadMultiModuleFile(t *testing.T) {
	tab, errs, _ := loadDirs(t, 30*time.Second, "testdata/multi")
	if !slices.Equal(tab.Modules, []string{"ACME-TC-MIB", "ACME-LAMP-MIB"}) {
		t.Errorf("modules = %v", tab.Modules)
	}
	lamp := object(t, tab, "1.3.6.1.4.1.99996.1.1")
	if lamp.Name != "acmeLamp" || lamp.TC != "AcmeOnOff" || !reflect.DeepEqual(lamp.Enums, map[int64]string{1: "on", 2: "off"}) {
		t.Errorf("acmeLamp = %+v", lamp)
	}
	if n := notification(t, tab, "1.3.6.1.4.1.99996.1.0.1"); n.Name != "acmeLampChanged" || !slices.Equal(n.Objects, []string{"1.3.6.1.4.1.99996.1.1"}) {
		t.Errorf("acmeLampChanged = %+v", n)
	}
	e := findError(errs, "two-modules.mib", "syntax error")
	if e == nil || e.Line != 58 || e.Module != "ACME-BAD-TWIN-MIB" {
		t.Errorf("syntax error in the third module: %+v (all: %v)", e, errs)
	} else {
		t.Log(e)
	}
}

func TestLoadOverrides(t *testing.T) {
	shipped, err := shippedDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// An operator's copy of IF-MIB replaces the shipped one; a copy of
	// SNMPv2-SMI does not; two copies of one module: the first is used.
	copyFile(t, filepath.Join(shipped, "IF-MIB.txt"), filepath.Join(dir, "IF-MIB.my"))
	copyFile(t, filepath.Join(shipped, "SNMPv2-SMI.txt"), filepath.Join(dir, "SNMPv2-SMI"))
	copyFile(t, "testdata/good/ACME-TRAP-MIB.mib", filepath.Join(dir, "a.mib"))
	copyFile(t, "testdata/good/ACME-TRAP-MIB.mib", filepath.Join(dir, "b.mib"))
	tab, errs, _ := loadDirs(t, 30*time.Second, dir)
	checkAcme(t, tab)
	if !slices.Contains(tab.Modules, "IF-MIB") || tab.Notifications["1.3.6.1.6.3.1.1.5.3"] == nil {
		t.Errorf("operator's IF-MIB not loaded: %v", tab.Modules)
	}
	if e := findError(errs, "SNMPv2-SMI", "shipped copy is used"); e == nil || !e.Skipped {
		t.Errorf("core module copy: %v", errs)
	}
	if e := findError(errs, "b.mib", "also in"); e == nil || e.Skipped || !strings.Contains(e.Message, "a.mib") {
		t.Errorf("duplicate module: %v", errs)
	}
}

// TestLoadShipped loads the shipped IETF directory itself as --mib.dir.
func TestLoadShipped(t *testing.T) {
	dir, err := shippedDir()
	if err != nil {
		t.Fatal(err)
	}
	tab, errs, took := loadDirs(t, 60*time.Second, dir)
	t.Logf("shipped IETF set as --mib.dir: %d modules, %d objects, %d notifications in %v",
		len(tab.Modules), len(tab.Objects), len(tab.Notifications), took)
	for _, e := range errs {
		if !e.Skipped {
			t.Errorf("unexpected: %v", e)
		}
	}
	linkDown := notification(t, tab, "1.3.6.1.6.3.1.1.5.3")
	if linkDown.Name != "linkDown" || linkDown.Module != "IF-MIB" || len(linkDown.Objects) != 3 {
		t.Errorf("linkDown = %+v", linkDown)
	}
	status := object(t, tab, "1.3.6.1.2.1.2.2.1.8")
	if status.Name != "ifOperStatus" || status.Enums[2] != "down" || status.Syntax != mib.SyntaxInteger {
		t.Errorf("ifOperStatus = %+v", status)
	}
	if o := object(t, tab, "1.3.6.1.2.1.1.3"); o.Syntax != mib.SyntaxTimeTicks {
		t.Errorf("sysUpTime = %+v", o)
	}
	if took > 2*startupBound {
		t.Errorf("took %v", took)
	}
}

func TestLoadLargeDir(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	files, objects := 100/timeScale+5, 50
	for i := range files {
		writeBigModule(t, filepath.Join(dir, fmt.Sprintf("m%03d.mib", i)), fmt.Sprintf("LARGE-%03d-MIB", i), 50000+i, objects)
	}
	tab, errs, took := loadDirs(t, 2*time.Minute, dir)
	t.Logf("%d modules of %d objects: %v", files, objects, took)
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs[:min(len(errs), 5)])
	}
	if len(tab.Modules) != files || len(tab.Notifications) != files {
		t.Errorf("%d modules, %d notifications", len(tab.Modules), len(tab.Notifications))
	}
}

// TestMainInProcess runs the child's body directly: its output is one JSON
// document that Decode takes, and its progress events pair up.
func TestMainInProcess(t *testing.T) {
	fsys := mib.Files
	var out, events bytes.Buffer
	if rc := Main([]string{"testdata/mixed", "testdata/good"}, nil, fsys, &out, &events); rc != 0 {
		t.Fatalf("Main = %d; stderr: %s", rc, events.String())
	}
	var doc document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != formatVersion || doc.Stats["files"] != 5 {
		t.Errorf("version %d, stats %v", doc.Version, doc.Stats)
	}
	tab, errs, err := Decode(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checkAcme(t, tab)
	// testdata/good's copy of ACME-TRAP-MIB is a duplicate of mixed's.
	if e := findError(errs, "ACME-TRAP-MIB.mib", "also in"); e == nil {
		t.Errorf("duplicate not reported: %v", errs)
	}
	tr := &tracker{}
	tr.Write(events.Bytes())
	if len(tr.open) != 0 || len(tr.tail) != 0 {
		t.Errorf("after a clean run: open %v, other lines %v", tr.open, tr.tail)
	}

	t.Run("too large", func(t *testing.T) {
		old := maxFileSize
		maxFileSize = 1000
		defer func() { maxFileSize = old }()
		out.Reset()
		Main([]string{"testdata/good"}, nil, fsys, &out, &events)
		_, errs, err := Decode(out.Bytes())
		if err != nil || findError(errs, "ACME-TRAP-MIB.mib", "more than the 1000") == nil {
			t.Errorf("%v %v", errs, err)
		}
	})
	t.Run("binary and hidden", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "blob.mib"), []byte("X DEFINITIONS ::= BEGIN\x00\x01END"), 0o644)
		copyFile(t, "testdata/good/ACME-TRAP-MIB.mib", filepath.Join(dir, ".hidden.mib"))
		os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		out.Reset()
		Main([]string{dir}, nil, fsys, &out, &events)
		tab, errs, err := Decode(out.Bytes())
		if err != nil || len(tab.Modules) != 0 || len(errs) != 1 || !errs[0].Skipped {
			t.Errorf("%+v %v %v", tab, errs, err)
		}
	})
	t.Run("skip", func(t *testing.T) {
		out.Reset()
		skip := filepath.Join("testdata", "good", "ACME-TRAP-MIB.mib")
		Main([]string{"testdata/good"}, []string{skip}, fsys, &out, &events)
		tab, errs, err := Decode(out.Bytes())
		if err != nil || len(tab.Modules) != 0 || len(errs) != 0 {
			t.Errorf("%+v %v %v", tab, errs, err)
		}
	})
}

func TestParseArgs(t *testing.T) {
	dirs, skip, err := ParseArgs([]string{"--dir", "a", "--dir=b", "--skip", "c"})
	if err != nil || !slices.Equal(dirs, []string{"a", "b"}) || !slices.Equal(skip, []string{"c"}) {
		t.Errorf("= %v %v %v", dirs, skip, err)
	}
	for _, bad := range [][]string{{"--dir"}, {"x"}, {"--other", "x"}, {"-dir", "x"}} {
		if _, _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q): no error", bad)
		}
	}
}

func TestTracker(t *testing.T) {
	tr := &tracker{}
	in := eventOpen + `"/m/A.mib"` + "\n" + eventOpen + `"/m/B.mib"` + "\n" + eventDone + `"/m/B.mib"` + "\n" +
		eventOpen + `"/m/C.mib"` + "\npanic: boom\n\ngoroutine 1 [running]:\n" + strings.Repeat("x", 10000) + "\n"
	// Fed in small pieces, as a pipe may deliver it.
	for i := 0; i < len(in); i += 7 {
		tr.Write([]byte(in[i:min(i+7, len(in))]))
	}
	if got := tr.current(); got != "/m/C.mib" {
		t.Errorf("current = %q", got)
	}
	if !slices.Equal(tr.open, []string{"/m/A.mib", "/m/C.mib"}) {
		t.Errorf("open = %q", tr.open)
	}
	if tr.lastLine() != ": panic: boom" || len(tr.tail[len(tr.tail)-1]) != maxLine {
		t.Errorf("lastLine %q, tail %d lines", tr.lastLine(), len(tr.tail))
	}
	for range 100 {
		tr.Write([]byte("noise\n"))
	}
	if len(tr.tail) != maxTailLines {
		t.Errorf("tail grew to %d", len(tr.tail))
	}
}

func TestFileErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    FileError
		want string
	}{
		{FileError{File: "/m/x.mib", Line: 3, Column: 7, Module: "X-MIB", Message: "bad"}, "/m/x.mib:3:7: X-MIB: bad"},
		{FileError{File: "/m", Message: "gone"}, "/m: gone"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}

// writeBigModule writes a module under enterprises.arc with n scalars and
// a notification carrying the first.
func writeBigModule(t testing.TB, path, name string, arc, n int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s DEFINITIONS ::= BEGIN\nIMPORTS OBJECT-TYPE, NOTIFICATION-TYPE, Integer32, enterprises FROM SNMPv2-SMI;\n", name)
	fmt.Fprintf(&b, "root OBJECT IDENTIFIER ::= { enterprises %d }\n", arc)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "obj%d OBJECT-TYPE\n  SYNTAX INTEGER { up(1), down(2), testing(3) }\n  MAX-ACCESS read-only\n  STATUS current\n"+
			"  DESCRIPTION \"Object %d, with a description of a realistic length for a vendor MIB.\"\n  ::= { root %d }\n", i, i, i)
	}
	fmt.Fprintf(&b, "trap NOTIFICATION-TYPE\n  OBJECTS { obj1 }\n  STATUS current\n  DESCRIPTION \"A trap.\"\n  ::= { root 0 1 }\nEND\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadImplicitArcs covers nodes that gosmi leaves without an OID:
// siblings under an implicit intermediate arc ({ zroot 0 2 } after
// { zroot 0 1 }), the usual form of converted SMIv1 traps, and nodes
// hanging off them.
func TestLoadImplicitArcs(t *testing.T) {
	dir := t.TempDir()
	const text = `ZERO-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, NOTIFICATION-TYPE, enterprises FROM SNMPv2-SMI;
zroot OBJECT IDENTIFIER ::= { enterprises 88888 }
zt1 NOTIFICATION-TYPE OBJECTS { zs2 } STATUS current DESCRIPTION "1" ::= { zroot 0 1 }
zt2 NOTIFICATION-TYPE OBJECTS { zs1, zs2 } STATUS current DESCRIPTION "2" ::= { zroot 0 2 }
zt3 NOTIFICATION-TYPE STATUS deprecated DESCRIPTION "3" ::= { zroot 0 3 }
zs1 OBJECT-TYPE SYNTAX INTEGER { a(1), b(2) } MAX-ACCESS read-only STATUS current DESCRIPTION "s1" ::= { zroot 5 1 }
zs2 OBJECT-TYPE SYNTAX OCTET STRING MAX-ACCESS read-only STATUS current DESCRIPTION "s2" ::= { zroot 5 2 }
zsub OBJECT IDENTIFIER ::= { zt3 7 }
zabs OBJECT IDENTIFIER ::= { iso(1) org(3) 6 1 4 1 88888 9 }
END
`
	if err := os.WriteFile(filepath.Join(dir, "ZERO-MIB"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, errs, _ := loadDirs(t, 30*time.Second, dir)
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	const z = "1.3.6.1.4.1.88888"
	for oid, want := range map[string]string{z + ".0.1": "zt1", z + ".0.2": "zt2", z + ".0.3": "zt3"} {
		if n := notification(t, tab, oid); n.Name != want {
			t.Errorf("%s = %s, want %s", oid, n.Name, want)
		}
	}
	if n := tab.Notifications[z+".0.2"]; !slices.Equal(n.Objects, []string{z + ".5.1", z + ".5.2"}) {
		t.Errorf("zt2 objects = %v", n.Objects)
	}
	if n := tab.Notifications[z+".0.3"]; n.Status != "deprecated" {
		t.Errorf("zt3 status = %q", n.Status)
	}
	if o := object(t, tab, z+".5.2"); o.Name != "zs2" || o.Kind != mib.KindScalar || o.Syntax != mib.SyntaxOctetString {
		t.Errorf("zs2 = %+v", o)
	}
	if o := object(t, tab, z+".5.1"); o.Name != "zs1" || o.Enums[2] != "b" {
		t.Errorf("zs1 = %+v", o)
	}
	if o := object(t, tab, z+".0.3.7"); o.Name != "zsub" {
		t.Errorf("zsub = %+v", o)
	}
	if o := object(t, tab, z+".9"); o.Name != "zabs" {
		t.Errorf("zabs = %+v", o)
	}
}

// TestLoadSharedArcs covers a root written with implicit arcs through
// another module's part of the tree: SUB-MIB's { enterprises 99990 6 1 }
// after HOLD-SMI (loaded first, and named by nobody) defined 99990 and
// 99990.6. gosmi leaves sub without an OID, and with it everything that
// hangs off it in the modules that import it (SUB-TRAPS-MIB lost all its
// definitions, the SMIv1 TRAP-TYPE with ENTERPRISE sub too). The result
// must not depend on HOLD-SMI being there.
func TestLoadSharedArcs(t *testing.T) {
	const sub = "1.3.6.1.4.1.99990.6.1"
	check := func(t *testing.T, dir string) {
		tab, errs, _ := loadDirs(t, 30*time.Second, dir)
		if len(errs) != 0 {
			t.Errorf("errors: %v", errs)
		}
		want := map[string]*mib.Notification{
			sub + ".0.3": {Module: "SUB-TRAPS-MIB", Name: "subFanFault", OID: sub + ".0.3", Status: "current",
				Objects: []string{sub + ".1.1", sub + ".1.2"}, Source: mib.SourceMIBDir},
			sub + ".0.4": {Module: "SUB-TRAPS-MIB", Name: "subFanRecovered", OID: sub + ".0.4", Status: "current",
				Objects: []string{sub + ".1.1"}, Source: mib.SourceMIBDir},
			sub + ".0.7": {Module: "SUB-TRAPS-MIB", Name: "subLegacyFault", OID: sub + ".0.7", // no STATUS in SMIv1
				Objects: []string{sub + ".1.2"}, Source: mib.SourceMIBDir},
		}
		for oid, w := range want {
			if n := tab.Notifications[oid]; !reflect.DeepEqual(n, w) {
				t.Errorf("%s = %+v, want %+v", oid, n, w)
			}
		}
		if len(tab.Notifications) != len(want) {
			t.Errorf("%d notifications, want %d", len(tab.Notifications), len(want))
		}
		for oid, name := range map[string]string{sub: "sub", sub + ".0": "subTraps", sub + ".1": "subObjects", sub + ".1.1": "subErrorText", sub + ".1.2": "subErrorLevel"} {
			if o := object(t, tab, oid); o.Name != name {
				t.Errorf("%s = %s, want %s", oid, o.Name, name)
			}
		}
	}
	t.Run("after HOLD-SMI", func(t *testing.T) { check(t, "testdata/sharedarc") })
	t.Run("alone", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"2-sub-mib.mib", "3-sub-traps-mib.mib"} {
			copyFile(t, filepath.Join("testdata/sharedarc", f), filepath.Join(dir, f))
		}
		check(t, dir)
	})
}
