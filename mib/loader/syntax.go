package loader

import (
	"github.com/sleepinggenius2/gosmi"
	"github.com/sleepinggenius2/gosmi/smi"
	"github.com/sleepinggenius2/gosmi/types"

	"github.com/snmptrap-exporter/snmptrap_exporter/mib"
)

// The rules below are those of the built-in table's generator
// (mib/internal/gen), so that a module means the same whether it is shipped
// or loaded from --mib.dir. Keep the two in step.

// smiTypes maps the SMI application types, as named in SNMPv2-SMI and
// RFC1155-SMI, to their Syntax.
var smiTypes = map[string]mib.Syntax{
	"Integer32":      mib.SyntaxInteger,
	"Unsigned32":     mib.SyntaxUnsigned32,
	"Counter32":      mib.SyntaxCounter32,
	"Counter":        mib.SyntaxCounter32,
	"Gauge32":        mib.SyntaxGauge32,
	"Gauge":          mib.SyntaxGauge32,
	"TimeTicks":      mib.SyntaxTimeTicks,
	"Counter64":      mib.SyntaxCounter64,
	"IpAddress":      mib.SyntaxIPAddress,
	"NetworkAddress": mib.SyntaxIPAddress,
	"Opaque":         mib.SyntaxOpaque,
}

// smiModules define the base types; a type of theirs is not a TC.
var smiModules = map[string]bool{"<well-known>": true, "SNMPv2-SMI": true, "RFC1155-SMI": true}

// maxTypeDepth bounds the walk up a type's parents.
const maxTypeDepth = 32

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
	ti.Syntax, ti.TC = syntax(n.SmiType.GetRaw())
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
	if ti.Syntax == mib.SyntaxOctetString && (isTextTC(ti.TC) || isTextHint(ti.Hint)) {
		ti.Syntax = mib.SyntaxDisplayString
	}
	return ti
}

// syntax walks a type's parent chain up to an SMI base type and returns
// the Syntax and the first textual convention met on the way.
//
// gosmi gives `INTEGER (0..127)` the base type of Unsigned32 (and, through
// a string comparison of the bounds, `INTEGER (0..65535)` that of
// Unsigned64), so the application types are recognised by name and module,
// and the well-known base types gosmi made up for INTEGER subranges are
// mapped back to INTEGER.
func syntax(t *types.SmiType) (mib.Syntax, string) {
	tc := ""
	for depth := 0; t != nil && depth < maxTypeDepth; t, depth = smi.GetParentType(t), depth+1 {
		module := ""
		if m := smi.GetTypeModule(t); m != nil {
			module = string(m.Name)
		}
		name := string(t.Name)
		if s, ok := smiTypes[name]; ok && module != "<well-known>" {
			return s, tc
		}
		if module == "<well-known>" {
			switch t.BaseType {
			case types.BaseTypeInteger32, types.BaseTypeInteger64, types.BaseTypeUnsigned32,
				types.BaseTypeUnsigned64, types.BaseTypeEnum:
				return mib.SyntaxInteger, tc
			case types.BaseTypeOctetString:
				return mib.SyntaxOctetString, tc
			case types.BaseTypeObjectIdentifier:
				return mib.SyntaxOID, tc
			case types.BaseTypeBits:
				return mib.SyntaxBits, tc
			}
			return mib.SyntaxOther, tc
		}
		if tc == "" && name != "" && !smiModules[module] && name != "Enumeration" && name != "Bits" {
			tc = name
		}
	}
	return mib.SyntaxOther, tc
}

func isTextTC(tc string) bool {
	return tc == "DisplayString" || tc == "SnmpAdminString"
}

// isTextHint reports whether an octet-string DISPLAY-HINT is one ASCII or
// UTF-8 field ("255a", "255t").
func isTextHint(h string) bool {
	if len(h) < 2 {
		return false
	}
	if last := h[len(h)-1]; last != 'a' && last != 't' {
		return false
	}
	for _, c := range h[:len(h)-1] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
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

// statusOf is the STATUS clause in the table's words.
func statusOf(s types.Status) string {
	switch s {
	case types.StatusCurrent, types.StatusMandatory, types.StatusOptional:
		return "current"
	case types.StatusDeprecated:
		return "deprecated"
	case types.StatusObsolete:
		return "obsolete"
	}
	return ""
}

func inSMIModule(t *types.SmiType) bool {
	m := smi.GetTypeModule(t)
	return m == nil || smiModules[string(m.Name)]
}

func syntaxOfBase(b types.BaseType) mib.Syntax {
	switch b {
	case types.BaseTypeInteger32, types.BaseTypeInteger64, types.BaseTypeEnum:
		return mib.SyntaxInteger
	case types.BaseTypeUnsigned32:
		return mib.SyntaxUnsigned32
	case types.BaseTypeUnsigned64:
		return mib.SyntaxCounter64
	case types.BaseTypeOctetString:
		return mib.SyntaxOctetString
	case types.BaseTypeObjectIdentifier:
		return mib.SyntaxOID
	case types.BaseTypeBits:
		return mib.SyntaxBits
	}
	return mib.SyntaxOther
}

func valueOf(v types.SmiValue) (int64, bool) {
	switch x := v.Value.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), true
	}
	return 0, false
}
