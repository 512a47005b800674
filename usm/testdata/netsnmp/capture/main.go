// Command capture receives UDP datagrams on 127.0.0.1 and saves them, for
// gen.sh. It prints the port it listens on, then writes the n-th datagram it
// receives to the n-th file named on the command line and exits when every
// file is written, or fails after a timeout.
//
// It lives under testdata so that "go build ./..." and "go vet ./..." skip
// it; run it as "go run ./usm/testdata/netsnmp/capture FILE...".
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: capture FILE...")
		os.Exit(2)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	fmt.Println(conn.LocalAddr().(*net.UDPAddr).Port)
	if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, 65535)
	for _, name := range os.Args[1:] {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			fmt.Fprintf(os.Stderr, "waiting for %s: %v\n", name, err)
			os.Exit(1)
		}
		if err := os.WriteFile(name, buf[:n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
