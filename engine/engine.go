// Package engine keeps this exporter's own SNMP engine: the engine ID and
// engineBoots that make it the authoritative engine for the SNMPv3 informs
// it acknowledges (RFC 3414 §2.2). Both survive restarts in a small file
// under --storage.path; engineBoots goes up by one at every start.
package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/atomicfile"
)

// FileName is the engine file's name in the storage directory.
const FileName = "engine.json"

// maxFileSize is the largest engine file Load reads. The file is about 100
// bytes (a version, an engine ID of at most 32 octets in hex, engineBoots);
// a larger one is not this program's and is set aside like a corrupt one.
const maxFileSize = 4096

// Engine is the local authoritative engine.
type Engine struct {
	ID    []byte
	Boots int32
	start time.Time
	now   func() time.Time
}

// Time returns msgAuthoritativeEngineTime: whole seconds since start,
// capped at 2^31-1 (RFC 3414 §2.2.1).
func (e *Engine) Time() int32 {
	s := e.now().Sub(e.start) / time.Second
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(s)
}

type file struct {
	Version  int    `json:"version"`
	EngineID string `json:"engine_id"`
	Boots    int32  `json:"boots"`
}

// Result says what Load had to do beside the normal start.
type Result struct {
	// Regenerated is set when the engine file was unreadable or corrupt and
	// a new engine ID was made (a corrupt file, or anything at the path
	// that is not a regular file of at most 4 KiB, is kept aside as
	// engine.json.corrupt). Senders must rediscover the engine.
	Regenerated error
	// NotSaved is set when the new engineBoots could not be written: the
	// engine works, but the next start may repeat this engineBoots.
	NotSaved error
	// BootsExhausted is set when engineBoots is at its maximum, 2^31-1,
	// from the file or reached at this start. RFC 3414 §2.2.2 latches it
	// there until the engine is reconfigured, and §3.2 step 7a makes every
	// authenticated message to it outside the time window: SNMPv3 informs
	// fail (traps, whose engine is the sender's, are not affected). The
	// remedy is a new engine ID: without a configured one, delete the
	// engine file and a new ID is made; with one, configure another (the
	// RFC's alternative keeps the ID and changes every user's secrets).
	BootsExhausted bool
}

// Load starts the engine: it reads dir/engine.json (only a regular file of
// at most 4 KiB, never through a symbolic link: see atomicfile.ReadRegular),
// keeps its engine ID unless configured is set (an ID from the
// configuration wins; a changed ID starts engineBoots again, from the
// clock: see nextBoots), increments engineBoots and writes the file back
// before returning. now is the clock (nil: time.Now).
func Load(dir string, configured []byte, now func() time.Time) (*Engine, Result, error) {
	if now == nil {
		now = time.Now
	}
	var res Result
	path := filepath.Join(dir, FileName)
	var f file
	b, err := atomicfile.ReadRegular(path, maxFileSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case errors.Is(err, atomicfile.ErrNotRegular) || errors.Is(err, atomicfile.ErrTooLarge):
		// Not this program's file: set aside like a corrupt one (the
		// FIFO or symbolic link itself is renamed, never followed).
		res.Regenerated = err
		_ = os.Rename(path, path+".corrupt")
	case err != nil:
		res.Regenerated = fmt.Errorf("read %s: %w", path, err)
	default:
		if perr := parse(b, &f); perr != nil {
			res.Regenerated = fmt.Errorf("%s is corrupt: %w", path, perr)
			f = file{}
			// Keep it for inspection; a failure here changes nothing.
			_ = os.Rename(path, path+".corrupt")
		}
	}

	id, _ := hex.DecodeString(f.EngineID)
	if configured != nil && string(configured) != string(id) {
		id, f.Boots = configured, 0
	}
	if len(id) == 0 {
		if id, err = newID(); err != nil {
			return nil, res, err
		}
		f.Boots = 0
	}
	f.Boots = nextBoots(f.Boots, now())
	res.BootsExhausted = f.Boots == math.MaxInt32
	e := &Engine{ID: id, Boots: f.Boots, start: now(), now: now}
	res.NotSaved = save(dir, path, file{Version: 1, EngineID: hex.EncodeToString(id), Boots: f.Boots})
	return e, res, nil
}

// nextBoots returns the engineBoots for this start: one more than the
// stored value, and never less than the minutes since the Unix epoch.
//
// RFC 3414 §2.2.2 relies on engineBoots never repeating for an engine ID,
// or messages captured in an earlier run would be in time again. The file
// alone cannot promise that: it may be lost or corrupt while the engine ID
// stays (set in the configuration), it may be unwritable, or the ID may
// change and change back. The clock floor covers all of these as long as
// the clock does not go back and starts are a minute apart; the stored
// value covers faster restarts. The floor (about 29 million in 2026) stays
// below 2^31-1 for four thousand years.
func nextBoots(stored int32, now time.Time) int32 {
	floor := now.Unix() / 60
	if floor > math.MaxInt32 {
		floor = math.MaxInt32
	}
	next := int64(stored) + 1
	if next < floor {
		next = floor
	}
	// RFC 3414 §2.2.2: engineBoots stops at 2^31-1.
	if next > math.MaxInt32 {
		next = math.MaxInt32
	}
	return int32(next)
}

func parse(b []byte, f *file) error {
	if err := json.Unmarshal(b, f); err != nil {
		return err
	}
	if f.Version != 1 {
		return fmt.Errorf("unknown version %d", f.Version)
	}
	id, err := hex.DecodeString(f.EngineID)
	if err != nil || len(id) < 5 || len(id) > 32 {
		return fmt.Errorf("engine_id %q is not 5 to 32 octets of hex", f.EngineID)
	}
	if f.Boots < 1 {
		return fmt.Errorf("boots %d out of range", f.Boots)
	}
	return nil
}

// newID makes an RFC 3411 engine ID: the top bit set, enterprise number 0
// (this project has no IANA enterprise number), format 5 (octets chosen by
// the administrator: here 8 random ones).
func newID() ([]byte, error) {
	id := []byte{0x80, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, err := rand.Read(id[5:]); err != nil {
		return nil, err
	}
	return id, nil
}

// save writes the file atomically (a temporary file, fsync, rename, and an
// fsync of the directory so the rename itself survives a crash).
func save(dir, path string, f file) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}
