package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// chunkReader returns at most n bytes per Read and counts what it gave.
type chunkReader struct {
	r    io.Reader
	n    int
	read int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p[:min(len(p), c.n)])
	c.read += k
	return k, err
}

// TestQuotaCheckedWhileStreaming: with no declared size the quota can only
// be enforced as bytes arrive; the import must stop part-way, not after
// storing everything, and leave nothing behind.
func TestQuotaCheckedWhileStreaming(t *testing.T) {
	model := onnxModel(t, 50, 2<<20) // 8 MiB
	cfg := testConfig(t)
	cfg.QuotaBytes = 1 << 20
	s := openStore(t, cfg, Deps{})
	r := &chunkReader{r: bytes.NewReader(model), n: 64 << 10}
	_, err := s.Import(context.Background(), r, ModelMeta{Name: "m"})
	if !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("err %v, want ErrQuotaExceeded", err)
	}
	if r.read == 0 || r.read >= len(model) {
		t.Fatalf("read %d of %d bytes: the quota was not checked while streaming", r.read, len(model))
	}
	assertNothingStored(t, s)
}

// TestCancelWhileStreaming cancels an import part-way.
func TestCancelWhileStreaming(t *testing.T) {
	model := onnxModel(t, 51, 256<<10)
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Import(ctx, pr, ModelMeta{Name: "m"})
		done <- err
	}()
	if _, err := pw.Write(model[:len(model)/2]); err != nil {
		t.Fatal(err)
	}
	cancel()
	go func() { _, _ = pw.Write(model[len(model)/2:]); _ = pw.Close() }()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	_ = pr.Close()
	assertNothingStored(t, s)
}

// TestGCDoesNotWaitForStreaming: a long upload in progress must not block
// GC (and through it other imports); the import still succeeds afterwards.
func TestGCDoesNotWaitForStreaming(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 52, 256<<10)
	s := newTestStore(t)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Import(ctx, pr, ModelMeta{Name: "slow"})
		done <- err
	}()
	if _, err := pw.Write(model[:len(model)/2]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx); err != nil { // returns while the import is mid-stream
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(onnxModel(t, 53, 64)), ModelMeta{Name: "fast"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write(model[len(model)/2:]); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ModelFile(ctx, "slow", Latest); err != nil {
		t.Fatal(err)
	}
}
