// Package mib translates OIDs into names: notification (trap) names for the
// `trap` label, and object names, types and enumerations for rendering
// varbinds. A table is compiled into the binary (built-in IETF, net-snmp and
// SynOptics definitions, made by `go generate`); operators add their own MIB
// directories at run time, and their definitions override the built-in ones.
//
// The package does not parse MIB files itself: the generator
// (mib/internal/gen) and the run-time loader (mib/loader) do, and hand over
// plain tables. Lookups never allocate, so they can run on the receive path.
package mib

import "sync/atomic"

//go:generate go run ./internal/mibgen
//go:generate go run ./internal/vendormibgen

// Syntax is an object's base type as far as rendering needs it.
type Syntax string

// The syntaxes the table uses (SMIv2 base types and common textual
// conventions whose rendering differs).
const (
	SyntaxInteger       Syntax = "INTEGER"
	SyntaxOctetString   Syntax = "OCTET STRING"
	SyntaxDisplayString Syntax = "DisplayString"
	SyntaxOID           Syntax = "OBJECT IDENTIFIER"
	SyntaxIPAddress     Syntax = "IpAddress"
	SyntaxCounter32     Syntax = "Counter32"
	SyntaxGauge32       Syntax = "Gauge32"
	SyntaxTimeTicks     Syntax = "TimeTicks"
	SyntaxCounter64     Syntax = "Counter64"
	SyntaxUnsigned32    Syntax = "Unsigned32"
	SyntaxOpaque        Syntax = "Opaque"
	SyntaxBits          Syntax = "BITS"
	SyntaxOther         Syntax = ""
)

// Kind says what sort of node an Object is.
type Kind string

// The kinds of node. Only scalars and columns have instances (and so appear
// as varbind names); the others are named points of the OID tree.
const (
	KindNode         Kind = "node"   // OBJECT IDENTIFIER value, OBJECT-IDENTITY, MODULE-IDENTITY
	KindScalar       Kind = "scalar" // OBJECT-TYPE outside a table
	KindTable        Kind = "table"
	KindRow          Kind = "row"
	KindColumn       Kind = "column"
	KindGroup        Kind = "group" // OBJECT-GROUP, NOTIFICATION-GROUP
	KindCompliance   Kind = "compliance"
	KindCapabilities Kind = "capabilities"
)

// Object is an OBJECT-TYPE (or any named OID node).
type Object struct {
	Module string
	Name   string
	OID    string // dotted, no leading dot
	Kind   Kind
	Syntax Syntax
	// TC is the textual convention of the syntax, if any ("InterfaceIndex",
	// "MacAddress"); informational.
	TC string
	// Hint is the DISPLAY-HINT of the syntax, if any ("1x:", "255a"). The
	// renderer uses octet-string hints (RFC 2579 section 3.1).
	Hint string
	// Enums maps INTEGER values (or BITS positions) to their labels.
	Enums map[int64]string
	// Source says which table the definition came from (SourceBuiltin,
	// SourceVendor, SourceMIBDir).
	Source string
}

// Sources of definitions, in rising precedence.
const (
	SourceVendor  = "vendor"  // the compiled vendor table (vendor_table.bin)
	SourceBuiltin = "builtin" // the IETF, net-snmp and SynOptics built-ins
	SourceMIBDir  = "mib.dir" // the operator's --mib.dir
)

// HasInstances reports whether the object is a scalar or a column, whose
// instances are what varbinds name.
func (o *Object) HasInstances() bool { return o.Kind == KindScalar || o.Kind == KindColumn }

// Notification is a NOTIFICATION-TYPE (or an SMIv1 TRAP-TYPE, under the
// OID RFC 3584 gives it: enterprise.0.specific).
type Notification struct {
	Module  string
	Name    string
	OID     string   // dotted
	Status  string   // "current", "deprecated", "obsolete" (empty if unknown)
	Objects []string // the OBJECTS clause, as dotted OIDs
	Source  string   // as Object.Source
}

// Table holds definitions by OID.
//
// A table is immutable once built: fill the maps, then only read. The
// lookup methods build an index on first use (Builtin and Merge build it
// up front); changing the maps after that is not seen by the index. Tables
// are safe for concurrent use by any number of readers.
type Table struct {
	Notifications map[string]*Notification // by dotted OID
	Objects       map[string]*Object       // by dotted OID
	// Modules lists the modules the table was built from.
	Modules []string

	idx    indexRef
	byName atomic.Pointer[ByName] // made ahead by VendorUnder; see ByName
}
