package testfixtures

// Series is one trap series as a test reads it from the store.
type Series struct {
	Device, Trap string
	Count        uint64
}

// Index is what the store's Index (internal/metrics) gives: this package
// cannot import the store, whose own tests import it.
type Index interface {
	Len() int
	Entry(i int) (device, trap string, count uint64, last int64, overflow bool)
}

// SeriesOf returns the trap series of a store's index in its order
// (device, then trap), the overflow series among them once a trap has
// overflowed.
func SeriesOf[I Index](idx I) []Series {
	var out []Series
	for i := range idx.Len() {
		device, trap, count, _, overflow := idx.Entry(i)
		if overflow && count == 0 {
			continue
		}
		out = append(out, Series{Device: device, Trap: trap, Count: count})
	}
	return out
}
