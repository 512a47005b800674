package usm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The captures in testdata/netsnmp are SNMPv3 traps that net-snmp 5.9.3's
// snmptrap sent (testdata/netsnmp/README.md, gen.sh): one for each of its
// six authentication protocols and each of its privacy protocols, or none.
// Opening every one with this package's functions shows that the SHA-2
// MACs and keys, DES, AES and both AES-192/256 key extensions match
// net-snmp's.
const (
	nsEngineID = "80001f8880aabbccdd"
	nsUser     = "usmuser"
	nsAuthPass = "authpass123"
	nsPrivPass = "privpass123"
	nsBoots    = 7
	nsTime     = 12345
)

var nsAuths = []struct {
	file string
	p    AuthProtocol
}{
	{"md5", AuthMD5}, {"sha", AuthSHA}, {"sha224", AuthSHA224},
	{"sha256", AuthSHA256}, {"sha384", AuthSHA384}, {"sha512", AuthSHA512},
}

var nsPrivs = []struct {
	file string
	p    PrivProtocol
}{
	{"none", PrivNone}, {"des", PrivDES}, {"aes", PrivAES},
	{"aes192", PrivAES192}, {"aes256", PrivAES256},
	{"aes192c", PrivAES192C}, {"aes256c", PrivAES256C},
}

func TestNetSNMPCaptures(t *testing.T) {
	engineID := unhex(t, nsEngineID)
	for _, a := range nsAuths {
		for _, pr := range nsPrivs {
			name := a.file + "-" + pr.file + ".bin"
			t.Run(name, func(t *testing.T) {
				msg, err := os.ReadFile(filepath.Join("testdata", "netsnmp", name))
				if err != nil {
					t.Fatal(err)
				}
				c := creds{a.p, nsAuthPass, pr.p, nsPrivPass}
				m, sp, err := openV3(msg, c)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(m.engineID, engineID) || m.user != nsUser || m.boots != nsBoots || m.time != nsTime {
					t.Errorf("engine %x user %q boots %d time %d", m.engineID, m.user, m.boots, m.time)
				}
				checkNetSNMPTrap(t, sp, engineID)

				// A wrong authentication password fails Verify.
				bad := c
				bad.authPass = "authpass124"
				if _, _, err := openV3(msg, bad); !errors.Is(err, errAuth) {
					t.Errorf("wrong auth password: %v, want an authentication failure", err)
				}
				// So does any changed octet of the message.
				for _, off := range []int{4, m.authOff - 3, len(msg) - 1} {
					changed := bytes.Clone(msg)
					changed[off] ^= 0x04
					if _, _, err := openV3(changed, c); err == nil {
						t.Errorf("octet %d changed: opened", off)
					}
				}
				if pr.p == PrivNone {
					return
				}
				// A wrong privacy password decrypts to garbage.
				bad = c
				bad.privPass = "privpass124"
				if _, _, err := openV3(msg, bad); err == nil {
					t.Error("wrong privacy password: opened")
				}
				// The other AES-192/256 variant opens the message only if
				// the localized key was long enough not to need extending.
				other, ok := otherVariant(pr.p)
				if !ok {
					return
				}
				bad = c
				bad.priv = other
				_, _, err = openV3(msg, bad)
				if extended := a.p.KeyLen() < pr.p.KeyLen(); extended != (err != nil) {
					t.Errorf("opened with %v: err %v; Kul of %d octets, key of %d", other, err, a.p.KeyLen(), pr.p.KeyLen())
				}
			})
		}
	}
}

// checkNetSNMPTrap checks the scopedPDU gen.sh asked for: an SNMPv2-Trap,
// context engine = the sender, sysUpTime.0 = 0, snmpTrapOID.0 = coldStart,
// sysName.0 = "usm-test-trap".
func checkNetSNMPTrap(t *testing.T, sp *scopedPDU, engineID []byte) {
	t.Helper()
	if sp.pduType != 0xa7 {
		t.Errorf("PDU type %#x, want SNMPv2-Trap", sp.pduType)
	}
	if !bytes.Equal(sp.contextEngineID, engineID) || sp.contextName != "" {
		t.Errorf("context %x/%q", sp.contextEngineID, sp.contextName)
	}
	if oid, err := sp.trapOID(); err != nil || oid != "1.3.6.1.6.3.1.1.5.1" {
		t.Errorf("snmpTrapOID.0 = %s, %v; want coldStart", oid, err)
	}
	if len(sp.varbinds) != 3 ||
		sp.varbinds[0].name != "1.3.6.1.2.1.1.3.0" || sp.varbinds[0].tag != 0x43 ||
		sp.varbinds[2].name != "1.3.6.1.2.1.1.5.0" || string(sp.varbinds[2].value) != "usm-test-trap" {
		t.Errorf("varbinds %+v", sp.varbinds)
	}
}

// Every capture gen.sh lists is here, and nothing else: a refused or lost
// combination is noticed.
func TestNetSNMPCapturesComplete(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "netsnmp", "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(nsAuths) * len(nsPrivs); len(files) != want {
		t.Errorf("%d captures, want %d", len(files), want)
	}
}
