package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
)

// engineBoots at 2^31-1 is logged at error level with the remedy that fits
// the configuration, and counted; the kind is exported at 0 from the start.
func TestStartEngineBootsExhausted(t *testing.T) {
	for _, tc := range []struct {
		name, engineID, boots, remedy string
		want                          float64
	}{
		{"fine", "", "12345", "", 0},
		{"from the file", "", "2147483647", "delete ", 1},
		{"configured", "0x8000000005aabbccdd", "2147483647", "set a new engine_id", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "engine.json"), []byte(`{"version":1,"engine_id":"8000000005aabbccdd","boots":`+tc.boots+`}`), 0o600)
			var logs bytes.Buffer
			_, errs, err := startEngine(dir, &config.Config{EngineID: tc.engineID}, log.NewLogfmtLogger(&logs))
			if err != nil {
				t.Fatal(err)
			}
			if got := testutil.ToFloat64(errs.WithLabelValues("boots_exhausted")); got != tc.want {
				t.Errorf("boots_exhausted = %v, want %v", got, tc.want)
			}
			line := logs.String()
			if tc.want == 0 {
				if strings.Contains(line, "level=error") {
					t.Errorf("an error logged:\n%s", line)
				}
				return
			}
			if !strings.Contains(line, "level=error") || !strings.Contains(line, "engineBoots is at its maximum") || !strings.Contains(line, tc.remedy) || !strings.Contains(line, filepath.Join(dir, "engine.json")) {
				t.Errorf("want an error line with the remedy %q and the file:\n%s", tc.remedy, line)
			}
		})
	}
}
