package snmp

import (
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// The benchmarks decode the same linkDown notification with our decoder
// (Decode and TrapOID, what the receiver does per packet) and with gosnmp's
// UnmarshalTrap, for comparison.

func BenchmarkDecodeV2cLinkDown(b *testing.B) { benchDecode(b, linkDownV2c()) }

func BenchmarkGosnmpDecodeV2cLinkDown(b *testing.B) { benchGosnmp(b, linkDownV2c()) }

func BenchmarkDecodeV1LinkDown(b *testing.B) { benchDecode(b, linkDownV1()) }

func BenchmarkGosnmpDecodeV1LinkDown(b *testing.B) { benchGosnmp(b, linkDownV1()) }

func benchDecode(b *testing.B, pkt []byte) {
	var m Message
	id := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := m.Decode(pkt); err != nil {
			b.Fatal(err)
		}
		if _, err := m.TrapOID(id[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGosnmp(b *testing.B, pkt []byte) {
	g := &gosnmp.GoSNMP{}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		// v1/v2c decoding does not modify its input, so no copy is needed.
		if _, err := g.UnmarshalTrap(pkt, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendResponse(b *testing.B) {
	var m Message
	if err := m.Decode(AppendTrapV2(nil, V2c, []byte("public"), PDUInformRequest, 5, testfixtures.LinkDownVarbinds[Varbind]())); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendResponse(buf[:0], &m)
	}
}
