// Package charttest tests the Helm chart in deploy/helm/snmptrap-exporter:
// it renders the chart with Helm, decodes every object strictly into the
// Kubernetes and prometheus-operator API types and checks what matters. It
// is a module of its own so that those API modules stay out of the
// exporter's go.mod.
//
// It also keeps the chart's copy of the alert rules in step with
// alerts/snmptrap.rules.yml: `go generate ./...` here writes it.
package charttest

//go:generate go run ./cmd/gen-rules

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Paths relative to this directory (deploy/helm/test).
const (
	// ChartDir is the chart.
	ChartDir = "../snmptrap-exporter"
	// AlertsFile is the repository's alert rules, the source of the chart's copy.
	AlertsFile = "../../../alerts/snmptrap.rules.yml"
	// ChartRulesFile is the chart's copy, which templates/prometheusrule.yaml reads.
	ChartRulesFile = ChartDir + "/files/snmptrap.rules.yml"
)

// rulesHeader starts the chart's copy; the rest is the alerts file byte for byte.
const rulesHeader = "# Generated from alerts/snmptrap.rules.yml: do not edit. To update it:\n" +
	"#   (cd deploy/helm/test && go generate ./...)\n" +
	"# templates/prometheusrule.yaml reads it with .Files.Get, which does not\n" +
	"# render it, so the {{ $labels.x }} in the annotations reach Prometheus as they are.\n"

// ChartRules returns what the chart's copy of the rules must hold, given the
// alerts file.
func ChartRules(alerts []byte) []byte {
	return append([]byte(rulesHeader), alerts...)
}

// WriteChartRules writes the chart's copy from the alerts file, the paths
// relative to dir (deploy/helm/test).
func WriteChartRules(dir string) error {
	src, err := os.ReadFile(filepath.Join(dir, AlertsFile))
	if err != nil {
		return err
	}
	want := ChartRules(src)
	dst := filepath.Join(dir, ChartRulesFile)
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, want) {
		return nil
	}
	if err := os.WriteFile(dst, want, 0o644); err != nil {
		return fmt.Errorf("writing the chart's rules: %w", err)
	}
	return nil
}
