// Command udpsink is the baseline of the receive benchmark: a bare UDP
// receiver that only counts datagrams, one plain read per datagram, with
// the same receive buffer the exporter asks for. It prints the count when
// it gets SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:10162", "UDP address to count datagrams on")
	rcvbuf := flag.Int("rcvbuf", 4<<20, "SO_RCVBUF to ask for")
	flag.Parse()
	addr, err := net.ResolveUDPAddr("udp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, err := net.ListenUDP("udp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// As the exporter does: SO_RCVBUFFORCE (past net.core.rmem_max with
	// CAP_NET_ADMIN), else SO_RCVBUF, so both get the same buffer.
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, *rcvbuf) != nil {
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, *rcvbuf)
			}
		})
	}
	var n atomic.Uint64
	go func() {
		buf := make([]byte, 65535)
		for {
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	fmt.Fprintln(os.Stderr, "ready")
	<-sig
	c.Close()
	fmt.Printf("received=%d\n", n.Load())
}
