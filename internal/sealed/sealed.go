// Package sealed frames the exporter's state files: JSON lines, readable
// with jq and grep, whose last line is the SHA-256 of every byte before
// it. A file cut short lacks the checksum line or its final newline, and a
// changed byte fails the checksum: either way Open refuses it whole. The
// series snapshot and the SNMPv3 replay memory use it.
package sealed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Seal appends to b the checksum line of b[start:], the content written
// since start, and returns b and the checksum.
func Seal(b []byte, start int) ([]byte, [sha256.Size]byte) {
	sum := sha256.Sum256(b[start:])
	b = append(b, `{"sha256":"`...)
	b = hex.AppendEncode(b, sum[:])
	b = append(b, "\"}\n"...)
	return b, sum
}

// Open checks a sealed file and returns its content without the checksum
// line. The errors say what is wrong in a few words.
func Open(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errors.New("empty file")
	}
	if b[len(b)-1] != '\n' {
		return nil, errors.New("truncated: the last line is incomplete")
	}
	cut := bytes.LastIndexByte(b[:len(b)-1], '\n')
	if cut < 0 || bytes.IndexByte(b, '\n') == len(b)-1 {
		return nil, errors.New("truncated: no checksum line")
	}
	var trailer struct {
		SHA256 string `json:"sha256"`
	}
	want, err := []byte(nil), json.Unmarshal(b[cut+1:len(b)-1], &trailer)
	if err == nil {
		want, err = hex.DecodeString(trailer.SHA256)
	}
	if err != nil || len(want) != sha256.Size {
		return nil, errors.New("truncated: the last line is not the checksum line")
	}
	if sum := sha256.Sum256(b[:cut+1]); !bytes.Equal(sum[:], want) {
		return nil, fmt.Errorf("checksum mismatch: the content is %x, the checksum line says %x", sum, want)
	}
	return b[:cut+1], nil
}
