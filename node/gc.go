package node

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// gcLoop collects the store's unreferenced blobs (with their prepared
// forms) at start, which frees the orphans an earlier run left, and then
// every GCInterval, until ctx ends. Deletes collect at once (remove).
func (n *Node) gcLoop(ctx context.Context) {
	n.removeLegacyPrepared()
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

// legacyPreparedDir is where nodes before the store owned prepared forms
// kept them (DataDir/prepared). Nothing refers to them any more: every
// prepared form now lives in the store, beside its blob.
const legacyPreparedDir = "prepared"

// removeLegacyPrepared frees the disk such a node left behind.
func (n *Node) removeLegacyPrepared() {
	dir := filepath.Join(n.cfg.DataDir, legacyPreparedDir)
	if _, err := os.Stat(dir); err != nil {
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		n.log.Warn("removing prepared forms of an earlier version failed", zap.String("dir", dir), zap.Error(err))
		return
	}
	n.log.Info("removed prepared forms of an earlier version", zap.String("dir", dir))
}
