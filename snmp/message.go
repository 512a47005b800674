// Package snmp decodes SNMP trap and inform messages (RFC 1157, RFC 3416,
// RFC 3412 header) from BER bytes and encodes the Response-PDU that
// acknowledges an inform.
//
// The decoder slices its input instead of copying it: every []byte in a
// Message points into the buffer given to Decode and is valid only as long as
// that buffer is. A Message is meant to be reused; Decode resets it and keeps
// the capacity of its Varbinds slice, so steady-state decoding does not
// allocate.
package snmp

import "fmt"

// Version is the msgVersion field of an SNMP message.
type Version int

// The message versions this package knows.
const (
	V1  Version = 0
	V2c Version = 1
	V3  Version = 3
	// VersionUnknown is used when no version could be read.
	VersionUnknown Version = -1
)

// String returns the value used in the `version` metric label.
func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2c:
		return "v2c"
	case V3:
		return "v3"
	}
	return "unknown"
}

// PDUType is the context-specific constructed tag of a PDU.
type PDUType byte

// PDU tags (RFC 1157, RFC 3416).
const (
	PDUGetRequest     PDUType = 0xa0
	PDUGetNextRequest PDUType = 0xa1
	PDUResponse       PDUType = 0xa2
	PDUSetRequest     PDUType = 0xa3
	PDUTrapV1         PDUType = 0xa4
	PDUGetBulkRequest PDUType = 0xa5
	PDUInformRequest  PDUType = 0xa6
	PDUTrapV2         PDUType = 0xa7
	PDUReport         PDUType = 0xa8
)

func (t PDUType) String() string {
	switch t {
	case PDUGetRequest:
		return "GetRequest"
	case PDUGetNextRequest:
		return "GetNextRequest"
	case PDUResponse:
		return "Response"
	case PDUSetRequest:
		return "SetRequest"
	case PDUTrapV1:
		return "Trap"
	case PDUGetBulkRequest:
		return "GetBulkRequest"
	case PDUInformRequest:
		return "InformRequest"
	case PDUTrapV2:
		return "SNMPv2-Trap"
	case PDUReport:
		return "Report"
	}
	return fmt.Sprintf("PDU(0x%02x)", byte(t))
}

// BER / SMI value tags that appear in varbinds.
const (
	TagInteger          byte = 0x02
	TagOctetString      byte = 0x04
	TagNull             byte = 0x05
	TagObjectIdentifier byte = 0x06
	TagSequence         byte = 0x30
	TagIPAddress        byte = 0x40
	TagCounter32        byte = 0x41
	TagGauge32          byte = 0x42
	TagTimeTicks        byte = 0x43
	TagOpaque           byte = 0x44
	TagNsapAddress      byte = 0x45 // RFC 1442, obsoleted by RFC 1902
	TagCounter64        byte = 0x46
	TagUInteger32       byte = 0x47 // RFC 1442, obsoleted by RFC 1902; unsigned 32 bits
	TagNoSuchObject     byte = 0x80
	TagNoSuchInstance   byte = 0x81
	TagEndOfMibView     byte = 0x82
)

// Varbind is one name/value pair. Both fields are slices of the decoded
// message: OID is the content octets of the OBJECT IDENTIFIER (no tag or
// length), Value the content octets of the value and Type its tag.
type Varbind struct {
	OID   []byte
	Type  byte
	Value []byte
}

// Message is a decoded SNMP message. Fields that the PDU type does not carry
// are zero.
type Message struct {
	// Version is VersionUnknown until Decode has read it. Decode also sets
	// Version(2), SNMPv2u/v2*, which it then refuses as Unsupported.
	Version Version
	// Community is the v1/v2c community string. It is a secret: never put it
	// in a label or a log line.
	Community []byte
	PDUType   PDUType

	// RequestID, ErrorStatus and ErrorIndex of a v2-style PDU. In a
	// GetBulkRequest the last two hold non-repeaters and max-repetitions.
	RequestID   int32
	ErrorStatus int32
	ErrorIndex  int32

	// SNMPv1 Trap-PDU fields (PDUType == PDUTrapV1).
	Enterprise   []byte // OID content octets
	AgentAddr    [4]byte
	GenericTrap  int32
	SpecificTrap int32
	TimeStamp    uint32

	// Varbinds of the PDU, in order.
	Varbinds []Varbind

	// PDU is the whole PDU element (tag, length and content) as received.
	PDU []byte

	// V3 holds the SNMPv3 header and security parameters (Version == V3).
	V3 V3Info
}

// ErrorKind classifies why a message was refused; each maps to a value of the
// `result` label of snmptrap_packets_total.
type ErrorKind int

const (
	// NotSNMP: the bytes do not start with an SNMP message header
	// (a SEQUENCE holding an INTEGER version 0..3).
	NotSNMP ErrorKind = iota + 1
	// Malformed: the header says SNMP, but the rest breaks BER or the
	// message grammar (truncated, bad lengths, wrong tags, trailing bytes).
	Malformed
	// Unsupported: well formed, but a version or PDU this decoder does not
	// take (SNMPv2u/v2*, for example).
	Unsupported
)

func (k ErrorKind) String() string {
	switch k {
	case NotSNMP:
		return "not_snmp"
	case Malformed:
		return "malformed"
	case Unsupported:
		return "unsupported"
	}
	return "unknown"
}

// DecodeError is returned by Decode. Reason is a short, fixed English phrase
// (a bounded set, safe for logs) and Offset the byte offset where decoding
// stopped.
type DecodeError struct {
	Kind   ErrorKind
	Reason string
	Offset int
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s: %s at byte %d", e.Kind, e.Reason, e.Offset)
}
