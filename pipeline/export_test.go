package pipeline

// What only the tests read of the Processor.

// TrapLabel returns the `trap` label for a dotted OID: its name when the
// table knows it, else the numeric OID, which is never dropped.
func (pr *Processor) TrapLabel(oid []byte) (label string, named bool) {
	l := pr.settings.Load().tr.label(oid)
	return l.label, l.named
}
