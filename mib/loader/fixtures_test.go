package loader

import (
	"encoding/csv"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// TestLoadFixtures loads the SynOptics reference MIBs (which the project may
// read but not ship) together with the shipped IETF set, both as --mib.dir,
// and checks every notification of the fixtures' notification-table.csv
// (made with libsmi's smidump from the same files): name, module, OID, the
// OIDs of its OBJECTS and their enumerations.
func TestLoadFixtures(t *testing.T) {
	synoptics := testfixtures.Path(t, "mibs/vendor-reference/synoptics")
	csvPath := testfixtures.Path(t, "notification-table.csv")
	shipped, err := shippedDir()
	if err != nil {
		t.Fatal(err)
	}
	tab, errs, took := loadDirs(t, time.Minute, shipped, synoptics)
	t.Logf("shipped IETF set + SynOptics reference MIBs: %d modules, %d objects, %d notifications in %v",
		len(tab.Modules), len(tab.Objects), len(tab.Notifications), took)
	for _, e := range errs {
		if !e.Skipped {
			t.Errorf("unexpected: %v", e)
		}
	}

	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	varbind := regexp.MustCompile(`^([A-Za-z0-9-]+)=([0-9.]+)\[([^{\]]*)(?:\{(.*)\})?\]$`)
	enum := regexp.MustCompile(`^(.+)\((-?[0-9]+)\)$`)
	for _, row := range rows[1:] {
		module, name, oid, status, varbinds := row[0], row[1], row[2], row[3], row[4]
		n := tab.Notifications[oid]
		if n == nil {
			t.Errorf("%s::%s (%s) not loaded", module, name, oid)
			continue
		}
		if n.Module != module || n.Name != name || n.Status != status {
			t.Errorf("%s: got %s::%s (%s), want %s::%s (%s)", oid, n.Module, n.Name, n.Status, module, name, status)
		}
		var want []string
		for _, vb := range strings.Split(varbinds, "; ") {
			if vb == "" {
				continue
			}
			m := varbind.FindStringSubmatch(vb)
			if m == nil {
				t.Fatalf("cannot read varbind %q", vb)
			}
			want = append(want, m[2])
			o := tab.Objects[m[2]]
			if o == nil {
				continue // defined in a shipped module the loader does not return twice? it does: all are --mib.dir here
			}
			if o.Name != m[1] {
				t.Errorf("%s::%s object %s is %s, want %s", module, name, m[2], o.Name, m[1])
			}
			if m[4] == "" {
				continue
			}
			wantEnums := map[int64]string{}
			for _, e := range strings.Split(m[4], ",") {
				em := enum.FindStringSubmatch(e)
				v, _ := strconv.ParseInt(em[2], 10, 64)
				wantEnums[v] = em[1]
			}
			if len(o.Enums) != len(wantEnums) {
				t.Errorf("%s enums = %v, want %v", o.Name, o.Enums, wantEnums)
			}
			for v, l := range wantEnums {
				if o.Enums[v] != l {
					t.Errorf("%s enum %d = %q, want %q", o.Name, v, o.Enums[v], l)
				}
			}
		}
		if strings.Join(n.Objects, " ") != strings.Join(want, " ") {
			t.Errorf("%s::%s objects = %v, want %v", module, name, n.Objects, want)
		}
	}
	if took > 2*startupBound {
		t.Errorf("took %v", took)
	}
}
