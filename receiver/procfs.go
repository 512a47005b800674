package receiver

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// socketDrops returns the drop counter of the socket with the given inode
// from a /proc/net/udp-style table. The kernel counts there every datagram
// it discarded for that socket (receive buffer full, bad checksum), which no
// read on the socket can see.
func socketDrops(table string, inode uint64) (uint64, error) {
	b, err := os.ReadFile(table)
	if err != nil {
		return 0, err
	}
	return parseSocketDrops(b, inode)
}

// parseSocketDrops finds inode's line in the table: the inode is the tenth
// field and the drop counter the last (13th).
func parseSocketDrops(table []byte, inode uint64) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // header
	want := strconv.FormatUint(inode, 10)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 13 || string(f[9]) != want {
			continue
		}
		return strconv.ParseUint(string(f[12]), 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("socket inode %d not found", inode)
}
