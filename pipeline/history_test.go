package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/metrics"
	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/rules"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// The history gets every admitted trap with what the rules changed, an
// SNMPv3 authPriv trap decrypted with its user and context, and refused
// messages without their content.
func TestHistoryRecords(t *testing.T) {
	f := newV3Fixture(t)
	h := traps.New(traps.Options{Size: 10, RefusedSize: 10, Names: func() traps.Names { return mib.Builtin() }})
	f.proc.history = h
	rs, err := rules.Compile(nil, config.BuiltinRules{}, mib.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetFamilies(rs.Families()); err != nil {
		t.Fatal(err)
	}
	reconfigure(f.proc, func(s *Settings) { s.Rules, s.Names = rs, mib.Builtin() })

	s := opsSender() // authPriv
	f.send(s.build(t, snmp.PDUTrapV2, oidLinkDown))
	f.send(s.build(t, snmp.PDUTrapV2, oidLinkDown)) // a replay: refused
	f.handle(snmp.AppendTrapV2(nil, snmp.V2c, []byte("not-the-community"), snmp.PDUTrapV2, 1, v2Varbinds(oidLinkDown)))

	recs := h.Records(traps.Query{})
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Version != "v3" || r.User != "ops" || r.ContextEngineID != "80001f8880aabbccdd" || r.Trap != "IF-MIB::linkDown" || len(r.Varbinds) != 3 ||
		r.Varbinds[2].Name != "IF-MIB::ifIndex.2" || r.Varbinds[2].Value != "2" {
		t.Errorf("v3 record: %+v", r)
	}
	if len(r.Changes) != 1 || r.Changes[0].Series != `snmptrap_interface_up{device="192.0.2.7",ifIndex="2"}` || r.Changes[0].From != nil || r.Changes[0].To != 0 {
		t.Errorf("changes: %+v", r.Changes)
	}
	refused := h.RefusedRecords(traps.Query{})
	if len(refused) != 2 || refused[0].Result != metrics.ResultCommunityRejected.String() || refused[1].Result != "replayed" {
		t.Errorf("refused: %+v", refused)
	}
	b, _ := json.Marshal(refused)
	if bytes.Contains(b, []byte("not-the-community")) {
		t.Error("a refused community is kept")
	}
}
