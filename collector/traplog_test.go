package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"
)

// Every result of every configured output is exported, at 0 from the
// start; no output configured, no series.
func TestTrapLogCollector(t *testing.T) {
	c := NewTrapLogCollector(func() []traplog.Stats {
		return []traplog.Stats{{Output: traplog.OutputFile, Written: 5, Dropped: 2, Paused: 1500 * time.Millisecond}, {Output: traplog.OutputOTLP, Failed: 1}}
	})
	want := `# HELP snmptrap_trap_log_paused_seconds_total Time the trap log outputs waited before rendering records because the receive path was behind (a UDP read found more datagrams waiting than it takes). Records the trap history dropped meanwhile count as dropped.
# TYPE snmptrap_trap_log_paused_seconds_total counter
snmptrap_trap_log_paused_seconds_total{output="file"} 1.5
snmptrap_trap_log_paused_seconds_total{output="otlp"} 0
# HELP snmptrap_trap_log_records_total ` + trapLogHelp + `
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
