package engine

import (
	"fmt"
	"path/filepath"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Start loads the engine as Load does and says what it had to do: a
// corrupt engine file or one that cannot be written is logged, never
// fatal; an engineBoots at its maximum is logged at error level with the
// remedy that applies (configured is the engine ID of the configuration,
// nil for none).
func Start(dir string, configured []byte, logger log.Logger) (*Engine, Result, error) {
	eng, res, err := Load(dir, configured, nil)
	if err != nil {
		return nil, res, err
	}
	if res.Regenerated != nil {
		level.Error(logger).Log("msg", "engine file unusable; made a new engine ID (SNMPv3 inform senders must rediscover it)", "err", res.Regenerated)
	}
	if res.NotSaved != nil {
		level.Warn(logger).Log("msg", "cannot save engineBoots; the next start may reuse this value", "err", res.NotSaved)
	}
	if res.BootsExhausted {
		file := filepath.Join(dir, FileName)
		remedy := "stop the exporter, delete " + file + " and start it: it makes a new engine ID, which inform senders discover (those configured with this engine ID, or with keys localized to it, need the new one)"
		if configured != nil {
			remedy = "set a new engine_id in the configuration and restart (with engine_id set, deleting " + file + " would restart engineBoots under the same engine ID, which RFC 3414 allows only with new secrets for every SNMPv3 user)"
		}
		level.Error(logger).Log("msg", "engineBoots is at its maximum, 2147483647 (RFC 3414 §2.2.2): every SNMPv3 inform to this engine fails the time window until it has a new engine ID; "+remedy,
			"engine_id", fmt.Sprintf("%x", eng.ID), "file", file)
	}
	level.Info(logger).Log("msg", "SNMP engine", "engine_id", fmt.Sprintf("%x", eng.ID), "engine_boots", eng.Boots)
	return eng, res, nil
}
