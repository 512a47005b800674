package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLoadGood(t *testing.T) {
	c, err := Load("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.EngineID != "80001f8880aabbccddeeff0011" || len(c.Auth.Communities) != 2 || c.Auth.Communities[1] != "s3cret-community" {
		t.Errorf("engine/communities: %+v", c)
	}
	wantSources := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}
	for i, w := range wantSources {
		if c.Auth.Sources[i].Prefix != netip.MustParsePrefix(w) {
			t.Errorf("sources[%d] = %v, want %s", i, c.Auth.Sources[i], w)
		}
	}
	if len(c.Auth.Users) != 3 {
		t.Fatalf("users: %+v", c.Auth.Users)
	}
	ops := c.Auth.Users[0]
	if ops.Username != "ops" || ops.SecurityLevel != AuthPriv || ops.AuthProtocol != "SHA256" || ops.Password != "auth-pass-ops" ||
		ops.PrivProtocol != "AES256" || ops.PrivPassword != "priv-pass-ops" {
		t.Errorf("user ops: %+v", ops)
	}
	if got := c.Auth.Users[1].EngineIDs; len(got) != 1 {
		t.Errorf("legacy engine_ids: %v", got)
	}
}

func TestEmptyConfigAcceptsAll(t *testing.T) {
	c, err := Parse(nil)
	if err != nil || len(c.Auth.Communities) != 0 || len(c.Auth.Sources) != 0 || len(c.Auth.Users) != 0 {
		t.Fatalf("Parse(nil) = %+v, %v", c, err)
	}
}

func TestInvalid(t *testing.T) {
	for file, want := range map[string]string{
		"invalid-auth-missing.yml":         "line 3: auth.users[0]: security_level authNoPriv needs auth_protocol and password",
		"invalid-auth-protocol.yml":        "line 5: auth.users[0]: unknown auth_protocol (valid: MD5, SHA, SHA224, SHA256, SHA384, SHA512)",
		"invalid-duplicate-user.yml":       "line 5: auth.users[1]: username already used by auth.users[0]",
		"invalid-engine-id.yml":            `engine_id: engine ID "8000" has 2 octets, want 5 to 32`,
		"invalid-level.yml":                "line 4: auth.users[0]: unknown security_level (want noAuthNoPriv, authNoPriv or authPriv)",
		"invalid-priv-missing.yml":         "line 3: auth.users[0]: security_level authPriv needs priv_protocol and priv_password",
		"invalid-priv-protocol.yml":        "line 7: auth.users[0]: unknown priv_protocol (valid: DES, AES, AES192, AES256, AES192C, AES256C)",
		"invalid-priv-without-auth.yml":    "line 5: auth.users[0]: priv_protocol needs an auth_protocol too (RFC 3414 has no privacy without authentication)",
		"invalid-short-password.yml":       "line 6: auth.users[0]: password must have at least 8 characters",
		"invalid-source-garbage.yml":       "line 4: auth.sources[1]: invalid source: want an address or a prefix like 10.0.0.0/8",
		"invalid-source.yml":               "line 2: auth.sources[0]: invalid source: host bits set (did you mean 10.0.0.0/8?)",
		"invalid-type.yml":                 "line 2: auth.communities: want a list of strings, got a string",
		"invalid-user-unknown-key.yml":     "line 5: auth.users[0]: unknown field (did you mean engine_ids?)",
		"invalid-unknown-key.yml":          "line 2: auth: unknown field (did you mean communities?)",
		"invalid-user-engine-id.yml":       "line 5: auth.users[0]: engine_ids[0] is not hex",
		"invalid-yaml.yml":                 "line 1: did not find expected ',' or ']'",
		"invalid-community-block.yml":      "line 2: auth.communities: want a list of strings, got a string",
		"invalid-community-source.yml":     "line 3: auth.sources[0]: invalid source: want an address or a prefix like 10.0.0.0/8",
		"invalid-auth-key.yml":             "line 2: auth: unknown field (known: communities, sources, users)",
		"invalid-duplicate-key.yml":        "line 4: auth: communities given twice (first on line 2)",
		"invalid-user-duplicate-key.yml":   "line 7: auth.users[0]: password given twice (first on line 6)",
		"invalid-user-type.yml":            "line 3: auth.users[0].username: want a string, got a list",
		"invalid-auth-tag.yml":             "line 4: auth.communities[1]: unexpected tag (write a plain or quoted string)",
		"invalid-community-alias.yml":      "line 4: alias to an unknown anchor (quote a value that starts with *)",
		"invalid-password-as-protocol.yml": "line 5: auth.users[0]: unknown auth_protocol (valid: MD5, SHA, SHA224, SHA256, SHA384, SHA512)",
	} {
		path := "testdata/" + file
		_, err := Load(path)
		if err == nil || err.Error() != path+": "+want {
			t.Errorf("%s:\n got %v\nwant %s: %s", file, err, path, want)
		}
		// The secret of the files written for this test.
		if err != nil && strings.Contains(err.Error(), "hush") {
			t.Errorf("%s: the error shows the secret: %v", file, err)
		}
	}
	// Every invalid-*.yml file is in the table.
	entries, _ := os.ReadDir("testdata")
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "invalid-") {
			n++
		}
	}
	if n != 25 {
		t.Errorf("%d invalid-*.yml files, the table covers 25", n)
	}
}

// No secret of the configuration survives Redacted, %v or %#v.
func TestSecretsRedacted(t *testing.T) {
	c, err := Load("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	printed := string(out) + fmt.Sprintf("%v %+v %#v", c, c, c)
	for _, secret := range []string{"public", "s3cret-community", "auth-pass-ops", "priv-pass-ops", "legacy-password", "fwd-community-secret"} {
		if strings.Contains(printed, secret) {
			t.Errorf("secret %q leaked:\n%s", secret, printed)
		}
	}
	for _, kept := range []string{"username: ops", "auth_protocol: SHA256", "priv_protocol: AES256", "- 10.0.0.0/8", "- 192.0.2.7",
		"password: <secret>", "engine_id: 80001f8880aabbccddeeff0011", "community: <secret>", "address: udp://192.0.2.50:162"} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("redacted config lacks %q:\n%s", kept, out)
		}
	}
	// The redacted form is itself a valid configuration (secrets aside).
	if _, err := Parse(out); err != nil && !strings.Contains(err.Error(), "password") {
		t.Errorf("redacted config does not parse: %v", err)
	}
}

// A value the YAML library quotes in a type error never reaches the
// message, even with backticks of its own.
func TestTypeErrorHidesValue(t *testing.T) {
	for _, secret := range []string{"hush-hush", "ab`XYZW", "xyz`qwe`rty"} {
		_, err := Parse([]byte("auth:\n  communities: \"" + secret + "\"\n"))
		if err == nil {
			t.Fatalf("%q: no error", secret)
		}
		for _, part := range strings.Split(secret, "`") {
			if part != "" && strings.Contains(err.Error(), part) {
				t.Errorf("%q: error %q shows %q", secret, err, part)
			}
		}
	}
}

// Load reads only a regular file (a symbolic link to one is fine): a FIFO
// at the configuration's path blocked the start for ever.
func TestLoadRegularFileOnly(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("auth:\n  communities: [public]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yml")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(link); err != nil {
		t.Errorf("a symlink to a regular file: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO: %v, want not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load of a FIFO blocked")
	}
}
