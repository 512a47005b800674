// Command vendormibgen writes mib/vendor_table.bin and
// mib/vendor_report.md from a directory of vendor MIB directories
// (netdisco-mibs' layout). Run it with `go generate ./mib` with
// SNMPTRAP_FIXTURES set (it works in the mib directory; a relative
// SNMPTRAP_FIXTURES is taken from the repository root), or by hand:
// go run ./mib/internal/vendormibgen -root DIR -o mib/vendor_table.bin
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib/internal/vendorgen"
)

func main() {
	root := flag.String("root", "", "the vendor MIB directories (default: $SNMPTRAP_FIXTURES/mibs/vendor-reference/netdisco)")
	out := flag.String("o", "vendor_table.bin", "the table")
	rep := flag.String("report", "vendor_report.md", "the report")
	flag.Parse()
	if *root == "" {
		f := os.Getenv("SNMPTRAP_FIXTURES")
		if f == "" {
			fmt.Fprintln(os.Stderr, "vendormibgen: no -root and no SNMPTRAP_FIXTURES; the vendor table is left as it is")
			return
		}
		if !filepath.IsAbs(f) {
			// As for the tests: relative to the repository root, not to
			// mib/, where go generate runs this.
			f = filepath.Join(repoRoot(), f)
		}
		*root = filepath.Join(f, "mibs", "vendor-reference", "netdisco")
	}
	res, err := vendorgen.Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vendormibgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, res.Table, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "vendormibgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*rep, res.Report, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "vendormibgen:", err)
		os.Exit(1)
	}
	fmt.Printf("vendormibgen: %d notifications, %d objects, %d modules from %d files; %d bytes\n",
		res.Notifications, res.Objects, res.Modules, res.Files, len(res.Table))
}

// repoRoot returns the directory holding go.mod above the working
// directory, or "." if there is none.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return "."
		}
	}
}
