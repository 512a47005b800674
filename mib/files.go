package mib

import (
	"embed"
	"io/fs"
)

//go:embed mibs/*.txt
var shipped embed.FS

// Files holds the shipped IETF and net-snmp MIB modules (mibs/*.txt) at its
// root. The run-time loader resolves operators' imports against them, so an
// operator's directory need not carry SNMPv2-SMI and friends.
var Files fs.FS = func() fs.FS {
	sub, err := fs.Sub(shipped, "mibs")
	if err != nil {
		panic(err) // a constant path into an embedded tree: cannot fail
	}
	return sub
}()
