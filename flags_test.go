package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

// Every flag has a row in README.md's Flags table, and every row there is
// a flag.
func TestFlagsTableInREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n## Flags\n")
	if !ok {
		t.Fatal("README.md has no ## Flags section")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	rows := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if name, ok := strings.CutPrefix(line, "| `--"); ok {
			name, _, _ = strings.Cut(name, "`")
			rows[name] = true
		}
	}
	app := kingpin.New("test", "")
	addFlags(app)
	for _, f := range app.Model().Flags {
		if f.Hidden || f.Name == "help" || f.Name == "help-long" || f.Name == "help-man" || f.Name == "completion-bash" || f.Name == "completion-script-bash" || f.Name == "completion-script-zsh" {
			continue
		}
		if !rows[f.Name] {
			t.Errorf("--%s is not in README.md's Flags table", f.Name)
		}
		delete(rows, f.Name)
	}
	delete(rows, "version") // added by main, not addFlags
	for name := range rows {
		t.Errorf("README.md's Flags table has --%s, which is no flag", name)
	}
}

// --trap.otlp.header-file takes a header's value from a file, so that a
// token stays off the command line; no error shows the value.
func TestOTLPHeaderFile(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("Bearer s3cr3t-t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("s3cr3t\x00bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(args ...string) (*flags, error) {
		app := kingpin.New("test", "")
		f := addFlags(app)
		if _, err := app.Parse(append([]string{"--trap.otlp.endpoint=http://127.0.0.1:4318"}, args...)); err != nil {
			t.Fatal(err)
		}
		return f, f.validate()
	}
	f, err := parse("--trap.otlp.header-file=Authorization=" + token)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.trapLog.OTLP.Header.Get("Authorization"); got != "Bearer s3cr3t-t0ken" {
		t.Errorf("Authorization = %q", got)
	}
	for _, arg := range []string{
		"--trap.otlp.header-file=Authorization=" + bad,
		"--trap.otlp.header-file=Authorization=" + filepath.Join(dir, "missing"),
		"--trap.otlp.header-file=Authorization=" + dir,
		"--trap.otlp.header-file=Authorization",
		"--trap.otlp.header-file=Bad Name=" + token,
	} {
		_, err := parse(arg)
		if err == nil || !strings.Contains(err.Error(), "--trap.otlp.header-file") || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: err = %v; want an error naming the flag, without the value", arg, err)
		}
	}
}
