package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"encoding/hex"
	"github.com/go-kit/log"
)

// engineBoots at 2^31-1 is logged at error level with the remedy that fits
// the configuration, and reported in the Result (the collector counts it).
func TestStartEngineBootsExhausted(t *testing.T) {
	for _, tc := range []struct {
		name, engineID, boots, remedy string
		want                          float64
	}{
		{"fine", "", "12345", "", 0},
		{"from the file", "", "2147483647", "delete ", 1},
		{"configured", "8000000005aabbccdd", "2147483647", "set a new engine_id", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "engine.json"), []byte(`{"version":1,"engine_id":"8000000005aabbccdd","boots":`+tc.boots+`}`), 0o600)
			var logs bytes.Buffer
			configured, _ := hex.DecodeString(tc.engineID)
			if tc.engineID == "" {
				configured = nil
			}
			_, res, err := Start(dir, configured, log.NewLogfmtLogger(&logs))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.BootsExhausted; got != (tc.want == 1) {
				t.Errorf("BootsExhausted = %v, want %v", got, tc.want == 1)
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
