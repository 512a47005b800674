package snmp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// The tests in this file read third-party captures through
// internal/testfixtures: they run when SNMPTRAP_FIXTURES is set.
var (
	fixture  = testfixtures.Path
	payloads = testfixtures.Payloads
)

// wantFrames checks the number of frames, so that a replaced capture is
// noticed.
func wantFrames(t *testing.T, frames [][]byte, n int) {
	t.Helper()
	if len(frames) != n {
		t.Fatalf("capture has %d frames, want %d", len(frames), n)
	}
}

func TestFixtureProtosV1Traps(t *testing.T) {
	frames := payloads(t, "pcap/wiresharkwiki-c06-snmpv1-trap-app-r1-1-12.pcap")
	wantFrames(t, frames, 12)

	// Frames 1-6: well formed, generic-trap and time-stamp 0..5.
	varbinds := [][]vbSum{
		{{"1.3.6.1.2.1.2.1.0", TagInteger, "\x21"}},
		{{"1.3.6.1.2.1.2.1.0", TagInteger, "\x21"}},
		{{"1.3.6.1.2.1.2.2.1.1.21", TagInteger, "\x21"}},
		{{"1.3.6.1.2.1.2.2.1.1.21", TagInteger, "\x21"}},
		{{"1.3.6.1.2.1.2.1.0", TagNull, ""}},
		{{"1.3.6.1.2.1.8.5.1.0", TagIPAddress, "\x7f\x00\x00\x01"}},
	}
	for i, vbs := range varbinds {
		var m Message
		if err := m.Decode(frames[i]); err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		want := msgSum{
			Version: V1, Community: "public", PDUType: PDUTrapV1,
			Enterprise: "1.3.6.1.4.1.4.1.2.21", AgentAddr: [4]byte{127, 0, 0, 1},
			GenericTrap: int32(i), TimeStamp: uint32(i), Varbinds: vbs,
		}
		if got := summarize(t, &m); !reflect.DeepEqual(got, want) {
			t.Errorf("frame %d:\n got %+v\nwant %+v", i+1, got, want)
		}
		if got, want := dotted(t, testfixtures.TrapOID(t, &m)), "1.3.6.1.6.3.1.1.5."+string(rune('1'+i)); got != want {
			t.Errorf("frame %d: TrapOID = %s, want %s", i+1, got, want)
		}
	}

	// Frame 7 writes the Trap-PDU tag in the high-tag-number form (bf 04),
	// and frames 8-12 write tag number 18 in it with ever longer tag
	// octets. All are refused where the PDU starts, after "public".
	for i := 6; i < 12; i++ {
		var m Message
		err := m.Decode(frames[i])
		if err == nil {
			t.Errorf("frame %d decoded", i+1)
			continue
		}
		de := decodeError(t, err)
		if want := (DecodeError{Kind: Malformed, Reason: ReasonHighTag, Offset: 13}); *de != want || m.Version != V1 {
			t.Errorf("frame %d: %v, version %v; want %v, version v1", i+1, de, m.Version, &want)
		}
	}
}

func TestFixtureZeekV1Trap(t *testing.T) {
	frames := payloads(t, "pcap/zeek-snmpv1_trap.pcap")
	wantFrames(t, frames, 1)
	var m Message
	if err := m.Decode(frames[0]); err != nil {
		t.Fatal(err)
	}
	want := msgSum{
		Version: V1, Community: "public", PDUType: PDUTrapV1,
		Enterprise: "1.3.6.1.4.1.31337.0", AgentAddr: [4]byte{127, 0, 0, 1},
		Varbinds: []vbSum{{"1.3.6.1.2.1.2.1.0", TagInteger, "\x21"}},
	}
	if got := summarize(t, &m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := dotted(t, testfixtures.TrapOID(t, &m)); got != "1.3.6.1.6.3.1.1.5.1" {
		t.Errorf("TrapOID = %s, want coldStart", got)
	}
}

func TestFixtureNdpiTraps(t *testing.T) {
	frames := payloads(t, "pcap/ndpi-snmp-traps-only.pcap")
	wantFrames(t, frames, 10)

	cisco := func(reason string) []vbSum {
		return []vbSum{
			{"1.3.6.1.2.1.2.2.1.1.2", TagInteger, "\x02"},
			{"1.3.6.1.2.1.2.2.1.2.2", TagOctetString, "Ethernet0/1"},
			{"1.3.6.1.2.1.2.2.1.3.2", TagInteger, "\x06"},
			{"1.3.6.1.4.1.9.2.2.1.1.20.2", TagOctetString, reason},
		}
	}
	v2 := func(requestID int32, upTime string, trap string, reason string) msgSum {
		return msgSum{
			Version: V2c, Community: "public2c", PDUType: PDUTrapV2, RequestID: requestID,
			Varbinds: append([]vbSum{
				{oidSysUpTime0, TagTimeTicks, upTime},
				{oidSnmpTrapOID0, TagObjectIdentifier, trap},
			}, cisco(reason)...),
		}
	}
	v1 := func(generic int32, timeStamp uint32, reason string) msgSum {
		return msgSum{
			Version: V1, Community: "public", PDUType: PDUTrapV1,
			Enterprise: "1.3.6.1.6.3.1.1.5", AgentAddr: [4]byte{10, 1, 30, 1},
			GenericTrap: generic, TimeStamp: timeStamp, Varbinds: cisco(reason),
		}
	}
	tests := []struct {
		frame   int
		want    msgSum
		trapOID string
	}{
		{1, v2(23, "\x03\x3f\xc5", oidLinkDown, "administratively down"), oidLinkDown},  // sysUpTime 212933
		{2, v2(28, "\x03\x4d\x80", "1.3.6.1.6.3.1.1.5.4", "up"), "1.3.6.1.6.3.1.1.5.4"}, // 216448
		{3, v1(2, 239244, "administratively down"), oidLinkDown},
		{4, v1(3, 240468, "up"), "1.3.6.1.6.3.1.1.5.4"},
	}
	for _, tt := range tests {
		var m Message
		if err := m.Decode(frames[tt.frame-1]); err != nil {
			t.Fatalf("frame %d: %v", tt.frame, err)
		}
		if got := summarize(t, &m); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("frame %d:\n got %+v\nwant %+v", tt.frame, got, tt.want)
		}
		if got := dotted(t, testfixtures.TrapOID(t, &m)); got != tt.trapOID {
			t.Errorf("frame %d: TrapOID = %s, want %s", tt.frame, got, tt.trapOID)
		}
	}

	// Frames 5-10 are SNMPv3 traps from a Cisco engine, in pairs:
	// authNoPriv, authPriv, noAuthNoPriv.
	for i, want := range []struct {
		user  string
		flags byte
	}{
		{"SHA1NOPRIV", FlagAuth}, {"SHA1NOPRIV", FlagAuth},
		{"SHA1AES128", FlagAuth | FlagPriv}, {"SHA1AES128", FlagAuth | FlagPriv},
		{"NOAUTHNOPRIV", 0}, {"NOAUTHNOPRIV", 0},
	} {
		m := wantV3(t, frames[4+i], 5+i)
		v := &m.V3
		if string(v.UserName) != want.user || v.Flags != want.flags || fmt.Sprintf("%x", v.EngineID) != "800000090300aabbcc000100" ||
			v.EngineBoots != 12 || v.SecurityModel != SecurityModelUSM {
			t.Errorf("frame %d: user %q flags %#x engine %x boots %d", 5+i, v.UserName, v.Flags, v.EngineID, v.EngineBoots)
		}
		if want.flags&FlagPriv == 0 && m.PDUType != PDUTrapV2 {
			t.Errorf("frame %d: PDU %v, want SNMPv2-Trap", 5+i, m.PDUType)
		}
	}
}

// wantV3 decodes an SNMPv3 message: its header and USM parameters always,
// its PDU when it is not encrypted.
func wantV3(t *testing.T, payload []byte, frame int) *Message {
	t.Helper()
	m := &Message{}
	if err := m.Decode(payload); err != nil || m.Version != V3 {
		t.Errorf("frame %d: %v, version %v; want a decoded v3 message", frame, err, m.Version)
		return m
	}
	if m.V3.Priv() != (m.V3.Encrypted != nil) || m.V3.Priv() == (m.PDU != nil) {
		t.Errorf("frame %d: flags %#x but encrypted %d bytes, PDU %d bytes", frame, m.V3.Flags, len(m.V3.Encrypted), len(m.PDU))
	}
	return m
}

// TestFixtureNdpiAll classifies every frame of the nDPI capture: v3 is
// Unsupported, the rest decodes.
func TestFixtureNdpiAll(t *testing.T) {
	frames := payloads(t, "pcap/ndpi-snmp.pcap")
	wantFrames(t, frames, 72)
	counts := map[string]int{}
	for i, payload := range frames {
		var m Message
		err := m.Decode(payload)
		if m.Version == V3 {
			wantV3(t, payload, i+1)
			counts["v3"]++
			continue
		}
		if err != nil {
			t.Errorf("frame %d: %v", i+1, err)
			continue
		}
		counts[m.Version.String()+" "+m.PDUType.String()]++
	}
	want := map[string]int{
		// Frames 1-4 and 9-12.
		"v1 GetNextRequest": 2, "v1 GetRequest": 2, "v1 Response": 4,
		// Frames 5-8, 13-16 and 63-72.
		"v2c GetNextRequest": 2, "v2c GetRequest": 5, "v2c Response": 11,
		// Frames 53-56.
		"v2c SNMPv2-Trap": 2, "v1 Trap": 2,
		// Frames 17-52 and 57-62.
		"v3": 42,
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("frames by kind:\n got %v\nwant %v", counts, want)
	}

	// Frame 63 writes its lengths in the non-minimal long form (30 82 00 b5,
	// a2 82 00 a8) and has error-status 19.
	var m Message
	if err := m.Decode(frames[62]); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(frames[62], hx("30 82 00 b5")) || m.ErrorStatus != 19 || m.ErrorIndex != 1 ||
		string(m.Community) != "adsl" || len(m.Varbinds) != 1 ||
		dotted(t, m.Varbinds[0].OID) != "1.3.6.1.4.1.5875.91.1.1.1.1.1.15.1" {
		t.Errorf("frame 63: %+v", summarize(t, &m))
	}
	// Frame 69 is a Response full of Counter64s.
	if err := m.Decode(frames[68]); err != nil {
		t.Fatal(err)
	}
	if n, ok := m.Varbinds[3].Uint64(); m.Varbinds[3].Type != TagCounter64 || !ok || n != 101591514486 {
		t.Errorf("frame 69 varbind 4: %+v", m.Varbinds[3])
	}
}

func TestFixtureGosnmpV2cTrap(t *testing.T) {
	frames := payloads(t, "pcap/gosnmp-v2c-trap.pcap")
	wantFrames(t, frames, 1)
	var m Message
	if err := m.Decode(frames[0]); err != nil {
		t.Fatal(err)
	}
	want := msgSum{
		Version: V2c, Community: "public", PDUType: PDUTrapV2, RequestID: 1918693186,
		Varbinds: []vbSum{
			{oidSysUpTime0, TagTimeTicks, "\x01\x1a\xef\xa5"}, // 18542501
			{oidSnmpTrapOID0, TagObjectIdentifier, "1.3.6.1.2.1.1"},
			{"1.3.6.1.2.1.1.1.0", TagOctetString, "red laptop"},
			{"1.3.6.1.2.1.1.7.0", TagInteger, "\x05"},
			{"1.3.6.1.2.1.1.2", TagObjectIdentifier, "1.3.6.1.4.1.2.3.4.5"},
		},
	}
	if got := summarize(t, &m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := dotted(t, testfixtures.TrapOID(t, &m)); got != "1.3.6.1.2.1.1" {
		t.Errorf("TrapOID = %s", got)
	}
}

// TestFixtureTrailingBytes: gosnmp-trap1.bin is a 131-byte message followed
// by 219 bytes of junk.
func TestFixtureTrailingBytes(t *testing.T) {
	data, err := os.ReadFile(fixture(t, "raw/gosnmp-trap1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	if err := m.Decode(data[:131]); err != nil {
		t.Fatalf("bytes 0..130: %v", err)
	}
	if m.Version != V2c || m.RequestID != 1918693186 || len(m.Varbinds) != 5 {
		t.Errorf("bytes 0..130: %+v", summarize(t, &m))
	}
	de := decodeError(t, m.Decode(data))
	if want := (DecodeError{Kind: Malformed, Reason: ReasonTrailingBytes, Offset: 131}); *de != want || m.Version != V2c {
		t.Errorf("whole file: %v, version %v; want %v", de, m.Version, &want)
	}
}

func TestFixtureV3(t *testing.T) {
	for _, tc := range []struct {
		name      string
		user      string
		flags     byte
		requestID int32
	}{
		{"raw/gosnmp-genericV3Trap.bin", "myuser", FlagAuth, 957979745},
		{"raw/gosnmp-snmpV3AuthPrivTrap.bin", "myuser2", FlagAuth | FlagPriv, 0},
	} {
		data, err := os.ReadFile(fixture(t, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		m := wantV3(t, data, 1)
		if string(m.V3.UserName) != tc.user || m.V3.Flags&^FlagReportable != tc.flags || m.RequestID != tc.requestID {
			t.Errorf("%s: user %q flags %#x request-id %d", tc.name, m.V3.UserName, m.V3.Flags, m.RequestID)
		}
		if len(m.V3.AuthParams) != 12 || len(m.V3.Encrypted) == 0 && tc.flags&FlagPriv != 0 {
			t.Errorf("%s: auth params %d bytes, encrypted %d bytes", tc.name, len(m.V3.AuthParams), len(m.V3.Encrypted))
		}
	}
	for _, name := range []string{
		"pcap/gosnmp-v3-authnopriv-md5-trap.pcap",
		"pcap/gosnmp-v3-authpriv-md5-aes-trap.pcap",
		"pcap/usm-nontrap/john-samples-encrypted_auth_md5_aes128.pcap",
		"pcap/usm-nontrap/john-samples-unencrypted_auth_sha1.pcap",
	} {
		for i, payload := range payloads(t, name) {
			wantV3(t, payload, i+1)
		}
	}
}

// TestFixtureAgreeWithGosnmp compares our decoding of every v1/v2c message in
// the captures with gosnmp's.
func TestFixtureAgreeWithGosnmp(t *testing.T) {
	checked := 0
	for _, name := range []string{
		"pcap/wiresharkwiki-c06-snmpv1-trap-app-r1-1-12.pcap",
		"pcap/zeek-snmpv1_trap.pcap",
		"pcap/ndpi-snmp.pcap",
		"pcap/gosnmp-v2c-trap.pcap",
	} {
		for i, payload := range payloads(t, name) {
			var m Message
			err := m.Decode(payload)
			if m.Version != V1 && m.Version != V2c {
				continue
			}
			if err != nil {
				// Refused by us (PROTOS frames 7-12): gosnmp refuses them too.
				if _, gerr := gosnmpDecode(payload); gerr == nil {
					t.Errorf("%s frame %d: we refuse (%v), gosnmp accepts", name, i+1, err)
				}
				continue
			}
			t.Run(fmt.Sprintf("%s/frame%d", filepath.Base(name), i+1), func(t *testing.T) {
				agreeWithGosnmp(t, payload)
			})
			checked++
		}
	}
	// 6 PROTOS, 1 Zeek, 30 nDPI and 1 gosnmp message.
	if checked != 38 {
		t.Errorf("compared %d messages, want 38", checked)
	}
}
