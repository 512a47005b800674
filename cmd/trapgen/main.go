// Command trapgen is a load generator for the SNMP trap exporter. It
// pre-encodes traps (v1, v2c, informs, v3 authPriv SHA/AES, or a mix of v1
// and v2c) and sends them with sendmmsg batches from many loopback source
// addresses, at a set rate or flat out, until --count messages are sent or
// --duration has passed. It sends only to and from loopback addresses
// (127.0.0.0/8, ::1) and refuses any other.
//
// At the end it prints one line to stdout:
//
//	sent=N errors=E elapsed_s=T rate_per_s=R
//
// (with acks=A appended for informs: the responses it read back; it does
// not wait for them or retransmit).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("trapgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.target, "target", "127.0.0.1:162", "`ip:port` to send to; loopback only (127.0.0.0/8 or [::1])")
	fs.StringVar(&c.kind, "kind", kindV2c, "message kind: "+strings.Join(kinds, ", ")+" (mix: v1 and v2c alternately)")
	fs.Float64Var(&c.rate, "rate", 0, "messages per second; 0 sends flat out")
	fs.IntVar(&c.count, "count", 100000, "stop after this many messages")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "stop after this long")
	fs.IntVar(&c.sources, "sources", 1, "number of source sockets, bound to consecutive loopback addresses, used in turn per batch")
	fs.StringVar(&c.sourceStart, "source-start", "127.0.0.2", "first source address (IPv4 targets); must stay in 127.0.0.0/8")
	fs.IntVar(&c.batch, "batch", 64, "messages per sendmmsg call")
	fs.StringVar(&c.community, "community", "public", "v1/v2c community")
	fs.IntVar(&c.trapTypes, "trap-types", 0, "v2c: send this many distinct trap OIDs (netSnmpPlaypen.0.1 up, at most 1024) in turn instead of linkDown/linkUp; with --batch equal to it, every source sends every type")
	fs.IntVar(&c.longOIDs, "long-oids", 0, "v2c: give every message a trap OID of its own with this many arcs (10 to 128: netSnmpPlaypen, arcs of 2^32-1, then a last arc unique within 4,026,531,840 messages)")
	fs.StringVar(&c.v3.user, "user", "trapgen", "v3 user name")
	fs.StringVar(&c.v3.authPass, "auth-pass", "", "v3 SHA authentication password")
	fs.StringVar(&c.v3.privPass, "priv-pass", "", "v3 AES privacy password")
	fs.DurationVar(&c.ackWait, "ack-wait", 200*time.Millisecond, "informs: how long to keep counting acks after the last send")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	// engineBoots 1 and engineTime from the clock: a later run is never
	// older than an earlier one, and its messages differ from the earlier
	// run's, so the exporter's replay check refuses neither.
	c.v3.boots, c.v3.time = 1, int32(time.Now().Unix()-1_700_000_000)
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if err == flag.ErrHelp {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "trapgen:", err)
		os.Exit(1)
	}
	fmt.Println(res)
}
