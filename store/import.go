package store

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
)

// ModelMeta is what an importer knows about a model besides its bytes.
type ModelMeta struct {
	Name         string
	Version      int64 // 0: the next free version (or the latest, if it holds the same bytes)
	Task         string
	Accuracy     float64 // fraction in [0, 1]; 0 unknown
	Parameters   int64   // number of weights; 0 unknown
	Labels       map[string]string
	Inputs       []TensorSpec
	Outputs      []TensorSpec
	MaxBatchSize int
	Platform     string // default "onnxruntime_onnx"

	// SizeBytes is the declared size (0 unknown): checked against the quota
	// and MaxModelBytes before a byte is written, and against the stream.
	SizeBytes int64
	// Digest, when set, is the expected digest; other bytes are rejected.
	Digest Digest
	// Progress, when set, receives every byte as it is stored.
	Progress io.Writer
	// Check, when set, runs on the stored blob d at path after its bytes
	// were verified and before its record is committed; the runtime's
	// check that it can load the model goes here, and may write the
	// model's prepared forms under ArtifactDir(d, ...). An error refuses
	// the model: no record is committed and the blob and its prepared
	// forms are removed unless another record keeps them. Meanwhile GC
	// keeps them.
	Check func(ctx context.Context, d Digest, path string) error
}

// Default platform and format of imported models.
const (
	PlatformONNXRuntime = "onnxruntime_onnx"
	FormatONNX          = "onnx"
)

func (m ModelMeta) validate() error {
	if err := ValidateName(m.Name); err != nil {
		return err
	}
	if m.Version < 0 {
		return fmt.Errorf("%w: version %d must be positive", ErrInvalidName, m.Version)
	}
	return validateMeta(m.Task, m.Accuracy, m.Parameters, m.MaxBatchSize, m.Labels, m.Inputs, m.Outputs)
}

// Import streams an ONNX model from r into the store and commits its
// catalog record. The bytes are hashed, size-checked and checked to be
// plausibly ONNX while they stream; the record is committed only once the
// blob is durable. On error nothing new is referenced by the catalog and no
// partial blob exists.
//
// Streaming runs without locks; placing the blob excludes GC, and the
// blob is then held (GC keeps it) until its record is committed, so GC
// never removes a blob (new, or an existing orphan with the same bytes)
// whose record is on its way.
func (s *Store) Import(ctx context.Context, r io.Reader, meta ModelMeta) (Record, error) {
	if err := meta.validate(); err != nil {
		return Record{}, err
	}
	st, err := s.blobs.stage(ctx, r, writeSpec{
		want: meta.Digest, declared: meta.SizeBytes, maxBytes: s.cfg.MaxModelBytes,
		onnx: true, progress: meta.Progress,
	})
	s.counters.count(err, st.size)
	if err != nil {
		return Record{}, fmt.Errorf("store: import %s: %w", meta.Name, err)
	}
	if err := s.placeHeld(st.tmp, st.d, st.size); err != nil {
		s.blobs.discard(st)
		s.counters.importFailures.Add(1)
		return Record{}, fmt.Errorf("store: import %s: %w", meta.Name, err)
	}
	return s.admit(ctx, meta, st.d, st.size)
}

// placeHeld places a verified blob and holds it for its commit.
func (s *Store) placeHeld(tmp string, d Digest, size int64) error {
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	if err := s.blobs.place(tmp, d, size); err != nil {
		return err
	}
	s.holds.add(d)
	return nil
}

// admit runs meta.Check on placed blob d, then commits its record, and
// drops the hold placeHeld took. A refused model leaves nothing behind
// that no other record keeps.
func (s *Store) admit(ctx context.Context, meta ModelMeta, d Digest, n int64) (Record, error) {
	if meta.Check != nil {
		if err := meta.Check(ctx, d, s.blobs.path(d)); err != nil {
			s.counters.importFailures.Add(1)
			s.holds.drop(d)
			s.release(d)
			if derr := s.discardBlob(context.WithoutCancel(ctx), d); derr != nil {
				s.log.Warn("store: removing a refused model failed", zap.Stringer("digest", d), zap.Error(derr))
			}
			return Record{}, fmt.Errorf("store: import %s: %w", meta.Name, err)
		}
	}
	defer s.holds.drop(d) // after the record is committed
	return s.commitRecord(meta, d, n)
}

// discardBlob removes blob d and its artifacts unless a record references
// it or a commit holds it.
func (s *Store) discardBlob(ctx context.Context, d Digest) error {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	held := s.holds.snapshot()
	refs, err := s.cat.referenced()
	if err != nil {
		return err
	}
	size, ok := s.blobs.has(d)
	if !ok || refs[d] || held[d] {
		return nil
	}
	_, err = s.collect(ctx, map[Digest]int64{d: size}, refs, held)
	return err
}

func (s *Store) commitRecord(meta ModelMeta, d Digest, n int64) (Record, error) {
	if err := s.deps.Faults.at(StepCatalog); err != nil {
		s.counters.importFailures.Add(1)
		return Record{}, fmt.Errorf("store: import %s: commit record: %w", meta.Name, err)
	}
	platform := meta.Platform
	if platform == "" {
		platform = PlatformONNXRuntime
	}
	rec, err := s.cat.put(Record{
		Name: meta.Name, Version: meta.Version, Digest: d, SizeBytes: n,
		Task: meta.Task, Accuracy: meta.Accuracy, Parameters: meta.Parameters,
		Inputs: meta.Inputs, Outputs: meta.Outputs, Labels: meta.Labels,
		CreatedAt: s.deps.Now().UTC(), MaxBatchSize: meta.MaxBatchSize,
		Platform: platform, Format: FormatONNX,
	})
	if err != nil {
		s.counters.importFailures.Add(1)
		return Record{}, fmt.Errorf("store: import %s: %w", meta.Name, err)
	}
	s.counters.imports.Add(1)
	s.markVerified(d, levelModel)
	return rec, nil
}

// markVerified records that d's bytes were hashed (and, for levelModel,
// checked as ONNX) as they were written.
func (s *Store) markVerified(d Digest, level verifyLevel) {
	s.mu.Lock()
	delete(s.released, d) // written again: wait for its record
	s.verified[d] = max(s.verified[d], level)
	s.mu.Unlock()
}

// ImportFile imports the ONNX file at path; its size is declared up front
// so a model that cannot fit is refused before it is copied.
func (s *Store) ImportFile(ctx context.Context, path string, meta ModelMeta) (Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return Record{}, fmt.Errorf("store: import: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Record{}, fmt.Errorf("store: import: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Record{}, fmt.Errorf("store: import: %s is not a regular file", path)
	}
	meta.SizeBytes = fi.Size()
	return s.Import(ctx, f, meta)
}
