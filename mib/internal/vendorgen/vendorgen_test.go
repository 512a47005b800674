package vendorgen

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/race"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// The tests below read the 2,175 vendor MIB files: they run when
// SNMPTRAP_FIXTURES is set (and fail when it names a folder without them),
// and not under the race detector, which would make them take many
// minutes; scripts/test.sh runs them once more without it.

// netdisco returns the vendor MIB directory of the shared fixtures.
func netdisco(t *testing.T) string {
	t.Helper()
	root := testfixtures.Path(t, "mibs/vendor-reference/netdisco")
	if race.Enabled {
		t.Skip("slow (the whole vendor MIB set); scripts/test.sh runs it without -race")
	}
	return root
}

// The committed table and report are what the generator makes from the
// fixtures, byte for byte: no hand edits, and a change to the loader or
// the rule that changes the table shows up here until it is regenerated.
func TestVendorReproducible(t *testing.T) {
	root := netdisco(t)
	t.Parallel()
	start := time.Now()
	res, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d notifications, %d objects, %d modules from %d files in %v",
		res.Notifications, res.Objects, res.Modules, res.Files, time.Since(start).Round(time.Second))
	for _, f := range []struct {
		name string
		got  []byte
	}{{"vendor_table.bin", res.Table}, {"vendor_report.md", res.Report}} {
		want, err := os.ReadFile(filepath.Join("..", "..", f.name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.got, want) {
			t.Errorf("mib/%s differs from what the generator makes (%d bytes, committed %d): regenerate it with\n"+
				"\tcd mib && SNMPTRAP_FIXTURES=%s go run ./internal/vendormibgen\nand commit the result",
				f.name, len(f.got), len(want), os.Getenv(testfixtures.Env))
		}
	}
}

// Agreement with net-snmp, measured when this test was written (21,504 of
// 21,780; see mib/README.md, "Checked against net-snmp"). The thresholds
// sit a little below, so that a regression fails the test while a small,
// explained change to the MIB set does not.
const (
	minAgreeAll    = 0.985
	minAgreeVendor = 0.995 // cisco/, juniper/, nortel/ each
)

// A disagreement's class (see mib/README.md).
const (
	classModule  = "other module" // same name, another module at the OID
	className    = "other name"   // same module, another name at the OID
	classBoth    = "both differ"
	classUnnamed = "net-snmp has no name" // it prints a shorter prefix and an index
)

type disagreement struct {
	oid, ours, theirs, dir, class string
}

// Every notification of the committed table is looked up with net-snmp's
// snmptranslate over the same directories (and the shipped IETF modules
// for the base SMI, as the generator's loader has them); module and name
// must agree for nearly all. TestVendorReproducible ties the committed
// table to the generator.
func TestVendorAgainstNetSNMP(t *testing.T) {
	root := netdisco(t)
	t.Parallel()
	exe, err := exec.LookPath("snmptranslate")
	if err != nil {
		t.Fatal("snmptranslate (Debian package snmp; scripts/test.sh installs it) is needed with SNMPTRAP_FIXTURES set: ", err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "vendor_table.bin"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := mib.DecodeVendor(data)
	if err != nil {
		t.Fatal(err)
	}
	dirs, copies, _, err := scan(root)
	if err != nil {
		t.Fatal(err)
	}
	chosen, _ := choose(copies)
	shipped, err := filepath.Abs(filepath.Join("..", "..", "mibs"))
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, d := range dirs {
		path = append(path, filepath.Join(root, d))
	}
	path = append(path, shipped)

	oids := make([]string, 0, len(table.Notifications))
	for oid := range table.Notifications {
		oids = append(oids, oid)
	}
	slices.Sort(oids)

	// snmptranslate parses every file on each run (about 10 s) and then
	// takes about 1 ms an OID: one run per core.
	const runs = 2
	start := time.Now()
	names := make([]string, len(oids))
	conf := t.TempDir() // no snmp.conf: the host's must not change the answers
	var wg sync.WaitGroup
	errs := make([]error, runs)
	warnings := make([]int, runs)
	for r := range runs {
		lo, hi := r*len(oids)/runs, (r+1)*len(oids)/runs
		wg.Go(func() {
			args := append([]string{"-M", strings.Join(path, ":"), "-m", "ALL"}, oids[lo:hi]...)
			cmd := exec.Command(exe, args...)
			cmd.Env = append(os.Environ(), "MIBS=", "MIBDIRS=", "SNMPCONFPATH="+conf)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[r] = fmt.Errorf("snmptranslate: %v: %s", err, tail(stderr.String()))
				return
			}
			warnings[r] = bytes.Count(stderr.Bytes(), []byte("\n"))
			// One line an OID, with a blank line between them.
			var got []string
			for line := range strings.Lines(stdout.String()) {
				if line = strings.TrimSpace(line); line != "" {
					got = append(got, line)
				}
			}
			if len(got) != hi-lo {
				errs[r] = fmt.Errorf("snmptranslate printed %d names for %d OIDs: %s", len(got), hi-lo, tail(stderr.String()))
				return
			}
			copy(names[lo:hi], got)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("snmptranslate: %d OIDs in %d runs, %v; %d lines of parse warnings on stderr (each run)",
		len(oids), runs, time.Since(start).Round(time.Second), warnings[0])

	type tally struct{ agree, total int }
	byDir := map[string]*tally{}
	all := &tally{}
	var diffs []disagreement
	for i, oid := range oids {
		n := table.Notifications[oid]
		dir := ""
		if c := chosen[n.Module]; c != nil {
			dir = c.dir
		}
		td := byDir[dir]
		if td == nil {
			td = &tally{}
			byDir[dir] = td
		}
		all.total++
		td.total++
		ours := n.Module + "::" + n.Name
		if names[i] == ours {
			all.agree++
			td.agree++
			continue
		}
		diffs = append(diffs, disagreement{oid: oid, ours: ours, theirs: names[i], dir: dir, class: classify(n, names[i])})
	}

	// The summary: by class, and by pair of modules within a class.
	type group struct {
		class, ours, theirs string
		n                   int
		example             disagreement
	}
	groups := map[[3]string]*group{}
	classes := map[string]int{}
	for _, d := range diffs {
		classes[d.class]++
		om, _, _ := strings.Cut(d.ours, "::")
		tm, _, _ := strings.Cut(d.theirs, "::")
		k := [3]string{d.class, om, tm}
		if groups[k] == nil {
			groups[k] = &group{class: d.class, ours: om, theirs: tm, example: d}
		}
		groups[k].n++
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(b.n, a.n), cmp.Compare(a.ours, b.ours), cmp.Compare(a.theirs, b.theirs))
	})
	t.Logf("agree: %d of %d (%.2f%%)", all.agree, all.total, 100*float64(all.agree)/float64(all.total))
	for _, d := range []string{"cisco", "juniper", "nortel"} {
		td := byDir[d]
		if td == nil {
			t.Errorf("no notification of the table comes from %s/", d)
			continue
		}
		t.Logf("  %s/: %d of %d (%.2f%%)", d, td.agree, td.total, 100*float64(td.agree)/float64(td.total))
		if float64(td.agree) < minAgreeVendor*float64(td.total) {
			t.Errorf("%s/: agreement with net-snmp fell to %d of %d, below %.1f%%", d, td.agree, td.total, 100*minAgreeVendor)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(classes)) {
		t.Logf("disagree, %s: %d", c, classes[c])
	}
	for i, g := range list {
		if i == 60 {
			t.Logf("  ... %d more groups", len(list)-i)
			break
		}
		t.Logf("  %s: %d: ours %s, net-snmp %s (e.g. %s: %s, %s)", g.class, g.n, g.ours, g.theirs, g.example.oid, g.example.ours, g.example.theirs)
	}
	out := filepath.Join(t.TempDir(), "disagreements.tsv")
	var b bytes.Buffer
	b.WriteString("oid\tdir\tclass\tours\tnet-snmp\n")
	for _, d := range diffs {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", d.oid, d.dir, d.class, d.ours, d.theirs)
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("the full list: %s (removed when the test ends)", out)
	if float64(all.agree) < minAgreeAll*float64(all.total) {
		t.Errorf("agreement with net-snmp fell to %d of %d, below %.1f%%", all.agree, all.total, 100*minAgreeAll)
	}
}

// classify names how snmptranslate's answer theirs differs from n.
func classify(n *mib.Notification, theirs string) string {
	module, name, ok := strings.Cut(theirs, "::")
	switch {
	case !ok || strings.ContainsAny(name, ". "):
		return classUnnamed
	case module != n.Module && name == n.Name:
		return classModule
	case module == n.Module:
		return className
	default:
		return classBoth
	}
}

// tail returns the end of a long text, for an error message.
func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
