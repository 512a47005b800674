package pipeline

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/receiver"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// decodeCorpus is the snmp package's seed corpus for FuzzDecode, whose
// messages are as good a start for Handle as for Decode. It is read in place
// rather than copied, so that its provenance (snmp/testdata/README.md) stays
// in one place.
const decodeCorpus = "../snmp/testdata/fuzz/FuzzDecode"

// readCorpusFile returns the []byte of a one-argument seed corpus file
// ("go test fuzz v1" then one line `[]byte("...")`).
func readCorpusFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	header, arg, ok := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if !ok || header != "go test fuzz v1" || !strings.HasPrefix(arg, "[]byte(") || !strings.HasSuffix(arg, ")") {
		return nil, errors.New("not a one-[]byte seed corpus file")
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(arg, "[]byte("), ")"))
	return []byte(s), err
}

// expectation is what Handle must do with a message the first time it sees
// it, worked out from an independent decode.
type expectation struct {
	version metrics.Version
	result  metrics.Result
	trap    string // the trap label when result is accepted
	inform  bool   // an acknowledgement is due (accepted or duplicate inform)
}

func expect(data []byte) (expectation, *snmp.Message) {
	m := new(snmp.Message)
	err := m.Decode(data)
	var e expectation
	switch m.Version {
	case snmp.V1:
		e.version = metrics.VersionV1
	case snmp.V2c:
		e.version = metrics.VersionV2c
	case snmp.V3:
		e.version = metrics.VersionV3
	default:
		e.version = metrics.VersionUnknown
	}
	if err != nil {
		var de *snmp.DecodeError
		if !errors.As(err, &de) {
			panic("Decode returned a " + err.Error())
		}
		switch de.Kind {
		case snmp.NotSNMP:
			e.result = metrics.ResultNotSNMP
		case snmp.Unsupported:
			e.result = metrics.ResultUnsupported
		default:
			e.result = metrics.ResultMalformed
		}
		return e, m
	}
	if m.Version == snmp.V3 {
		// The fixture has no SNMPv3 users and no engine.
		if len(m.V3.EngineID) == 0 {
			e.result = metrics.ResultDiscovery
		} else {
			e.result = metrics.ResultUnknownUser
		}
		return e, m
	}
	v1Trap := m.Version == snmp.V1 && m.PDUType == snmp.PDUTrapV1
	v2Notification := m.Version == snmp.V2c && (m.PDUType == snmp.PDUTrapV2 || m.PDUType == snmp.PDUInformRequest)
	if !v1Trap && !v2Notification {
		e.result = metrics.ResultUnsupported
		return e, m
	}
	oid, err := m.TrapOID(nil)
	if err != nil {
		e.result = metrics.ResultMalformed
		return e, m
	}
	text, err := snmp.AppendOID(nil, oid)
	if err != nil {
		e.result = metrics.ResultMalformed
		return e, m
	}
	e.result = metrics.ResultAccepted
	e.trap, _ = genericNames.NotificationName(text)
	if e.trap == "" {
		e.trap = string(text)
	}
	e.inform = m.PDUType == snmp.PDUInformRequest
	return e, m
}

type pair struct {
	v metrics.Version
	r metrics.Result
}

// packetCounts reads every version × result counter of the fixture's
// listener.
func (f *fixture) packetCounts() map[pair]uint64 {
	out := map[pair]uint64{}
	for v := metrics.VersionUnknown; v <= metrics.VersionV3; v++ {
		for r := metrics.ResultAccepted; r <= metrics.ResultDiscovery; r++ {
			out[pair{v, r}] = f.count(v, r)
		}
	}
	return out
}

// FuzzHandle hands arbitrary bytes to Handle as a UDP datagram from a fixed
// source, twice, and checks each call against an independent decode of the
// bytes. Whatever the bytes:
//
//   - Handle does not modify them;
//   - exactly one of the version × result counters of packets_total goes up,
//     by exactly one: the pair that the decode predicts (the version read,
//     or unknown; the decode error's kind, unsupported for a well-formed
//     message that is not a v1 Trap or a v2c SNMPv2-Trap or InformRequest,
//     malformed for a notification whose trap OID cannot be found or
//     printed, accepted otherwise);
//   - the store's total (the sum over all series, overflow included) goes up
//     by at most one, and by one exactly when the result is accepted, in
//     the series of the source's address and the predicted trap label;
//   - a reply comes back exactly for an accepted or duplicate v2c
//     InformRequest; it decodes as a v2c Response with the request's
//     request-id, community and varbinds, and error-status and error-index
//     0, and it is no longer than the inform.
//
// The second call sees the same result, except that an accepted inform
// becomes a duplicate (the fixture's clock does not move): not counted in
// the store, and acknowledged with the same bytes as the first time.
func FuzzHandle(f *testing.F) {
	unknownTrap := snmp.MustParseOID("1.3.6.1.4.1.99999.0.1")
	community := []byte("public")
	agent := [4]byte{10, 1, 30, 1}
	v2cWithV1PDU := snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 2, 0, 100, nil)
	v2cWithV1PDU[4] = byte(snmp.V2c) // 30 LL 02 01 <version>
	notOID := v2Varbinds(oidLinkDown)
	notOID[1].Type, notOID[1].Value = snmp.TagOctetString, []byte("linkDown")
	for _, b := range [][]byte{
		v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown),
		v2cTrap(snmp.PDUTrapV2, 7, unknownTrap),
		v2cTrap(snmp.PDUInformRequest, 4242, oidLinkDown),
		v2cTrap(snmp.PDUInformRequest, -2147483648, unknownTrap),
		snmp.AppendTrapV2(nil, snmp.V2c, community, snmp.PDUInformRequest, 5, v2Varbinds(oidLinkDown)[:1]),
		snmp.AppendTrapV2(nil, snmp.V2c, community, snmp.PDUInformRequest, 6, notOID),
		snmp.AppendTrapV2(nil, snmp.V2c, community, snmp.PDUGetRequest, 1, nil),
		snmp.AppendTrapV2(nil, snmp.V1, community, snmp.PDUInformRequest, 1, v2Varbinds(oidLinkDown)),
		snmp.AppendTrapV2(nil, snmp.V3, community, snmp.PDUTrapV2, 1, v2Varbinds(oidLinkDown)),
		snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 0, 0, 0, nil),
		snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 2, 0, 100, v2Varbinds(oidLinkDown)),
		snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 6, 4, 100, nil),
		snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 6, 2147483647, 4294967295, nil),
		snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 6, -1, 100, nil),
		snmp.AppendTrapV1(nil, community, oidEnterprise, agent, 7, 0, 100, nil),
		v2cWithV1PDU,
		v2cTrap(snmp.PDUTrapV2, 1, oidLinkDown)[:30],
		[]byte("GET / HTTP/1.1\r\n"),
		nil,
	} {
		f.Add(b)
	}
	files, err := filepath.Glob(filepath.Join(decodeCorpus, "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in %s: %v", decodeCorpus, err)
	}
	for _, path := range files {
		b, err := readCorpusFile(path)
		if err != nil {
			f.Fatalf("%s: %v", path, err)
		}
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		want, req := expect(bytes.Clone(data))
		fx := newFixture(100)
		device := src.Addr().String()

		var firstReply []byte
		for call := 1; call <= 2; call++ {
			wantResult := want.result
			if call == 2 && want.inform {
				wantResult = metrics.ResultDuplicate
			}
			packetsBefore, trapsBefore := fx.packetCounts(), fx.traps()
			var scratch []byte
			if call == 2 {
				scratch = make([]byte, 0, 16) // like a receiver's scratch buffer, but small: most replies must grow it
			}
			reply, _ := fx.proc.Handle(&receiver.Packet{Listener: "udp://:162", Transport: "udp", Source: src, Data: data}, scratch)
			if !bytes.Equal(data, orig) {
				t.Fatalf("call %d: Handle modified its input", call)
			}

			// Exactly one packets_total increment.
			var got []pair
			for k, n := range fx.packetCounts() {
				switch d := n - packetsBefore[k]; d {
				case 0:
				case 1:
					got = append(got, k)
				default:
					t.Fatalf("call %d: packets{version=%s,result=%s} went up by %d", call, k.v, k.r, d)
				}
			}
			if len(got) != 1 {
				t.Fatalf("call %d: %d packets_total counters went up (%v), want 1", call, len(got), got)
			}
			if got[0] != (pair{want.version, wantResult}) {
				t.Fatalf("call %d: counted version=%s result=%s, want %s %s", call, got[0].v, got[0].r, want.version, wantResult)
			}

			// At most one trap, and only when accepted, in the right series.
			trapsAfter := fx.traps()
			var before, after uint64
			for _, n := range trapsBefore {
				before += n
			}
			for _, n := range trapsAfter {
				after += n
			}
			if after < before || after-before > 1 || (after-before == 1) != (got[0].r == metrics.ResultAccepted) {
				t.Fatalf("call %d: store total %d -> %d with result %s", call, before, after, got[0].r)
			}
			if got[0].r == metrics.ResultAccepted {
				k := metrics.Key{Device: device, Trap: want.trap}
				if trapsAfter[k] != trapsBefore[k]+1 {
					t.Fatalf("call %d: series %v went from %d to %d, want one more; store %v", call, k, trapsBefore[k], trapsAfter[k], trapsAfter)
				}
			}

			// A reply exactly for an inform, and a good one.
			if (reply != nil) != want.inform {
				t.Fatalf("call %d: reply % x for version %s PDU %s result %s", call, reply, req.Version, req.PDUType, got[0].r)
			}
			if reply == nil {
				continue
			}
			if req.Version != snmp.V2c || req.PDUType != snmp.PDUInformRequest {
				t.Fatalf("call %d: reply to a %s %s", call, req.Version, req.PDUType)
			}
			// The Response repeats the inform with minimal lengths and
			// integers, so it is never longer: it fits wherever the inform
			// came through.
			if len(reply) > len(data) {
				t.Fatalf("call %d: %d-byte reply to a %d-byte inform", call, len(reply), len(data))
			}
			var resp snmp.Message
			if err := resp.Decode(reply); err != nil {
				t.Fatalf("call %d: reply % x does not decode: %v", call, reply, err)
			}
			if resp.PDUType != snmp.PDUResponse || resp.RequestID != req.RequestID || resp.Version != snmp.V2c ||
				!bytes.Equal(resp.Community, req.Community) || resp.ErrorStatus != 0 || resp.ErrorIndex != 0 ||
				len(resp.Varbinds) != len(req.Varbinds) {
				t.Fatalf("call %d: reply %+v to %+v", call, resp, req)
			}
			for i, vb := range resp.Varbinds {
				r := req.Varbinds[i]
				if !bytes.Equal(vb.OID, r.OID) || vb.Type != r.Type || !bytes.Equal(vb.Value, r.Value) {
					t.Fatalf("call %d: reply varbind %d = %+v, want %+v", call, i, vb, r)
				}
			}
			if call == 1 {
				firstReply = bytes.Clone(reply)
			} else if !bytes.Equal(reply, firstReply) {
				t.Fatalf("retransmission acknowledged with % x, first with % x", reply, firstReply)
			}
		}
	})
}
