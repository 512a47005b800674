package traps

import "github.com/snmptrap-exporter/snmptrap_exporter/mib"

// printable reports whether octets show as text (as the MIB renderer
// decides).
func printable(v []byte) bool { return mib.Printable(v) }
