// Command mibgen writes mib/builtin_table.go. Run it with `go generate ./mib`
// (it works in the mib directory).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib/internal/gen"
)

func main() {
	dir := flag.String("dir", ".", "the mib package directory (holding mibs/ and extra.csv)")
	out := flag.String("o", "builtin_table.go", "output file")
	flag.Parse()
	src, err := gen.Generate(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mibgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mibgen:", err)
		os.Exit(1)
	}
}
