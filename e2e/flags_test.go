package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestMaxMessageSizeFlag: --trap.max-message-size over 1 MiB (or under
// SNMP's 484) stops the start with exit code 2 and a line that gives the
// bounds; the largest value allowed starts.
func TestMaxMessageSizeFlag(t *testing.T) {
	need(t)
	for _, v := range []string{"2000000000", "1048577", "483", "0"} {
		p := freePort(t)
		out, code := runBinary(t, binary, nil, "--web.listen-address=127.0.0.1:0", "--storage.path="+t.TempDir(),
			fmt.Sprintf("--trap.listen-address=tcp://127.0.0.1:%d", p), "--trap.max-message-size="+v)
		want := "--trap.max-message-size must be between 484 and 1048576, got " + v
		if code != 2 || !strings.Contains(out, want) {
			t.Errorf("--trap.max-message-size=%s: exit %d, want 2 with %q; output:\n%s", v, code, want, out)
		}
	}
	p := freePort(t)
	e := start(t, fmt.Sprintf("--trap.listen-address=tcp://127.0.0.1:%d", p), "--trap.max-message-size=1048576")
	e.stop()
}
