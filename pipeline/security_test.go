package pipeline

import (
	"fmt"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
)

func manyUsers(n int) *config.Config {
	c := &config.Config{}
	for i := range n {
		c.Auth.Users = append(c.Auth.Users, config.User{
			Username: fmt.Sprintf("user%05d", i), SecurityLevel: config.AuthPriv,
			AuthProtocol: "SHA256", Password: config.Secret(fmt.Sprintf("auth-password-%d", i)),
			PrivProtocol: "AES", PrivPassword: config.Secret(fmt.Sprintf("priv-password-%d", i)),
		})
	}
	return c
}

// BenchmarkReloadSecurity1kUsers compiles the auth section of a
// configuration of 1,000 authPriv users again, unchanged, as a reload does.
func BenchmarkReloadSecurity1kUsers(b *testing.B) {
	c := manyUsers(1000)
	prev, err := NewSecurity(c)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := reloadSecurity(c, prev); err != nil {
			b.Fatal(err)
		}
	}
}

func reloadSecurity(c *config.Config, prev *Security) (*Security, error) {
	return NewSecurityFrom(c, prev)
}

// A reload keeps the compiled user (its hashed passwords and the keys
// cached for it) when the user's entry is unchanged, and compiles it anew
// when anything in it changed.
func TestSecurityReusesUnchangedUsers(t *testing.T) {
	c := manyUsers(3)
	prev, err := NewSecurity(c)
	if err != nil {
		t.Fatal(err)
	}
	next := manyUsers(3)
	next.Auth.Users[1].Password = "another-password"
	next.Auth.Users[2].EngineIDs = []string{"0x8000000001020304"}
	s, err := NewSecurityFrom(next, prev)
	if err != nil {
		t.Fatal(err)
	}
	if s.users["user00000"] != prev.users["user00000"] {
		t.Error("an unchanged user was compiled again")
	}
	for _, name := range []string{"user00001", "user00002"} {
		if s.users[name] == prev.users[name] {
			t.Errorf("%s changed but was taken over", name)
		}
	}
	if string(s.users["user00001"].authKu) == string(prev.users["user00001"].authKu) {
		t.Error("a changed password kept the old key")
	}
}
