package pipeline

import "github.com/snmptrap-exporter/snmptrap_exporter/internal/race"

// raceEnabled: the race detector makes sync.Pool drop items on purpose,
// so allocation counts mean nothing under it. (internal/race.Enabled under
// the name this package's tests use; no build tag any more.)
const raceEnabled = race.Enabled
