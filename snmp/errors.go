package snmp

// Reasons carried by DecodeError.Reason. They form a fixed set so that a
// caller may log them or count them without risking unbounded cardinality.
const (
	// NotSNMP reasons.
	ReasonNotSequence = "not a SEQUENCE"
	ReasonNoVersion   = "no SNMP version"

	// Malformed reasons: BER framing.
	ReasonTruncated        = "truncated"
	ReasonLengthPastEnd    = "length past end"
	ReasonIndefiniteLength = "indefinite length"
	ReasonLengthOfLength   = "length of length over 4 octets"
	ReasonHighTag          = "high tag number form"
	ReasonTrailingBytes    = "trailing bytes"

	// Malformed reasons: an element has the wrong tag for its place in the
	// message grammar.
	ReasonExpectedSequence    = "expected SEQUENCE"
	ReasonExpectedInteger     = "expected INTEGER"
	ReasonExpectedOctetString = "expected OCTET STRING"
	ReasonExpectedOID         = "expected OBJECT IDENTIFIER"
	ReasonExpectedIPAddress   = "expected IpAddress"
	ReasonExpectedTimeTicks   = "expected TimeTicks"
	ReasonExpectedPDU         = "expected PDU"

	// Malformed reasons: the content of an element is not valid for its type.
	ReasonEmptyInteger       = "empty integer"
	ReasonIntegerTooLarge    = "integer too large"
	ReasonBadIPAddress       = "IpAddress not 4 octets"
	ReasonEmptyOID           = "empty OID"
	ReasonOIDOverflow        = "OID subidentifier too large"
	ReasonOIDUnterminated    = "OID subidentifier unterminated"
	ReasonOIDNotMinimal      = "OID subidentifier not minimal"
	ReasonOIDTooLong         = "OID over 128 arcs"
	ReasonBadMsgFlags        = "invalid msgFlags"
	ReasonBadMsgMaxSize      = "msgMaxSize outside 484..2147483647"
	ReasonNegativeEngineTime = "negative engine boots or time"
	ReasonUserNameTooLong    = "user name over 32 octets"
	ReasonConstructedValue   = "constructed value"
	ReasonNullWithContent    = "NULL with content"
	ReasonNoSnmpTrapOID      = "no snmpTrapOID.0"
	ReasonSnmpTrapOIDNotOID  = "snmpTrapOID.0 not an OID"
	ReasonBadGenericTrap     = "generic-trap out of range"
	ReasonBadSpecificTrap    = "negative specific-trap"

	// Unsupported reasons.
	ReasonUnsupportedVersion       = "unsupported version"
	ReasonUnsupportedSecurityModel = "security model not USM"
	ReasonUnknownPDU               = "unknown PDU type"
	ReasonNotNotification          = "not a notification PDU"
)

func notSNMP(reason string, offset int) *DecodeError {
	return &DecodeError{Kind: NotSNMP, Reason: reason, Offset: offset}
}

func malformed(reason string, offset int) *DecodeError {
	return &DecodeError{Kind: Malformed, Reason: reason, Offset: offset}
}

func unsupported(reason string, offset int) *DecodeError {
	return &DecodeError{Kind: Unsupported, Reason: reason, Offset: offset}
}
