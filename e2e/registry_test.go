package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckOwnMetric: a rule that defines one of the exporter's own
// metrics (here snmptrap_tcp_connections, which a hand-kept list once
// missed) is refused by --config.check and at start, with its line;
// accepted, one linkDown made every scrape answer 500.
func TestConfigCheckOwnMetric(t *testing.T) {
	need(t)
	path := filepath.Join("testdata", "check-metric-clash.yml")
	want := path + ": line 7: rules[0] (clash): metric snmptrap_tcp_connections is one of the exporter's own metrics"
	out, code := runBinary(t, binary, nil, "--config.check", "--config.file="+path)
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("--config.check: exit %d, output %q; want exit 1 and %q", code, out, want)
	}
	out, code = runBinary(t, binary, nil, "--web.listen-address=127.0.0.1:0", "--storage.path="+t.TempDir(),
		fmt.Sprintf("--trap.listen-address=udp://127.0.0.1:%d", freePort(t)), "--config.file="+path)
	if code != 1 || !strings.Contains(out, "line 7: rules[0] (clash)") {
		t.Errorf("start: exit %d, output %q; want exit 1 naming line 7", code, out)
	}
}
