package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// PutArtifact records a derived artifact of blob a.Digest for runtime key
// a.RuntimeKey, replacing any earlier one. The blob must be present.
func (s *Store) PutArtifact(_ context.Context, a Artifact) error {
	if err := ValidateRuntimeKey(a.RuntimeKey); err != nil {
		return err
	}
	if len(a.Paths) == 0 {
		return fmt.Errorf("%w: artifact %s has no paths", ErrInvalidMeta, a.RuntimeKey)
	}
	if _, ok := s.blobs.has(a.Digest); !ok {
		return fmt.Errorf("%w: blob %s for artifact %s", ErrNotFound, a.Digest, a.RuntimeKey)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.deps.Now().UTC()
	}
	return s.cat.putArtifact(a)
}

// GetArtifact returns the artifact of blob d for runtime key, or ErrNotFound.
func (s *Store) GetArtifact(_ context.Context, d Digest, runtimeKey string) (Artifact, error) {
	return s.cat.getArtifact(d, runtimeKey)
}

// Artifacts lists every artifact derived from blob d.
func (s *Store) Artifacts(_ context.Context, d Digest) ([]Artifact, error) {
	return s.cat.artifacts(d)
}

// DeleteArtifact removes the artifact's record and the directory
// ArtifactDir gave for it (files elsewhere are the caller's).
func (s *Store) DeleteArtifact(_ context.Context, d Digest, runtimeKey string) error {
	if err := s.cat.deleteArtifact(d, runtimeKey); err != nil {
		return err
	}
	dir, err := s.artifactPath(d, runtimeKey)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("store: delete artifact files: %w", err)
	}
	return nil
}

// ArtifactDir creates and returns a directory where the runtime may write
// the artifact files of blob d for runtimeKey.
func (s *Store) ArtifactDir(d Digest, runtimeKey string) (string, error) {
	dir, err := s.artifactPath(d, runtimeKey)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("store: artifact dir: %w", err)
	}
	return dir, nil
}

func (s *Store) artifactPath(d Digest, runtimeKey string) (string, error) {
	if err := ValidateRuntimeKey(runtimeKey); err != nil {
		return "", err
	}
	return filepath.Join(s.cfg.Dir, dirArtifacts, d.Hex(), url.PathEscape(runtimeKey)), nil
}
