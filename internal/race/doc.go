// Package race says whether the race detector is on, for tests whose
// measurements it distorts: it slows everything down, makes sync.Pool drop
// items on purpose and allocates. Enabled is a constant, set by build tag
// in race.go and norace.go.
package race
