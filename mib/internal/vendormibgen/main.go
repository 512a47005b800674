// Command vendormibgen writes mib/vendor_table.bin and
// mib/vendor_report.md from a directory of vendor MIB directories
// (netdisco-mibs' layout). Run it with `go generate ./mib` with
// SNMPTRAP_FIXTURES set (it works in the mib directory), or by hand:
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
