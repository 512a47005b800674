package usm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Third-party SNMPv3 messages with published credentials: gosnmp's test
// traps (copied into testdata/gosnmp, see its README.md) and, from the
// shared fixtures, the captures they came from and john-samples' net-snmp
// 5.9.4 exchanges.

type knownMsg struct {
	name      string
	file      string // under testdata/gosnmp
	c         creds
	user      string
	engineID  string
	boots     uint32
	time      uint32
	requestID uint32
	trapOID   string
	varbinds  int
}

var gosnmpMsgs = []knownMsg{
	{
		name: "genericV3Trap", file: "gosnmp-genericV3Trap.bin",
		c:    creds{AuthMD5, "mypassword", PrivNone, ""},
		user: "myuser", engineID: "80001f888077dfe44faa70025800000000", boots: 15, time: 0,
		requestID: 957979745, trapOID: "1.3.6.1.2.1.1", varbinds: 5,
	},
	{
		name: "snmpV3AuthPrivTrap", file: "gosnmp-snmpV3AuthPrivTrap.bin",
		c:    creds{AuthMD5, "mypassword2", PrivAES, "myprivacy2"},
		user: "myuser2", engineID: "80001f88806b8fad3b07c2706500000000", boots: 1, time: 0,
		requestID: 1318065890, trapOID: "1.3.6.1.4.1.8072.2.3.0.1", varbinds: 3,
	},
}

// checkKnown opens msg with the right credentials and fails to with wrong
// ones.
func checkKnown(t *testing.T, k knownMsg, msg []byte) {
	t.Helper()
	m, sp, err := openV3(msg, k.c)
	if err != nil {
		t.Fatal(err)
	}
	if m.user != k.user || !bytes.Equal(m.engineID, unhex(t, k.engineID)) || m.boots != k.boots || m.time != k.time {
		t.Errorf("user %q engine %x boots %d time %d", m.user, m.engineID, m.boots, m.time)
	}
	if sp.pduType != 0xa7 || sp.requestID != k.requestID || len(sp.varbinds) != k.varbinds {
		t.Errorf("PDU %#x request-id %d, %d varbinds", sp.pduType, sp.requestID, len(sp.varbinds))
	}
	if oid, err := sp.trapOID(); err != nil || oid != k.trapOID {
		t.Errorf("snmpTrapOID.0 = %s, %v; want %s", oid, err, k.trapOID)
	}
	bad := k.c
	bad.authPass = "wrongpassword"
	if _, _, err := openV3(msg, bad); !errors.Is(err, errAuth) {
		t.Errorf("wrong auth password: %v", err)
	}
	bad = k.c
	bad.auth = AuthSHA // a 12-octet MAC too, but the wrong hash
	if _, _, err := openV3(msg, bad); !errors.Is(err, errAuth) {
		t.Errorf("SHA instead of MD5: %v", err)
	}
	if k.c.priv != PrivNone {
		bad = k.c
		bad.privPass = "wrongprivacy"
		if _, _, err := openV3(msg, bad); err == nil {
			t.Error("opened with a wrong privacy password")
		}
	}
}

func TestGosnmpPayloads(t *testing.T) {
	for _, k := range gosnmpMsgs {
		t.Run(k.name, func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join("testdata", "gosnmp", k.file))
			if err != nil {
				t.Fatal(err)
			}
			checkKnown(t, k, msg)
		})
	}
}

// The shared fixtures: the same payloads in raw/ and in the pcaps, which
// must equal our copies.
func TestFixtureGosnmpTraps(t *testing.T) {
	for _, tc := range []struct {
		k        knownMsg
		raw, cap string
	}{
		{gosnmpMsgs[0], "raw/gosnmp-genericV3Trap.bin", "pcap/gosnmp-v3-authnopriv-md5-trap.pcap"},
		{gosnmpMsgs[1], "raw/gosnmp-snmpV3AuthPrivTrap.bin", "pcap/gosnmp-v3-authpriv-md5-aes-trap.pcap"},
	} {
		t.Run(tc.k.name, func(t *testing.T) {
			raw, err := os.ReadFile(fixture(t, tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			ours, err := os.ReadFile(filepath.Join("testdata", "gosnmp", tc.k.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, ours) {
				t.Errorf("testdata/gosnmp/%s differs from the fixture %s", tc.k.file, tc.raw)
			}
			frames := payloads(t, tc.cap)
			if len(frames) != 1 {
				t.Fatalf("%s: %d frames, want 1", tc.cap, len(frames))
			}
			if !bytes.Equal(frames[0], raw) {
				t.Errorf("%s payload differs from %s", tc.cap, tc.raw)
			}
			checkKnown(t, tc.k, frames[0])
		})
	}
}

// john-samples: a net-snmp 5.9.4 agent queried by a manager, user john,
// auth password iloveyou, priv password princess. Frames 1-2 are engine
// discovery (no authentication); frames 3-6 are a request and a response
// twice, all authenticated, encrypted in the AES captures: frame 4 answers
// sysObjectID.0 (1.3.6.1.4.1.16177, Westermo), frame 6 a sysDescr that
// starts "Westermo Zero".
func TestFixtureJohnSamples(t *testing.T) {
	for _, tc := range []struct {
		file string
		c    creds
	}{
		{"john-samples-unencrypted_auth_md5.pcap", creds{AuthMD5, "iloveyou", PrivNone, ""}},
		{"john-samples-unencrypted_auth_sha1.pcap", creds{AuthSHA, "iloveyou", PrivNone, ""}},
		{"john-samples-encrypted_auth_md5_aes128.pcap", creds{AuthMD5, "iloveyou", PrivAES, "princess"}},
		{"john-samples-encrypted_auth_sha1_aes128.pcap", creds{AuthSHA, "iloveyou", PrivAES, "princess"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			frames := payloads(t, "pcap/usm-nontrap/"+tc.file)
			if len(frames) != 6 {
				t.Fatalf("%d frames, want 6", len(frames))
			}
			for i := 2; i < 6; i++ {
				m, sp, err := openV3(frames[i], tc.c)
				if err != nil {
					t.Fatalf("frame %d: %v", i+1, err)
				}
				if m.user != "john" || !bytes.Equal(m.engineID, unhex(t, "80001f8803000000000000")) {
					t.Errorf("frame %d: user %q engine %x", i+1, m.user, m.engineID)
				}
				if request := i%2 == 0; request && sp.pduType != 0xa0 && sp.pduType != 0xa1 ||
					!request && sp.pduType != 0xa2 {
					t.Errorf("frame %d: PDU type %#x", i+1, sp.pduType)
				}
				if i == 3 { // sysObjectID.0 = Westermo's enterprise
					if len(sp.varbinds) != 1 || sp.varbinds[0].name != "1.3.6.1.2.1.1.2.0" {
						t.Errorf("frame 4: %+v", sp.varbinds)
					} else if oid, _ := oidString(sp.varbinds[0].value); oid != "1.3.6.1.4.1.16177" {
						t.Errorf("frame 4: sysObjectID.0 = %s", oid)
					}
				}
				if i == 5 && !anyValueContains(sp, "Westermo Zero") {
					t.Errorf("frame 6: no sysDescr in %+v", sp.varbinds)
				}
				bad := tc.c
				bad.authPass = "iloveyou2"
				if _, _, err := openV3(frames[i], bad); !errors.Is(err, errAuth) {
					t.Errorf("frame %d, wrong auth password: %v", i+1, err)
				}
				if tc.c.priv != PrivNone {
					bad = tc.c
					bad.privPass = "princesses"
					if _, _, err := openV3(frames[i], bad); err == nil {
						t.Errorf("frame %d: opened with a wrong privacy password", i+1)
					}
				}
			}
		})
	}
}

func anyValueContains(sp *scopedPDU, s string) bool {
	for _, vb := range sp.varbinds {
		if bytes.Contains(vb.value, []byte(s)) {
			return true
		}
	}
	return false
}
