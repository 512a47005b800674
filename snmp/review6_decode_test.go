package snmp

import (
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/testfixtures"
)

// TestReview6DecodeErrorLeavesNoVarbindsBehind: Decode relies on the slots
// of m.Varbinds beyond its length being zero, so that clearing m.Varbinds
// drops every reference to the previous buffer. A message whose varbind
// list breaks after some good varbinds must not leave those varbinds in the
// backing array past len, where no later Decode clears them and they keep
// the buffer (a pooled scratch's, a TCP connection's) alive.
func TestReview6DecodeErrorLeavesNoVarbindsBehind(t *testing.T) {
	vbs := testfixtures.LinkDownVarbinds[Varbind]()
	good := AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1, vbs)
	// Break the last octet: the last varbind's value content. Making the
	// whole message one octet shorter would change the outer lengths, so
	// instead the last varbind's value becomes a NULL with content.
	last := vbs[len(vbs)-1]
	bad := AppendTrapV2(nil, V2c, []byte("public"), PDUTrapV2, 1,
		append(vbs[:len(vbs)-1:len(vbs)-1], Varbind{OID: last.OID, Type: TagNull, Value: []byte{1}}))

	m := Message{Varbinds: make([]Varbind, 0, 32)}
	if err := m.Decode(bad); err == nil {
		t.Fatal("the broken message decoded")
	}
	// The varbinds read before the error are within len (the caller may
	// not use them), so the next Decode, whatever it decodes, drops them.
	if err := m.Decode([]byte{0x04, 0x00}); err == nil {
		t.Fatal("not SNMP decoded")
	}
	for i, vb := range m.Varbinds[:cap(m.Varbinds)] {
		if vb.OID != nil || vb.Value != nil {
			t.Fatalf("after a failed Decode and another Decode, slot %d of the varbinds (len %d) still points into the first message", i, len(m.Varbinds))
		}
	}
	// And the next Decode still sees exactly its own varbinds.
	if err := m.Decode(good); err != nil {
		t.Fatal(err)
	}
	if len(m.Varbinds) != len(vbs) {
		t.Fatalf("%d varbinds, want %d", len(m.Varbinds), len(vbs))
	}
}
