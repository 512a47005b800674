//go:build race

package loader

import "time"

// The race detector slows the child (the test binary, built with -race)
// about twentyfold; time bounds scale with it. childStartup is enough for a
// child to start and open its first module.
const (
	timeScale    = 20
	childStartup = 5 * time.Second
)
