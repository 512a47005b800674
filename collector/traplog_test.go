package collector

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
)

// Every result of every configured output is exported, at 0 from the
// start; no output configured, no series.
func TestTrapLogCollector(t *testing.T) {
	c := NewTrapLogCollector(func() []traplog.Stats {
		return []traplog.Stats{{Output: traplog.OutputFile, Written: 5, Dropped: 2}, {Output: traplog.OutputOTLP, Failed: 1}}
	})
	want := `# HELP snmptrap_trap_log_records_total ` + trapLogHelp + `
# TYPE snmptrap_trap_log_records_total counter
snmptrap_trap_log_records_total{output="file",result="dropped"} 2
snmptrap_trap_log_records_total{output="file",result="failed"} 0
snmptrap_trap_log_records_total{output="file",result="written"} 5
snmptrap_trap_log_records_total{output="otlp",result="dropped"} 0
snmptrap_trap_log_records_total{output="otlp",result="failed"} 1
snmptrap_trap_log_records_total{output="otlp",result="written"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(NewTrapLogCollector(nil)); n != 0 {
		t.Errorf("no outputs: %d series", n)
	}
}
