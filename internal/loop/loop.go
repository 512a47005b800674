// Package loop runs the exporter's periodic work: the store's expiry and
// the snapshots.
package loop

import (
	"context"
	"time"
)

// Every calls f every interval until ctx ends.
func Every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
