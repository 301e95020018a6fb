package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// GCResult says what a collection removed.
type GCResult struct {
	Removed    []Digest
	FreedBytes int64
}

// GC removes every blob that no record references, with the prepared
// forms (artifacts: their records and files) derived from it, and the
// prepared forms of blobs that are gone. It keeps the blobs of commits in
// progress (held between placing the blob and committing its record) and
// unreferenced blobs modified within Config.GCGrace, unless a Delete in
// this process released them or Open found them orphaned (a blob ingested
// from a peer waits that long for its record). Imports wait while it runs.
func (s *Store) GC(ctx context.Context) (GCResult, error) {
	s.expireUploads()
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	// Holds are read before records: a commit records its model before it
	// drops its hold, so a blob is always seen held or referenced.
	held := s.holds.snapshot()
	refs, err := s.cat.referenced()
	if err != nil {
		return GCResult{}, fmt.Errorf("store: gc: %w", err)
	}
	present, err := s.listBlobs()
	if err != nil {
		return GCResult{}, fmt.Errorf("store: gc: %w", err)
	}
	res, err := s.collect(ctx, present, refs, held)
	if err != nil {
		return res, err
	}
	if err := s.sweepArtifacts(ctx, present, refs, held); err != nil {
		return res, err
	}
	if len(res.Removed) > 0 {
		s.log.Info("store: gc", zap.Int("blobs", len(res.Removed)), zap.Int64("freed_bytes", res.FreedBytes))
	}
	return res, nil
}

// collect removes the collectable blobs among present, each with its
// artifacts, and drops them from present.
func (s *Store) collect(ctx context.Context, present map[Digest]int64, refs, held map[Digest]bool) (GCResult, error) {
	var res GCResult
	cutoff := s.deps.Now().Add(-s.cfg.GCGrace)
	for d := range present {
		if refs[d] || held[d] || !s.collectable(d, cutoff) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := s.removeArtifacts(ctx, d); err != nil {
			return res, err
		}
		n, err := s.blobs.remove(d)
		if err != nil {
			return res, err
		}
		delete(present, d)
		s.forgetBlob(d)
		res.Removed = append(res.Removed, d)
		res.FreedBytes += n
		s.counters.gcRemoved.Add(1)
		s.counters.gcFreedBytes.Add(n)
	}
	return res, nil
}

// collectable says whether unreferenced blob d may go now: a Delete
// released it, Open found it orphaned, or it is older than the grace.
func (s *Store) collectable(d Digest, cutoff time.Time) bool {
	s.mu.Lock()
	released := s.released[d]
	s.mu.Unlock()
	if released {
		return true
	}
	fi, err := os.Stat(s.blobs.path(d))
	return err == nil && !fi.ModTime().After(cutoff)
}

// forgetBlob drops what the store remembers of a removed blob.
func (s *Store) forgetBlob(d Digest) {
	s.mu.Lock()
	delete(s.verified, d)
	delete(s.released, d)
	s.mu.Unlock()
}

// sweepArtifacts removes the prepared forms, recorded or stray (a load
// that prepared a model while it was deleted), of blobs that are gone and
// not about to come back (referenced or held).
func (s *Store) sweepArtifacts(ctx context.Context, present map[Digest]int64, refs, held map[Digest]bool) error {
	digests, err := s.artifactDigests()
	if err != nil {
		return fmt.Errorf("store: gc: %w", err)
	}
	for d := range digests {
		if _, ok := present[d]; ok || refs[d] || held[d] {
			continue
		}
		if err := s.removeArtifacts(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// artifactDigests lists the blobs with an artifact record or folder.
func (s *Store) artifactDigests() (map[Digest]bool, error) {
	out, err := s.cat.artifactDigests()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(s.cfg.Dir, dirArtifacts))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if d, err := ParseDigest(e.Name()); err == nil {
			out[d] = true
		}
	}
	return out, nil
}

// removeArtifacts removes every artifact of blob d: records and files.
func (s *Store) removeArtifacts(ctx context.Context, d Digest) error {
	arts, err := s.cat.artifacts(d)
	if err != nil {
		return fmt.Errorf("store: gc: %w", err)
	}
	for _, a := range arts {
		if err := s.DeleteArtifact(ctx, a.Digest, a.RuntimeKey); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(filepath.Join(s.cfg.Dir, dirArtifacts, d.Hex())); err != nil {
		return fmt.Errorf("store: gc: remove artifacts of %s: %w", d, err)
	}
	return nil
}
