package testfixtures

import (
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor waits.
const WaitTimeout = 5 * time.Second

// Eventually polls cond every 5 ms until it holds, or until within has
// passed, and reports whether it held.
func Eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// WaitFor fails the test unless cond holds within WaitTimeout; what names
// the condition in the failure.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Eventually(WaitTimeout, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
