package loader

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// The child of Load, in tests, is the test binary itself: run as
// `loader.test mib-load --dir D`, it does what `snmptrap_exporter mib-load`
// does, so `go test` needs no built exporter. Two switches, read only here,
// make it misbehave on purpose:
const (
	envSleep = "LOADER_TEST_CHILD_SLEEP" // sleep this long before working
	envCrash = "LOADER_TEST_CHILD_CRASH" // die like a fatal runtime error when the parser opens this module
	envHang  = "LOADER_TEST_CHILD_HANG"  // hang for ever when the parser opens this module
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Command {
		os.Exit(childMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func childMain(args []string) int {
	if d, err := time.ParseDuration(os.Getenv(envSleep)); err == nil {
		time.Sleep(d)
	}
	crash, hang := os.Getenv(envCrash), os.Getenv(envHang)
	testHookOpen = func(module string) {
		switch module {
		case crash:
			fmt.Fprintln(os.Stderr, "fatal error: simulated crash in", module)
			os.Exit(2)
		case hang:
			select {}
		}
	}
	dirs, skip, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return Main(dirs, skip, mib.Files, os.Stdout, os.Stderr)
}

// shippedDir is the shipped IETF set on disk (mib/mibs), for tests that
// load it as an operator's directory. The child uses mib.Files, the same
// files embedded in the binary, as the exporter does.
func shippedDir() (string, error) {
	return filepath.Abs("../mibs")
}
