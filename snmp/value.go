package snmp

// Int64 returns the number held by an INTEGER, Counter32, Gauge32,
// TimeTicks or UInteger32 varbind. ok is false for other types and for
// content that Decode would refuse.
func (v Varbind) Int64() (n int64, ok bool) {
	switch v.Type {
	case TagInteger:
		i, reason := parseInt32(v.Value)
		return int64(i), reason == ""
	case TagCounter32, TagGauge32, TagTimeTicks, TagUInteger32:
		u, reason := parseUint(v.Value, 4)
		return int64(u), reason == ""
	}
	return 0, false
}

// Uint64 returns the number held by a Counter32, Gauge32, TimeTicks,
// UInteger32 or Counter64 varbind. ok is false for other types and for
// content that Decode would refuse.
func (v Varbind) Uint64() (n uint64, ok bool) {
	size := 4
	switch v.Type {
	case TagCounter32, TagGauge32, TagTimeTicks, TagUInteger32:
	case TagCounter64:
		size = 8
	default:
		return 0, false
	}
	u, reason := parseUint(v.Value, size)
	return u, reason == ""
}
