package testfixtures

import (
	"sync"
	"testing"
)

// InBackground calls f(0), f(1), … in n goroutines until the test's
// cleanup stops them (for tests run with -race beside the code under
// test); f gets the goroutine's number and the call's.
func InBackground(t *testing.T, n int, f func(g, i int)) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				f(g, i)
			}
		}()
	}
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
}
