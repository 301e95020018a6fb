package store

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// GCResult says what a collection removed.
type GCResult struct {
	Removed    []Digest
	FreedBytes int64
}

// GC removes every blob that no record and no artifact references. Imports
// wait while it runs (they would otherwise race a blob's removal against
// its new record).
func (s *Store) GC(ctx context.Context) (GCResult, error) {
	s.expireUploads()
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	refs, err := s.cat.referenced()
	if err != nil {
		return GCResult{}, fmt.Errorf("store: gc: %w", err)
	}
	present, err := s.listBlobs()
	if err != nil {
		return GCResult{}, fmt.Errorf("store: gc: %w", err)
	}
	var res GCResult
	for d := range present {
		if refs[d] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		n, err := s.blobs.remove(d)
		if err != nil {
			return res, err
		}
		s.forgetVerified(d)
		res.Removed = append(res.Removed, d)
		res.FreedBytes += n
		s.counters.gcRemoved.Add(1)
		s.counters.gcFreedBytes.Add(n)
	}
	if len(res.Removed) > 0 {
		s.log.Info("store: gc", zap.Int("blobs", len(res.Removed)), zap.Int64("freed_bytes", res.FreedBytes))
	}
	return res, nil
}
