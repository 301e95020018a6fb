package store

import (
	"context"
	"fmt"
	"io"
	"os"
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
// Streaming runs without locks; only the short step from placing the blob
// to committing its record excludes GC, which could otherwise remove the
// blob (new, or an existing orphan with the same bytes) before the record
// that keeps it.
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
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	if err := s.blobs.place(st.tmp, st.d, st.size); err != nil {
		s.blobs.discard(st)
		s.counters.importFailures.Add(1)
		return Record{}, fmt.Errorf("store: import %s: %w", meta.Name, err)
	}
	return s.commitRecord(meta, st.d, st.size)
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
