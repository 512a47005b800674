// Package systemd_test checks the shipped systemd unit: its ExecStart
// flags are the exporter's own, `systemd-analyze verify` finds nothing to
// say about it, and `systemd-analyze security --offline=yes` rates it 2.0
// or lower, the figure deploy/systemd/README.md states.
//
// The systemd-analyze tests skip when the command is missing, and fail
// then when SNMPTRAP_E2E=1 or CI=true: scripts/test.sh installs it
// (Debian package systemd). Nothing here starts systemd or the service.
package systemd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	unitFile = "snmptrap_exporter.service"
	// shippedBinary is where the unit expects the binary; the README's
	// install steps put it there.
	shippedBinary = "/usr/local/bin/snmptrap_exporter"
	// maxExposure is the highest overall exposure accepted, a bound of
	// the project's own: systemd 252 still says "OK" at 3.8.
	maxExposure = 2.0
)

// systemdAnalyze returns the path of systemd-analyze, or skips the test
// without it (fails where the suite must be complete).
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err == nil {
		return p
	}
	msg := "systemd-analyze not found: install the Debian package systemd (scripts/test.sh does)"
	if os.Getenv("SNMPTRAP_E2E") == "1" || os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping")
	return ""
}

var (
	buildOnce sync.Once
	built     string
	buildOut  []byte
	buildErr  error
)

// exporterBinary builds the exporter once, as the e2e suite does (so the
// two share the build cache), into a directory removed when the test
// binary exits.
func exporterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "snmptrap-systemd")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "snmptrap_exporter")
		buildOut, buildErr = exec.Command("go", "build", "-o", built, "../..").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building the exporter: %v\n%s", buildErr, buildOut)
	}
	return built
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
	os.Exit(code)
}

// unit is the shipped unit file, continuation lines joined, as its
// settings: every value of every key, in order, by section.
type unit map[string]map[string][]string

func readUnit(t *testing.T) (unit, []byte) {
	t.Helper()
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	u := unit{}
	section := ""
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: cannot read %q", unitFile, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u, b
}

// one returns the single value of section.key.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	v := u[section][key]
	if len(v) != 1 {
		t.Fatalf("%s: want one %s= in [%s], have %q", unitFile, key, section, v)
	}
	return v[0]
}

// TestUnitFlags runs the exporter with the unit's own ExecStart arguments
// and --config.check: every flag must be one the exporter knows, and the
// paths must be the unit's state and configuration directories.
func TestUnitFlags(t *testing.T) {
	u, _ := readUnit(t)
	argv := strings.Fields(u.one(t, "Service", "ExecStart"))
	if argv[0] != shippedBinary {
		t.Fatalf("ExecStart runs %s, want %s (the README's install path)", argv[0], shippedBinary)
	}
	flags := map[string]string{}
	for _, a := range argv[1:] {
		name, value, ok := strings.Cut(a, "=")
		if !ok || !strings.HasPrefix(name, "--") {
			t.Fatalf("ExecStart argument %q: want --flag=value", a)
		}
		flags[name] = value
	}

	// The paths agree with the directories systemd makes.
	config := "/etc/" + u.one(t, "Service", "ConfigurationDirectory") + "/snmptrap.yml"
	if got := flags["--config.file"]; got != config {
		t.Errorf("--config.file=%s, want %s (in ConfigurationDirectory=)", got, config)
	}
	if got := u.one(t, "Unit", "AssertPathExists"); got != config {
		t.Errorf("AssertPathExists=%s, want the --config.file %s", got, config)
	}
	if got, want := flags["--storage.path"], "/var/lib/"+u.one(t, "Service", "StateDirectory"); got != want {
		t.Errorf("--storage.path=%s, want %s (StateDirectory=)", got, want)
	}

	// The flags parse, and a configuration file of comments only (what
	// the README's install steps make) is valid.
	dir := t.TempDir()
	empty := filepath.Join(dir, "snmptrap.yml")
	if err := os.WriteFile(empty, []byte("# see the exporter's README\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config.check"}
	for _, a := range argv[1:] {
		switch {
		case strings.HasPrefix(a, "--config.file="):
			a = "--config.file=" + empty
		case strings.HasPrefix(a, "--storage.path="):
			a = "--storage.path=" + filepath.Join(dir, "state")
		}
		args = append(args, a)
	}
	out, err := exec.Command(exporterBinary(t), args...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("is valid")) {
		t.Fatalf("snmptrap_exporter %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestUnitVerifies runs systemd-analyze verify on a copy of the unit whose
// ExecStart names a freshly built binary (verify wants it to exist), and
// wants it silent: verify exits 0 on unknown keys and bad values too, and
// only says so.
func TestUnitVerifies(t *testing.T) {
	analyze := systemdAnalyze(t)
	_, b := readUnit(t)
	if !bytes.Contains(b, []byte("ExecStart="+shippedBinary+" ")) {
		t.Fatalf("%s: ExecStart does not run %s", unitFile, shippedBinary)
	}
	copied := bytes.ReplaceAll(b, []byte(shippedBinary), []byte(exporterBinary(t)))
	path := filepath.Join(t.TempDir(), unitFile)
	if err := os.WriteFile(path, copied, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// exposure matches the last line of systemd-analyze security, e.g.
// "→ Overall exposure level for snmptrap_exporter.service: 1.4 OK 🙂"
// (the arrow and the face are plain ASCII outside a UTF-8 locale).
var exposure = regexp.MustCompile(`(?m)Overall exposure level for (\S+): ([0-9]+\.[0-9]+) ([A-Z]+)`)

// TestUnitSecurityScore rates the shipped unit offline and wants 2.0 or
// lower, and the very figure and word that deploy/systemd/README.md states.
func TestUnitSecurityScore(t *testing.T) {
	analyze := systemdAnalyze(t)
	out, err := exec.Command(analyze, "security", "--offline=yes", unitFile).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := exposure.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: no overall exposure level in\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[2]), 64)
	if err != nil {
		t.Fatal(err)
	}
	measured := string(m[2]) + " " + string(m[3])
	t.Logf("%s (%s)", bytes.TrimSpace(m[0]), systemdVersion(analyze))
	if score > maxExposure {
		t.Errorf("exposure %s, want %.1f or lower; the unit's settings and their ratings:\n%s", measured, maxExposure, out)
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	r := exposure.FindSubmatch(readme)
	if r == nil {
		t.Fatal("README.md states no \"Overall exposure level for snmptrap_exporter.service: N.N WORD\" line")
	}
	if stated := string(r[2]) + " " + string(r[3]); stated != measured {
		t.Errorf("README.md states exposure %s, systemd-analyze (%s) measures %s: update the README", stated, systemdVersion(analyze), measured)
	}
}

// systemdVersion is the first line of systemd-analyze --version, e.g.
// "systemd 252 (252.38-1~deb12u1)": the ratings change between versions.
func systemdVersion(analyze string) string {
	out, err := exec.Command(analyze, "--version").Output()
	if err != nil {
		return "version unknown"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}
