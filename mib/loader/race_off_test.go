//go:build !race

package loader

import "time"

const (
	timeScale    = 1
	childStartup = time.Second
)
