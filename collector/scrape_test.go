package collector

import (
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"

	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A scrape only reads: it expires nothing (the expiry loop does, with or
// without scrapes). Before, every scrape ran Expire under the store's
// write lock. That what a scrape reads of the store takes no lock is
// TestReadsTakeNoLock in internal/metrics.
func TestScrapeOnlyReads(t *testing.T) {
	clk := testfixtures.NewClock()
	store := metrics.NewStore(0, time.Hour, clk.Now)
	store.Observe(netip.Addr{}, "192.0.2.1", "IF-MIB::linkDown", time.Time{})
	h := exporterHandler(store, HandlerOpts{})
	scrape(t, h, "", "", "") // index the series
	clk.Add(2 * time.Hour)
	_, body := scrape(t, h, "", "", "")
	if !bytes.Contains(body, []byte(trapsReceivedName+`{device="192.0.2.1",trap="IF-MIB::linkDown"} 1`)) {
		t.Errorf("the scrape expired or lost the series:\n%s", body)
	}
}

// Clients that ask for /metrics and never read hold little memory each:
// the scrape writes from an index of the store shared by every scrape, not
// from a copy of its own, at most MaxRequestsInFlight scrapes run, and a
// write that cannot go on within WriteTimeout ends the scrape. Before, 300
// such clients took a process from 136 MB to 4.66 GB at 100,000 series.
func TestSlowScrapersHoldLittle(t *testing.T) {
	const series, clients, inFlight = 100000, 300, 40
	store := fillStore(series)
	h := exporterHandler(store, HandlerOpts{MaxRequestsInFlight: inFlight, WriteTimeout: 2 * time.Second})
	srv := httptest.NewServer(h)
	defer srv.Close()
	get(t, srv.URL) // build the index before measuring

	before := heapInuse()
	var conns []net.Conn
	for range clients {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		conns = append(conns, c)
	}
	// Wait until the admitted scrapes are stuck writing.
	deadline := time.Now().Add(10 * time.Second)
	for h.(*handler).running() < inFlight && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	grown := int64(heapInuse()) - int64(before)
	t.Logf("%d clients that do not read, %d scrapes in flight: heap grew %.1f MiB", clients, h.(*handler).running(), float64(grown)/(1<<20))
	if grown > 64<<20 {
		t.Errorf("heap grew %d MiB with %d slow clients, want under 64 MiB", grown>>20, clients)
	}
	// The write timeout ends the stuck scrapes; then scrapes work again.
	deadline = time.Now().Add(10 * time.Second)
	for {
		rsp, err := http.Get(srv.URL)
		if err == nil {
			io.Copy(io.Discard, rsp.Body)
			rsp.Body.Close()
			if rsp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("scrapes still refused after the write timeout")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range conns {
		c.Close()
	}
}

// exporterHandler is the /metrics handler of store with the Exporter
// registered, as the exporter serves it.
func exporterHandler(store *metrics.Store, opts HandlerOpts) http.Handler {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(store, metrics.NewPackets(), nil))
	return NewHandler(reg, store, opts)
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	rsp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return b
}

// Scrapes in parallel with traps that add series and with expiry see
// every series exactly once and the overflow series last (run with -race).
func TestScrapeIndexWhileChanging(t *testing.T) {
	clk := testfixtures.NewClock()
	store := metrics.NewStore(300, time.Hour, clk.Now)
	h := NewHandler(prometheus.NewRegistry(), store, HandlerOpts{})
	testfixtures.InBackground(t, 2, func(g, i int) {
		if g == 0 {
			store.Observe(netip.Addr{}, fmt.Sprintf("192.0.2.%d", i%400), "t", time.Time{})
		} else {
			store.Expire()
		}
	})
	for range 200 {
		_, body := scrape(t, h, acceptText, "", "")
		seen := map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, trapsReceivedName+"{") {
				continue
			}
			labels := line[:strings.LastIndexByte(line, ' ')]
			if seen[labels] {
				t.Fatalf("series twice in one scrape: %s", labels)
			}
			seen[labels] = true
		}
	}
}

// The write timeout is the connection's: a request after a scrape on the
// same kept-alive connection does not inherit it.
func TestWriteTimeoutNotInherited(t *testing.T) {
	store := fillStore(10)
	h := NewHandler(prometheus.NewRegistry(), store, HandlerOpts{WriteTimeout: 50 * time.Millisecond})
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(100 * time.Millisecond) // past the scrape's deadline
		io.WriteString(w, "fine")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client() // keeps the connection alive
	for _, path := range []string{"/metrics", "/slow"} {
		rsp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, err := io.ReadAll(rsp.Body)
		rsp.Body.Close()
		if err != nil || rsp.StatusCode != 200 || len(b) == 0 {
			t.Errorf("%s on the same connection: status %d, %d bytes, %v", path, rsp.StatusCode, len(b), err)
		}
	}
}
