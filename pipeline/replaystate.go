package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/sealed"
)

// The replay memory's file (replay.jsonl in the storage directory) is JSON lines in package sealed's framing:
//
//	{"state":"snmptrap_exporter replay memory","version":1,"engines":1,"key":"<32 hex digits>"}
//	{"engine":"80001f8880aabbccdd","boots":5,"time":1200,"heard_ns":1700000000000000000,"floor":[5,1000],"messages":"<base64>"}
//	{"sha256":"…"}
//
// key is the fingerprint key; per sender engine come its latest
// engineBoots and engineTime, when it was last heard, its floor (absent
// when none) and its remembered messages, oldest first, 16 bytes each:
// the fingerprint, engineBoots and engineTime, little-endian.
const (
	replayMagic   = "snmptrap_exporter replay memory"
	replayVersion = 1
	replayEntry   = 16
)

// ErrCorruptReplayState is wrapped by every error about the content of a
// replay memory's file.
var ErrCorruptReplayState = errors.New("corrupt replay memory")

// ReplayChanges identifies the state of the replay memory: it goes up with
// every change, so a saver can skip an unchanged memory without encoding it.
func (pr *Processor) ReplayChanges() uint64 {
	t := pr.times
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changes
}

// AppendReplayState appends the SNMPv3 replay memory to dst, as
// internal/persist saves it, and returns it with the ReplayChanges value it
// is the state of. This exporter's own engine is left out: its
// engineBoots goes up at every start, so no inform to it from before a
// restart is in its time window afterwards. The memory's lock is held only
// while it is copied.
func (pr *Processor) AppendReplayState(dst []byte) ([]byte, uint64) {
	var local string
	if pr.engine != nil {
		local = string(pr.engine.ID)
	}
	type engineCopy struct {
		id          string
		boots, time int32
		heard       int64
		floorSet    bool
		floor       [2]int32
		from, to    int // of entries
	}
	t := pr.times
	t.mu.Lock()
	changes := t.changes
	key := t.fp.key
	engines := make([]engineCopy, 0, len(t.engines))
	entries := make([]byte, 0, t.total*replayEntry)
	for id, st := range t.engines {
		if id == local {
			continue
		}
		e := engineCopy{id: id, boots: st.boots, time: st.time, heard: st.seenAt.UnixNano(),
			floorSet: st.floorSet, floor: [2]int32{st.floorBoots, st.floorTime}, from: len(entries)}
		for _, m := range st.queue[st.head:] {
			entries = binary.LittleEndian.AppendUint64(entries, m.mac)
			entries = binary.LittleEndian.AppendUint32(entries, uint32(m.boots))
			entries = binary.LittleEndian.AppendUint32(entries, uint32(m.time))
		}
		e.to = len(entries)
		engines = append(engines, e)
	}
	t.mu.Unlock()

	slices.SortFunc(engines, func(a, b engineCopy) int { return bytes.Compare([]byte(a.id), []byte(b.id)) })
	start := len(dst)
	dst = append(dst, `{"state":"`+replayMagic+`","version":`...)
	dst = strconv.AppendInt(dst, replayVersion, 10)
	dst = append(dst, `,"engines":`...)
	dst = strconv.AppendInt(dst, int64(len(engines)), 10)
	dst = append(dst, `,"key":"`...)
	dst = hex.AppendEncode(dst, key[:])
	dst = append(dst, "\"}\n"...)
	for _, e := range engines {
		dst = append(dst, `{"engine":"`...)
		dst = hex.AppendEncode(dst, []byte(e.id))
		dst = append(dst, `","boots":`...)
		dst = strconv.AppendInt(dst, int64(e.boots), 10)
		dst = append(dst, `,"time":`...)
		dst = strconv.AppendInt(dst, int64(e.time), 10)
		dst = append(dst, `,"heard_ns":`...)
		dst = strconv.AppendInt(dst, e.heard, 10)
		if e.floorSet {
			dst = append(dst, `,"floor":[`...)
			dst = strconv.AppendInt(dst, int64(e.floor[0]), 10)
			dst = append(dst, ',')
			dst = strconv.AppendInt(dst, int64(e.floor[1]), 10)
			dst = append(dst, ']')
		}
		dst = append(dst, `,"messages":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, entries[e.from:e.to])
		dst = append(dst, "\"}\n"...)
	}
	dst, _ = sealed.Seal(dst, start)
	return dst, changes
}

type replayHeader struct {
	State   string `json:"state"`
	Version *int   `json:"version"`
	Engines *int   `json:"engines"`
	Key     string `json:"key"`
}

type replayRecord struct {
	Engine   string    `json:"engine"`
	Boots    *int32    `json:"boots"`
	Time     *int32    `json:"time"`
	Heard    *int64    `json:"heard_ns"`
	Floor    *[2]int32 `json:"floor"`
	Messages *string   `json:"messages"`
}

func corruptReplay(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptReplayState, fmt.Sprintf(format, args...))
}

// RestoreReplayState loads a replay memory that AppendReplayState saved,
// and returns how many engines and messages it restored,
// in place of the (empty) one in use: call it before the first message is
// handled. A file that fails its checks changes nothing and the error
// wraps ErrCorruptReplayState. The bounds hold: engines beyond the maximum
// are left out, and messages beyond an engine's or the total bound are
// forgotten oldest first, raising their engine's floor as at run time.
func (pr *Processor) RestoreReplayState(b []byte) (engineCount, messages int, err error) {
	content, err := sealed.Open(b)
	if err != nil {
		return 0, 0, corruptReplay("%v", err)
	}
	first := bytes.IndexByte(content, '\n')
	var h replayHeader
	if err := json.Unmarshal(content[:first], &h); err != nil || h.State != replayMagic {
		return 0, 0, corruptReplay("line 1 is not a snmptrap_exporter replay memory header")
	}
	if h.Version == nil || *h.Version != replayVersion {
		return 0, 0, corruptReplay("format version %v, this build reads version %d", h.Version, replayVersion)
	}
	key, err := hex.DecodeString(h.Key)
	if err != nil || len(key) != 16 {
		return 0, 0, corruptReplay("line 1: the key is not 16 bytes of hex")
	}
	body := content[first+1:]
	if h.Engines == nil || bytes.Count(body, []byte{'\n'}) != *h.Engines {
		return 0, 0, corruptReplay("the header's engine count does not match the records")
	}
	type decoded struct {
		id    string
		st    *engineTime
		queue []seenMsg
	}
	var engines []decoded
	for line := 2; len(body) > 0; line++ {
		i := bytes.IndexByte(body, '\n')
		var r replayRecord
		if err := json.Unmarshal(body[:i], &r); err != nil {
			return 0, 0, corruptReplay("line %d: %v", line, err)
		}
		body = body[i+1:]
		id, err := hex.DecodeString(r.Engine)
		if err != nil || len(id) == 0 || len(id) > 32 || r.Boots == nil || r.Time == nil || r.Heard == nil || r.Messages == nil {
			return 0, 0, corruptReplay("line %d: want engine (1 to 32 bytes of hex), boots, time, heard_ns and messages", line)
		}
		raw, err := base64.StdEncoding.DecodeString(*r.Messages)
		if err != nil || len(raw)%replayEntry != 0 {
			return 0, 0, corruptReplay("line %d: messages is not base64 of %d-byte entries", line, replayEntry)
		}
		st := &engineTime{boots: *r.Boots, time: *r.Time, seenAt: time.Unix(0, *r.Heard)}
		if r.Floor != nil {
			st.floorSet, st.floorBoots, st.floorTime = true, r.Floor[0], r.Floor[1]
		}
		queue := make([]seenMsg, 0, len(raw)/replayEntry)
		for ; len(raw) > 0; raw = raw[replayEntry:] {
			m := seenMsg{mac: binary.LittleEndian.Uint64(raw), boots: int32(binary.LittleEndian.Uint32(raw[8:])),
				time: int32(binary.LittleEndian.Uint32(raw[12:]))}
			if m.mac == 0 {
				return 0, 0, corruptReplay("line %d: a fingerprint of 0", line)
			}
			queue = append(queue, m)
		}
		engines = append(engines, decoded{id: string(id), st: st, queue: queue})
	}

	t := pr.times
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fp = newFingerprinter([16]byte(key))
	t.engines = make(map[string]*engineTime, len(engines))
	t.total = 0
	for _, e := range engines {
		if len(t.engines) >= t.maxEngines {
			break
		}
		if _, dup := t.engines[e.id]; dup {
			continue
		}
		t.engines[e.id] = e.st
		for _, m := range e.queue {
			t.remember(e.st, m.mac, m.boots, m.time)
		}
	}
	for _, st := range t.engines {
		messages += st.remembered()
	}
	return len(t.engines), messages, nil
}
