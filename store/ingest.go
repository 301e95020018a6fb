package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

// Ingest stores a blob that a peer sends: r must yield exactly size bytes
// hashing to want, or the blob is rejected (ErrDigestMismatch,
// ErrSizeMismatch) and nothing is kept. The catalog is not touched: the
// record travels with the catalog and arrives first, and a blob no record
// references is GC's to remove. Ingesting a blob already present is a no-op
// once the stream is drained and checked.
func (s *Store) Ingest(ctx context.Context, r io.Reader, want Digest, size int64) error {
	if want.IsZero() {
		return fmt.Errorf("%w: ingest needs the expected digest", ErrInvalidMeta)
	}
	if size <= 0 {
		return fmt.Errorf("%w: ingest needs the declared size, got %d", ErrSizeMismatch, size)
	}
	_, n, err := s.blobs.write(ctx, r, writeSpec{want: want, declared: size, maxBytes: s.cfg.MaxModelBytes})
	s.counters.count(err, n)
	if err != nil {
		return fmt.Errorf("store: ingest %s: %w", want, err)
	}
	s.counters.ingests.Add(1)
	s.markVerified(want, levelHashed)
	return nil
}

// OpenBlob opens blob d for sending to a peer. The reader hashes what it
// reads; if the bytes on disk do not match d the final Read returns an
// ErrCorrupt error instead of io.EOF and the blob is quarantined, so a
// corrupt blob is never served as good.
func (s *Store) OpenBlob(_ context.Context, d Digest) (io.ReadCloser, int64, error) {
	f, err := os.Open(s.blobs.path(d))
	if os.IsNotExist(err) {
		return nil, 0, fmt.Errorf("%w: blob %s", ErrNotFound, d)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: open blob: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("store: stat blob: %w", err)
	}
	return &verifyingReader{f: f, want: d, h: sha256.New(), s: s}, fi.Size(), nil
}

type verifyingReader struct {
	f    *os.File
	want Digest
	h    interface {
		io.Writer
		Sum([]byte) []byte
	}
	s *Store
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.f.Read(p)
	v.h.Write(p[:n])
	if err != io.EOF {
		return n, err
	}
	var got Digest
	v.h.Sum(got[:0])
	if got != v.want {
		v.s.forgetVerified(v.want)
		v.s.counters.verifyFailures.Add(1)
		return n, v.s.blobs.quarantineBlob(v.want, fmt.Sprintf("content hashes to %s", got))
	}
	return n, io.EOF
}

func (v *verifyingReader) Close() error { return v.f.Close() }

func (s *Store) forgetVerified(d Digest) {
	s.mu.Lock()
	delete(s.verified, d)
	s.mu.Unlock()
}
