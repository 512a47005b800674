// Command otlpsink is the OTLP/HTTP logs endpoint of the receive benchmark:
// it accepts every POST, walks the request just far enough to count its log
// records, and answers 200 with an empty response. It prints the counts
// when it gets SIGINT or SIGTERM. It is cheap on purpose (it shares a CPU
// with the sender); it checks nothing: the tests decode what the exporter
// sends with pdata.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"google.golang.org/protobuf/encoding/protowire"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:14318", "address to accept OTLP/HTTP logs on")
	flag.Parse()
	var requests, records, bytes, bad atomic.Int64
	http.HandleFunc("/v1/logs", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var n int
		if err == nil {
			n, err = countRecords(body)
		}
		if err != nil {
			bad.Add(1)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		requests.Add(1)
		records.Add(int64(n))
		bytes.Add(int64(len(body)))
		w.Header().Set("Content-Type", "application/x-protobuf")
	})
	go func() {
		if err := http.ListenAndServe(*listen, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	fmt.Printf("requests=%d records=%d bytes=%d bad=%d\n", requests.Load(), records.Load(), bytes.Load(), bad.Load())
}

// countRecords counts the log_records (2) of the scope_logs (2) of the
// resource_logs (1) of a LogsData.
func countRecords(b []byte) (int, error) {
	n := 0
	err := fields(b, 1, func(rl []byte) error {
		return fields(rl, 2, func(sl []byte) error {
			return fields(sl, 2, func([]byte) error { n++; return nil })
		})
	})
	return n, err
}

// fields calls f with each length-delimited field num of message b.
func fields(b []byte, num protowire.Number, f func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return protowire.ParseError(l)
			}
			if err := f(v); err != nil {
				return err
			}
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
	}
	return nil
}
