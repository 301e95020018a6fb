package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"
)

// Store is one node's model store. Its methods are safe for concurrent use.
type Store struct {
	cfg   Config
	deps  Deps
	log   *zap.Logger
	cat   *catalog
	blobs *blobs
	space *space

	// gcMu orders writers and GC: an import holds it shared from the first
	// byte of its blob until its record is committed, GC holds it
	// exclusively, so GC never removes a blob whose record is on its way.
	gcMu sync.RWMutex

	mu       sync.Mutex             // guards verified and released
	verified map[Digest]verifyLevel // blobs verified since Open
	// released are blobs GC may remove without waiting for GCGrace: a
	// Delete dropped a record of theirs, or Open found them orphaned.
	released map[Digest]bool

	holds holds

	uploads  uploadsState
	counters counters
}

// Subdirectories of Config.Dir.
const (
	dirBlobs      = "blobs/sha256"
	dirTmp        = "tmp"
	dirUploads    = "uploads"
	dirQuarantine = "quarantine"
	dirArtifacts  = "artifacts"
	catalogFile   = "catalog.db"
)

// Open opens (creating if needed) the store in cfg.Dir, reconciles the
// catalog with the blobs on disk and returns what it found. The caller
// logs the Report.
func Open(ctx context.Context, cfg Config, deps Deps) (*Store, Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, Report{}, err
	}
	for _, d := range []string{dirBlobs, dirTmp, dirUploads, dirQuarantine, dirArtifacts} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, Report{}, fmt.Errorf("store: create %s: %w", d, err)
		}
	}
	cat, err := openCatalog(filepath.Join(cfg.Dir, catalogFile), cfg.BoltTimeout)
	if err != nil {
		return nil, Report{}, err
	}
	s := newStore(cfg, deps.withDefaults(), cat)
	rep, err := s.reconcile(ctx)
	if err != nil {
		_ = cat.close()
		return nil, rep, err
	}
	return s, rep, nil
}

func newStore(cfg Config, deps Deps, cat *catalog) *Store {
	sp := &space{dir: cfg.Dir, quota: cfg.QuotaBytes, reserve: cfg.ReserveBytes}
	return &Store{
		cfg: cfg, deps: deps, log: deps.Logger, cat: cat, space: sp,
		blobs: &blobs{
			dir:        filepath.Join(cfg.Dir, dirBlobs),
			tmpDir:     filepath.Join(cfg.Dir, dirTmp),
			quarantine: filepath.Join(cfg.Dir, dirQuarantine),
			space:      sp, faults: deps.Faults, statfsStep: cfg.StatfsEveryBytes,
		},
		verified: map[Digest]verifyLevel{}, released: map[Digest]bool{},
		uploads: uploadsState{open: map[Digest]*Upload{}},
	}
}

// Close closes the catalog. In-flight calls must have returned.
func (s *Store) Close() error { return s.cat.close() }

// Dir is the data directory.
func (s *Store) Dir() string { return s.cfg.Dir }

// Usage returns the bytes held in blobs and the bytes reserved by writes in
// progress.
func (s *Store) Usage() (usedBytes, inFlightBytes int64) { return s.space.usage() }

// Get returns the record of name at version ref ("latest", "" or a positive
// integer).
func (s *Store) Get(_ context.Context, name, ref string) (Record, error) {
	if err := ValidateName(name); err != nil {
		return Record{}, err
	}
	v, err := ParseVersion(ref)
	if err != nil {
		return Record{}, err
	}
	return s.cat.get(name, v)
}

// List returns every record, ordered by name then version.
func (s *Store) List(_ context.Context) ([]Record, error) { return s.cat.list() }

// Delete removes one model version from the catalog. Its blob and its
// prepared forms stay until GC finds the blob unreferenced; the next GC
// removes them without waiting for Config.GCGrace.
func (s *Store) Delete(_ context.Context, name string, version int64) (Record, error) {
	if err := ValidateName(name); err != nil {
		return Record{}, err
	}
	r, err := s.cat.delete(name, version)
	if err == nil {
		s.release(r.Digest)
	}
	return r, err
}

// release lets GC remove blob d, once unreferenced, without the grace.
func (s *Store) release(d Digest) {
	s.mu.Lock()
	s.released[d] = true
	s.mu.Unlock()
}

// ModelFile resolves name and ref and returns the record and the path of
// its blob for the runtime to load. The first call for a blob in this
// process re-hashes it and checks it is a self-contained ONNX model: a
// blob whose bytes fail is quarantined and ErrCorrupt returned, one with
// external data (which reached the store without the import check, from a
// peer or an older store) is refused with ErrExternalData, so neither is
// ever loaded.
func (s *Store) ModelFile(ctx context.Context, name, ref string) (Record, string, error) {
	r, err := s.Get(ctx, name, ref)
	if err != nil {
		return Record{}, "", err
	}
	if err := s.verify(ctx, r.Digest, true); err != nil {
		return r, "", fmt.Errorf("store: %s: %w", r.Ref(), err)
	}
	return r, s.blobs.path(r.Digest), nil
}

// verifyLevel is how far a blob was checked since Open.
type verifyLevel uint8

const (
	levelNone   verifyLevel = iota
	levelHashed             // its bytes hash to its digest
	levelModel              // and it is a self-contained ONNX model (onnxCheck)
)

// Verify re-hashes blob d unless it was verified since Open. A blob that
// fails is quarantined and an ErrCorrupt error returned.
func (s *Store) Verify(ctx context.Context, d Digest) error {
	return s.verify(ctx, d, false)
}

// verify re-hashes blob d, and with model also checks it is a
// self-contained ONNX model, unless both were done since Open.
func (s *Store) verify(ctx context.Context, d Digest, model bool) error {
	want := levelHashed
	if model {
		want = levelModel
	}
	s.mu.Lock()
	done := s.verified[d] >= want
	s.mu.Unlock()
	if done {
		if _, ok := s.blobs.has(d); ok {
			return nil
		}
	}
	var check *onnxCheck
	if model {
		check = &onnxCheck{}
	}
	err := s.blobs.verify(ctx, d, check)
	s.mu.Lock()
	switch {
	case err == nil:
		s.verified[d] = max(s.verified[d], want)
	case errors.Is(err, ErrExternalData) || errors.Is(err, ErrNotONNX):
		s.verified[d] = levelHashed // the bytes are intact, the model is refused
	default:
		delete(s.verified, d)
	}
	s.mu.Unlock()
	if errors.Is(err, ErrCorrupt) {
		s.counters.verifyFailures.Add(1)
	}
	if err != nil {
		s.log.Error("store: blob failed verification", zap.Stringer("digest", d), zap.Error(err))
	}
	return err
}
