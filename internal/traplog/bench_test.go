package traplog

import (
	"encoding/json"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// benchRecords renders n linkDown records (six varbinds, one state change)
// as the outputs get them.
func benchRecords(b *testing.B, n int) []traps.Record {
	h := newHistory(n)
	for range n {
		addLinkDown(b, h, "sw1")
	}
	recs, _ := h.Follow(0, n)
	if len(recs) != n {
		b.Fatal(len(recs))
	}
	return recs
}

// BenchmarkEncodeJSONLine is the file output's work per record after the
// history rendered it.
func BenchmarkEncodeJSONLine(b *testing.B) {
	recs := benchRecords(b, 512)
	enc := json.NewEncoder(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			if err := enc.Encode(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkEncodeOTLP is the OTLP output's work per record after the
// history rendered it: one request of a full batch, appended by hand.
func BenchmarkEncodeOTLP(b *testing.B) {
	recs := benchRecords(b, DefaultOTLPBatchSize)
	enc, err := newRequestEncoder(newResourceLogs("host:9412", "host", "v0"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var body []byte
	for b.Loop() {
		body = enc.appendRequest(body[:0], recs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	b.ReportMetric(float64(len(body))/float64(len(recs)), "bytes/record")
}

// BenchmarkEncodeOTLPProto is the same request built from the generated
// types and marshalled: the baseline appendRequest was measured against.
func BenchmarkEncodeOTLPProto(b *testing.B) {
	recs := benchRecords(b, DefaultOTLPBatchSize)
	r := newResourceLogs("host:9412", "host", "v0")
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		body, err := proto.Marshal(r.requestProto(recs))
		if err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	b.ReportMetric(float64(size)/float64(len(recs)), "bytes/record")
}
