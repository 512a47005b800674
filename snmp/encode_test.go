package snmp

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

func TestIntegerValue(t *testing.T) {
	tests := []struct {
		v    int64
		want string
	}{
		{0, "00"},
		{1, "01"},
		{127, "7f"},
		{128, "00 80"},
		{256, "01 00"},
		{-1, "ff"},
		{-128, "80"},
		{-129, "ff 7f"},
		{math.MaxInt32, "7f ff ff ff"},
		{math.MinInt32, "80 00 00 00"},
		{math.MaxUint32, "00 ff ff ff ff"},
		{math.MaxInt64, "7f ff ff ff ff ff ff ff"},
		{math.MinInt64, "80 00 00 00 00 00 00 00"},
	}
	for _, tt := range tests {
		if got := IntegerValue(tt.v); !bytes.Equal(got, hx(tt.want)) {
			t.Errorf("IntegerValue(%d) = % x, want %s", tt.v, got, tt.want)
		}
	}
}

func TestUnsignedValue(t *testing.T) {
	tests := []struct {
		v    uint64
		want string
	}{
		{0, "00"},
		{127, "7f"},
		{128, "00 80"},
		{255, "00 ff"},
		{256, "01 00"},
		{math.MaxInt32, "7f ff ff ff"},
		{math.MaxUint32, "00 ff ff ff ff"},
		{math.MaxUint64, "00 ff ff ff ff ff ff ff ff"},
	}
	for _, tt := range tests {
		if got := UnsignedValue(tt.v); !bytes.Equal(got, hx(tt.want)) {
			t.Errorf("UnsignedValue(%d) = % x, want %s", tt.v, got, tt.want)
		}
	}
}

// TestEncodeExact compares the encoders' output with messages built by the
// independent test builder, byte for byte.
func TestEncodeExact(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{
			"v2c linkDown",
			AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1234567, testfixtures.LinkDownVarbinds[Varbind]()),
			linkDownV2c(),
		},
		{
			"v1 linkDown",
			AppendTrapV1(nil, []byte("public"), MustParseOID("1.3.6.1.4.1.9.1.516"), [4]byte{10, 1, 30, 1}, 2, 0, 239244, testfixtures.LinkDownVarbinds[Varbind]()[2:]),
			linkDownV1(),
		},
		{
			"inform, negative request-id, no varbinds",
			AppendTrapV2(nil, V2c, []byte("c"), PDUInformRequest, -1, nil),
			message(1, "c", v2PDU(PDUInformRequest, -1, 0, 0)),
		},
		{
			"two-octet lengths",
			AppendTrapV2(nil, V2c, []byte("c"), PDUTrapV2, 1, []Varbind{{MustParseOID(oidIfDescr2), TagOctetString, []byte(long)}}),
			message(1, "c", v2PDU(PDUTrapV2, 1, 0, 0, vb(oidIfDescr2, octets(long)))),
		},
		{
			"v1 trap, TimeTicks with top bit set",
			AppendTrapV1(nil, []byte("c"), MustParseOID("1.3"), [4]byte{}, 6, math.MaxInt32, math.MaxUint32, nil),
			message(0, "c", tlv(byte(PDUTrapV1), oidElem("1.3"), tlv(TagIPAddress, make([]byte, 4)),
				integer(6), integer(math.MaxInt32), tlv(TagTimeTicks, hx("00 ff ff ff ff")), tlv(TagSequence))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, tt.want) {
				t.Errorf("encoded\n% x\nwant\n% x", tt.got, tt.want)
			}
		})
	}
}

func TestEncodeAppends(t *testing.T) {
	prefix := []byte("prefix")
	got := AppendTrapV2(append([]byte(nil), prefix...), V2c, []byte("c"), PDUTrapV2, 1, nil)
	want := append(append([]byte(nil), prefix...), message(1, "c", v2PDU(PDUTrapV2, 1, 0, 0))...)
	if !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}

// TestEncodeRoundTrip encodes messages and checks that Decode gives back
// every field.
func TestEncodeRoundTrip(t *testing.T) {
	allTypes := []Varbind{
		{MustParseOID(oidSysUpTime0), TagTimeTicks, UnsignedValue(math.MaxUint32)},
		{MustParseOID(oidSnmpTrapOID0), TagObjectIdentifier, MustParseOID("1.3.6.1.4.1.45.1.6.2.4.0.4")},
		{MustParseOID("1.3.6.1.4.1.99.1"), TagInteger, IntegerValue(math.MinInt32)},
		{MustParseOID("1.3.6.1.4.1.99.2"), TagOctetString, []byte("\x00binary\xff")},
		{MustParseOID("1.3.6.1.4.1.99.3"), TagIPAddress, []byte{192, 0, 2, 1}},
		{MustParseOID("1.3.6.1.4.1.99.4"), TagCounter32, UnsignedValue(1 << 31)},
		{MustParseOID("1.3.6.1.4.1.99.5"), TagGauge32, UnsignedValue(0)},
		{MustParseOID("1.3.6.1.4.1.99.6"), TagCounter64, UnsignedValue(math.MaxUint64)},
		{MustParseOID("1.3.6.1.4.1.99.7"), TagNull, nil},
		{MustParseOID("1.3.6.1.4.1.99.8"), TagOctetString, bytes.Repeat([]byte("y"), 70000)},
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want Message
	}{
		{"v2c trap", AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 42, allTypes),
			Message{Version: V2c, Community: []byte("public"), PDUType: PDUTrapV2, RequestID: 42, Varbinds: allTypes}},
		{"v2c inform", AppendTrapV2(nil, V2c, []byte("s3cret"), PDUInformRequest, math.MinInt32, allTypes[:2]),
			Message{Version: V2c, Community: []byte("s3cret"), PDUType: PDUInformRequest, RequestID: math.MinInt32, Varbinds: allTypes[:2]}},
		{"v1 trap", AppendTrapV1(nil, []byte("public"), MustParseOID(oidSynOptics), [4]byte{10, 0, 0, 9}, 6, 4, 777, allTypes[2:]),
			Message{Version: V1, Community: []byte("public"), PDUType: PDUTrapV1, Enterprise: MustParseOID(oidSynOptics),
				AgentAddr: [4]byte{10, 0, 0, 9}, GenericTrap: 6, SpecificTrap: 4, TimeStamp: 777, Varbinds: allTypes[2:]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			if err := m.Decode(tc.in); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got, want := summarize(t, &m), summarize(t, &tc.want); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestAppendResponse(t *testing.T) {
	vbs := [][]byte{
		vb(oidSysUpTime0, tlv(TagTimeTicks, hx("01 02"))),
		vb(oidSnmpTrapOID0, oidElem("1.3.6.1.4.1.8072.2.3.0.1")),
		vb("1.3.6.1.4.1.8072.2.3.2.1", integer(60)),
		vb("1.3.6.1.4.1.9.9.4", tlv(0x87, hx("01"))), // unknown types are echoed too
	}
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{
			"v2c inform",
			message(1, "public", v2PDU(PDUInformRequest, 1318065890, 0, 0, vbs...)),
			message(1, "public", v2PDU(PDUResponse, 1318065890, 0, 0, vbs...)),
		},
		{
			"inform with non-minimal lengths gets minimal ones",
			hx("30 82 00 2e 02 01 01 04 81 01 63 a6 84 00 00 00 21 02 02 00 07 02 01 00 02 01 00 30 81 14" +
				"30 12 06 0a 2b 06 01 06 03 01 01 04 01 00 06 83 00 00 01 2b"),
			message(1, "c", v2PDU(PDUResponse, 7, 0, 0, vb(oidSnmpTrapOID0, oidElem("1.3")))),
		},
		{
			"inform in a v1 message keeps the version",
			message(0, "c", v2PDU(PDUInformRequest, -3, 0, 0)),
			message(0, "c", v2PDU(PDUResponse, -3, 0, 0)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := m.Decode(tt.in); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got := AppendResponse([]byte("p"), &m)
			if !bytes.Equal(got[1:], tt.want) || got[0] != 'p' {
				t.Errorf("AppendResponse =\n% x\nwant\n% x", got[1:], tt.want)
			}
		})
	}
}

func TestAppendResponseZeroAllocs(t *testing.T) {
	var m Message
	if err := m.Decode(AppendTrapV2(nil, V2c, []byte("public"), PDUInformRequest, 5, testfixtures.LinkDownVarbinds[Varbind]())); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		AppendResponse(buf[:0], &m)
	})
	if allocs != 0 {
		t.Errorf("AppendResponse allocated %v times per run", allocs)
	}
}
