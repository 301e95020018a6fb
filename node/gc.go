package node

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// gcLoop collects the store's unreferenced blobs (with their prepared
// forms) at start, which frees the orphans an earlier run left, and then
// every GCInterval, until ctx ends. Deletes collect at once (remove).
func (n *Node) gcLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.Store.GCInterval)
	defer t.Stop()
	for {
		n.collect(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// collect runs one store GC (which logs what it freed); a failure is
// logged, and the next GC tries again.
func (n *Node) collect(ctx context.Context) {
	if _, err := n.store.GC(ctx); err != nil && ctx.Err() == nil {
		n.log.Warn("store gc failed", zap.Error(err))
	}
}
