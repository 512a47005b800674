package main

import (
	"os/exec"
	"strings"
	"testing"
)

// Only collector/ imports the Prometheus client library: the store
// (internal/metrics), the pipeline, the receiver, the managers and the rest
// are free of it, so that the flow runs one way (DESIGN.md) and the store
// can be tested without it. The command itself wires the collector in and
// imports the library through it only.
func TestOnlyCollectorImportsClientGolang(t *testing.T) {
	const client = "github.com/prometheus/client_golang"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		if strings.HasPrefix(pkg, "github.com/snmptrap-exporter/snmptrap_exporter/collector") {
			continue
		}
		if pkg == "github.com/snmptrap-exporter/snmptrap_exporter" {
			deps = mainImports(t)
		}
		for _, d := range strings.Fields(deps) {
			if strings.HasPrefix(d, client) {
				t.Errorf("%s depends on %s", pkg, d)
				break
			}
		}
	}
}

// mainImports returns the command's own imports.
func mainImports(t *testing.T) string {
	out, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return string(out)
}
