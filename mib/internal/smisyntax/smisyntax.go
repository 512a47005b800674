// Package smisyntax holds the rules that turn gosmi's view of an object's
// type into the table's syntax, textual convention and text-ness. The
// built-in table's generator (mib/internal/gen) and the run-time loader
// (mib/loader) both use it, so a module means the same whether it is
// shipped or loaded from --mib.dir. Syntaxes are the string values of
// mib.Syntax.
package smisyntax

import (
	"github.com/sleepinggenius2/gosmi/smi"
	"github.com/sleepinggenius2/gosmi/types"
)

// The syntaxes, as the values of mib.Syntax.
const (
	Integer       = "INTEGER"
	OctetString   = "OCTET STRING"
	DisplayString = "DisplayString"
	OID           = "OBJECT IDENTIFIER"
	IPAddress     = "IpAddress"
	Counter32     = "Counter32"
	Gauge32       = "Gauge32"
	TimeTicks     = "TimeTicks"
	Counter64     = "Counter64"
	Unsigned32    = "Unsigned32"
	Opaque        = "Opaque"
	Bits          = "BITS"
	Other         = ""
)

// maxTypeDepth bounds the walk up a type's parents.
const maxTypeDepth = 32

// SMITypes maps the SMI application types, as named in SNMPv2-SMI and
// RFC1155-SMI, to their Syntax.
var SMITypes = map[string]string{
	"Integer32":      Integer,
	"Unsigned32":     Unsigned32,
	"Counter32":      Counter32,
	"Counter":        Counter32,
	"Gauge32":        Gauge32,
	"Gauge":          Gauge32,
	"TimeTicks":      TimeTicks,
	"Counter64":      Counter64,
	"IpAddress":      IPAddress,
	"NetworkAddress": IPAddress,
	"Opaque":         Opaque,
}

// SMIModules define the base types; a type of theirs is not a textual
// convention.
var SMIModules = map[string]bool{"<well-known>": true, "SNMPv2-SMI": true, "RFC1155-SMI": true}

// Of walks a type's parent chain up to an SMI base type and returns
// the Syntax and the first textual convention met on the way.
//
// gosmi gives `INTEGER (0..127)` the base type of Unsigned32 (and, through
// a string comparison of the bounds, `INTEGER (0..65535)` that of
// Unsigned64), so the application types are recognised by name and module,
// and the well-known base types gosmi made up for INTEGER subranges are
// mapped back to INTEGER.
func Of(t *types.SmiType) (syntax, tc string) {
	for depth := 0; t != nil && depth < maxTypeDepth; t, depth = smi.GetParentType(t), depth+1 {
		module := ""
		if m := smi.GetTypeModule(t); m != nil {
			module = string(m.Name)
		}
		name := string(t.Name)
		if s, ok := SMITypes[name]; ok && module != "<well-known>" {
			return s, tc
		}
		if module == "<well-known>" {
			switch t.BaseType {
			case types.BaseTypeInteger32, types.BaseTypeInteger64, types.BaseTypeUnsigned32,
				types.BaseTypeUnsigned64, types.BaseTypeEnum:
				return Integer, tc
			case types.BaseTypeOctetString:
				return OctetString, tc
			case types.BaseTypeObjectIdentifier:
				return OID, tc
			case types.BaseTypeBits:
				return Bits, tc
			}
			return Other, tc
		}
		if tc == "" && name != "" && !SMIModules[module] && name != "Enumeration" && name != "Bits" {
			tc = name
		}
	}
	return Other, tc
}

// IsTextTC reports whether a textual convention is text.
func IsTextTC(tc string) bool {
	return tc == "DisplayString" || tc == "SnmpAdminString"
}

// IsTextHint reports whether an octet-string DISPLAY-HINT is one ASCII or
// UTF-8 field ("255a", "255t").
func IsTextHint(h string) bool {
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

// Status is a STATUS clause in the table's words: SMIv1's mandatory and
// optional count as current.
func Status(s types.Status) string {
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
