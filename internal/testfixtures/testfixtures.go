// Package testfixtures holds what the tests of several packages share, so
// that it exists once: the third-party captures in the shared fixtures
// directory (Path, Payloads), SNMP test data (LinkDownVarbinds, TrapOID),
// waiting for a condition (WaitFor, Eventually), load in the background
// (InBackground) and a settable clock (Clock). Only tests import it.
//
// The captures: the tests that use them run when SNMPTRAP_FIXTURES names
// that directory (see its README.md); CI sets it to ../shared/fixtures. A
// relative path is taken from the repository root, not from the package
// directory where go test runs.
//
// This package must not import snmp: snmp's own tests (package snmp) import
// it, and Go refuses that cycle. The SNMP helpers take snmp's types by their
// shape instead (see snmp.go).
package testfixtures

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Env names the fixtures directory.
const Env = "SNMPTRAP_FIXTURES"

// Path returns the path of a fixture file. It skips the test when the
// fixtures are not configured, and fails it when they are but the file is
// missing: a configured corpus that silently shrank would hide regressions.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		t.Skipf("%s is not set; set it to the shared fixtures directory to run this test", Env)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleRoot(t), dir)
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is set, but: %v", Env, err)
	}
	return path
}

// moduleRoot returns the directory holding go.mod, above the working
// directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Payloads returns the UDP payload of every frame of a pcap or pcapng
// capture; frame n (counted from 1, as Wireshark does) is at index n-1.
func Payloads(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
		LinkType() layers.LinkType
	}
	if bytes.HasPrefix(data, []byte{0x0a, 0x0d, 0x0d, 0x0a}) { // pcapng section header
		src, err = pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	} else {
		src, err = pcapgo.NewReader(bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out [][]byte
	for {
		frame, _, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s frame %d: %v", name, len(out)+1, err)
		}
		packet := gopacket.NewPacket(frame, src.LinkType(), gopacket.Default)
		udp, ok := packet.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok {
			t.Fatalf("%s frame %d is not UDP", name, len(out)+1)
		}
		out = append(out, udp.Payload)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no frames", name)
	}
	return out
}
