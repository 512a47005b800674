package snmp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestAppendOID(t *testing.T) {
	tests := []struct {
		content string
		want    string
	}{
		{"2b", "1.3"},
		{"2b 06 01 06 03 01 01 05 03", "1.3.6.1.6.3.1.1.5.3"},
		{"2b 06 01 04 01 2d 01 06 02 04 00 04", "1.3.6.1.4.1.45.1.6.2.4.0.4"},
		{"2b 06 01 04 01 82 37", "1.3.6.1.4.1.311"},
		{"2b 06 01 04 01 81 f4 69 00", "1.3.6.1.4.1.31337.0"},
		{"00", "0.0"},
		{"27", "0.39"},
		{"28", "1.0"},
		{"4f", "1.39"},
		{"50", "2.0"},
		{"88 37", "2.999"}, // the X.690 §8.19.5 example
		{"8f ff ff ff 7f", "2.4294967215"},
		{"90 80 80 80 4f", "2.4294967295"}, // X=2 with the largest Y
		{"2b 8f ff ff ff 7f", "1.3.4294967295"},
		{"2b 00 00", "1.3.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := AppendOID([]byte("oid="), hx(tt.content))
			if err != nil {
				t.Fatalf("AppendOID(%s): %v", tt.content, err)
			}
			if string(got) != "oid="+tt.want {
				t.Errorf("AppendOID(%s) = %q, want %q", tt.content, got, "oid="+tt.want)
			}
			back, err := ParseOID(tt.want)
			if err != nil || !bytes.Equal(back, hx(tt.content)) {
				t.Errorf("ParseOID(%q) = % x, %v; want %s", tt.want, back, err, tt.content)
			}
		})
	}
}

func TestAppendOIDErrors(t *testing.T) {
	tests := []struct {
		content string
		reason  string
		offset  int
	}{
		{"", ReasonEmptyOID, 0},
		{"86", ReasonOIDUnterminated, 0},
		{"2b 86", ReasonOIDUnterminated, 1},
		{"2b 06 81 80", ReasonOIDUnterminated, 3},
		{"80 01", ReasonOIDNotMinimal, 0},
		{"2b 80 01", ReasonOIDNotMinimal, 1},
		{"2b 90 80 80 80 00", ReasonOIDOverflow, 5},
		{"90 80 80 80 50", ReasonOIDOverflow, 4},
		{"ff ff ff ff ff ff", ReasonOIDOverflow, 4},
	}
	for _, tt := range tests {
		t.Run(tt.content, func(t *testing.T) {
			dst := []byte("keep")
			got, err := AppendOID(dst, hx(tt.content))
			if err == nil {
				t.Fatalf("AppendOID(%s) = %q, want an error", tt.content, got)
			}
			de := decodeError(t, err)
			if de.Kind != Malformed || de.Reason != tt.reason || de.Offset != tt.offset {
				t.Errorf("AppendOID(%s) error = %v, want %s at %d", tt.content, err, tt.reason, tt.offset)
			}
			if string(got) != "keep" {
				t.Errorf("AppendOID changed dst to %q on error", got)
			}
		})
	}
}

func TestParseOID(t *testing.T) {
	tests := []struct {
		in   string
		want string // content, hex
	}{
		{"1.3.6.1", "2b 06 01"},
		{".1.3.6.1", "2b 06 01"},
		{"1.3.6.1.4.1.45.1.6.2.4", "2b 06 01 04 01 2d 01 06 02 04"},
		{"0.0", "00"},
		{"2.999", "88 37"},
		{"2.4294967295", "90 80 80 80 4f"},
		{"1.3.4294967295", "2b 8f ff ff ff 7f"},
		{"1.3.007", "2b 07"}, // leading zeros are read as decimal
	}
	for _, tt := range tests {
		got, err := ParseOID(tt.in)
		if err != nil || !bytes.Equal(got, hx(tt.want)) {
			t.Errorf("ParseOID(%q) = % x, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseOIDErrors(t *testing.T) {
	for _, in := range []string{
		"", ".", "1", ".1", "3.1", "1.40", "0.40", "1..3", "1.3.", "..1.3", "1.3.a",
		"1.3.-1", "1.3.+1", "1.3.4294967296", "2.4294967296", " 1.3", "1.3 ", "1.3.0x10",
	} {
		if got, err := ParseOID(in); err == nil {
			t.Errorf("ParseOID(%q) = % x, want an error", in, got)
		} else if !strings.Contains(err.Error(), "invalid OID") {
			t.Errorf("ParseOID(%q) error %q does not say what failed", in, err)
		}
	}
}

func TestMustParseOID(t *testing.T) {
	if got := MustParseOID("1.3.6.1.6.3.1.1.4.1.0"); string(got) != snmpTrapOID0 {
		t.Errorf("MustParseOID = % x", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParseOID did not panic on an invalid OID")
		}
	}()
	MustParseOID("1.3.x")
}

func TestAppendOIDZeroAllocs(t *testing.T) {
	c := MustParseOID("1.3.6.1.4.1.45.1.6.2.4.0.4294967295")
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := AppendOID(buf[:0], c); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendOID allocated %v times per run", allocs)
	}
}

// FuzzOID checks that AppendOID and ParseOID are inverses: whatever content
// AppendOID accepts comes back from ParseOID unchanged, and whatever
// ParseOID accepts, AppendOID formats.
func FuzzOID(f *testing.F) {
	f.Add(hx("2b 06 01 06 03 01 01 05 03"))
	f.Add(hx("90 80 80 80 4f"))
	f.Add([]byte("1.3.6.1.4.1.45"))
	f.Add([]byte(".2.999.4294967295"))
	f.Add(hx("2b 06 01 02 01 02 02 01 01 ce 75"))
	f.Add(hx("2b 06 01 04 01 8f ff ff ff 7f"))
	f.Add(hx("2b 06 80 01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// The fast path of checkOID must give the exact path's verdict.
		if len(b) > 0 {
			r1, o1 := checkOID(b)
			r2, o2 := checkOIDExact(b)
			if r1 != r2 || o1 != o2 {
				t.Fatalf("checkOID(% x) = %q, %d; exact %q, %d", b, r1, o1, r2, o2)
			}
		}
		if s, err := AppendOID(nil, b); err == nil {
			c, err := ParseOID(string(s))
			if err != nil || !bytes.Equal(c, b) {
				t.Fatalf("ParseOID(AppendOID(% x) = %q) = % x, %v", b, s, c, err)
			}
		}
		if c, err := ParseOID(string(b)); err == nil {
			s, err := AppendOID(nil, c)
			if err != nil {
				t.Fatalf("AppendOID(ParseOID(%q) = % x): %v", b, c, err)
			}
			if c2, err := ParseOID(string(s)); err != nil || !bytes.Equal(c, c2) {
				t.Fatalf("ParseOID(%q) = % x, %v; want % x", s, c2, err, c)
			}
		}
	})
}

// An OID may have at most 128 arcs (RFC 2578 §3.5); a longer one would let
// one datagram create a label of any size.
func TestOIDArcLimit(t *testing.T) {
	arcs := func(n int) string { return "1.3" + strings.Repeat(".1", n-2) }
	c, err := ParseOID(arcs(128))
	if err != nil {
		t.Fatalf("128 arcs: %v", err)
	}
	if s, err := AppendOID(nil, c); err != nil || string(s) != arcs(128) {
		t.Errorf("AppendOID(128 arcs) = %q, %v", s, err)
	}
	if _, err := ParseOID(arcs(129)); err == nil {
		t.Error("ParseOID accepted 129 arcs")
	}
	long := append(append([]byte{}, c...), 0x01)
	_, err = AppendOID(nil, long)
	var de *DecodeError
	if !errors.As(err, &de) || de.Reason != ReasonOIDTooLong || de.Offset != len(c) {
		t.Errorf("AppendOID(129 arcs) error = %v, want %q at %d", err, ReasonOIDTooLong, len(c))
	}

	// A trap whose snmpTrapOID.0 value is too long is malformed.
	msg := AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1, []Varbind{
		{OID: MustParseOID("1.3.6.1.2.1.1.3.0"), Type: TagTimeTicks, Value: UnsignedValue(1)},
		{OID: MustParseOID("1.3.6.1.6.3.1.1.4.1.0"), Type: TagObjectIdentifier, Value: long},
	})
	var m Message
	err = m.Decode(msg)
	if !errors.As(err, &de) || de.Kind != Malformed || de.Reason != ReasonOIDTooLong {
		t.Errorf("Decode(trap with a 129-arc OID) = %v, want malformed %q", err, ReasonOIDTooLong)
	}
}

// The well-known varbind OIDs are the content octets of what they say.
func TestWellKnownOIDs(t *testing.T) {
	for s, c := range map[string]string{
		"1.3.6.1.2.1.1.3.0":     OIDSysUpTime,
		"1.3.6.1.6.3.1.1.4.1.0": OIDSnmpTrapOID,
		"1.3.6.1.6.3.1.1.4.3.0": OIDSnmpTrapEnterprise,
		"1.3.6.1.6.3.18.1.3.0":  OIDSnmpTrapAddress,
		"1.3.6.1.6.3.18.1.4.0":  OIDSnmpTrapCommunity,
	} {
		if got := string(MustParseOID(s)); got != c {
			t.Errorf("%s: %x, want %x", s, c, got)
		}
	}
}
