package loader

import (
	"github.com/sleepinggenius2/gosmi"
	"github.com/sleepinggenius2/gosmi/types"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
	"github.com/snmptrap-exporter/snmptrap_exporter/mib/internal/smisyntax"
)

// The syntax rules are shared with the built-in table's generator through
// mib/internal/smisyntax, so that a module means the same whether it is
// shipped or loaded from --mib.dir; the rest below mirrors
// mib/internal/gen.

// typeInfo is what the table keeps of an object's type.
type typeInfo struct {
	Syntax mib.Syntax
	TC     string // the first textual convention (or named type) outside the SMI modules
	Hint   string // DISPLAY-HINT
	Enums  []docEnum
}

// typeOfNode describes a scalar's or column's type.
func typeOfNode(n gosmi.SmiNode) typeInfo {
	var ti typeInfo
	if n.SmiType == nil {
		return ti
	}
	syn, tc := smisyntax.Of(n.SmiType.GetRaw())
	ti.Syntax, ti.TC = mib.Syntax(syn), tc
	if n.Type != nil {
		ti.Hint = n.Type.Format
		if n.Type.Enum != nil {
			for i, v := range n.Type.Enum.Values {
				if i == maxEnums {
					break
				}
				ti.Enums = append(ti.Enums, docEnum{Value: v.Value, Label: v.Name})
			}
		}
	}
	if ti.Syntax == mib.SyntaxOctetString && (smisyntax.IsTextTC(ti.TC) || smisyntax.IsTextHint(ti.Hint)) {
		ti.Syntax = mib.SyntaxDisplayString
	}
	return ti
}

// kindOf maps gosmi's node kinds onto the table's.
func kindOf(k types.NodeKind) (mib.Kind, bool) {
	switch k {
	case types.NodeNode:
		return mib.KindNode, true
	case types.NodeScalar:
		return mib.KindScalar, true
	case types.NodeTable:
		return mib.KindTable, true
	case types.NodeRow:
		return mib.KindRow, true
	case types.NodeColumn:
		return mib.KindColumn, true
	case types.NodeGroup:
		return mib.KindGroup, true
	case types.NodeCompliance:
		return mib.KindCompliance, true
	case types.NodeCapabilities:
		return mib.KindCapabilities, true
	}
	return "", false
}
