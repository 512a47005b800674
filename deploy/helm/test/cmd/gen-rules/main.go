// Command gen-rules copies alerts/snmptrap.rules.yml into the Helm chart
// (files/snmptrap.rules.yml), from which the chart's PrometheusRule is made.
// Run it from deploy/helm/test: `go generate ./...`.
package main

import (
	"fmt"
	"os"

	charttest "github.com/snmptrap-exporter/snmptrap_exporter/deploy/helm/test"
)

func main() {
	if err := charttest.WriteChartRules("."); err != nil {
		fmt.Fprintln(os.Stderr, "gen-rules:", err)
		os.Exit(1)
	}
}
