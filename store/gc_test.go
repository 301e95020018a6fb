package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testRuntimeKey = "ort-1.30.0/amd64-avx2"

// writeArtifact writes a prepared form of blob d where the store says and
// records it.
func writeArtifact(t testing.TB, s *Store, d Digest) string {
	t.Helper()
	dir, err := s.ArtifactDir(d, testRuntimeKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), []byte("prepared"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.PutArtifact(context.Background(), Artifact{Digest: d, RuntimeKey: testRuntimeKey, Paths: []string{dir}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGCRemovesArtifactsWithBlob: the store owns prepared forms: deleting
// the last record of a blob and collecting removes the blob, its artifact
// records and their folders, and stray folders of blobs that are gone.
func TestGCRemovesArtifactsWithBlob(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	model := onnxModel(t, 11, 64)
	a, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	dir := writeArtifact(t, s, a.Digest)
	stray := filepath.Join(s.Dir(), dirArtifacts, Digest{7}.Hex(), "ort")
	if err := os.MkdirAll(stray, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	if res, err := s.GC(ctx); err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc while b still uses the blob: %+v, %v", res, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("prepared form of a blob in use removed: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(stray)); !os.IsNotExist(err) {
		t.Fatalf("stray prepared folder of a missing blob kept: %v", err)
	}
	if _, err := s.Delete(ctx, "b", 1); err != nil {
		t.Fatal(err)
	}
	res, err := s.GC(ctx)
	if err != nil || len(res.Removed) != 1 || res.FreedBytes != int64(len(model)) {
		t.Fatalf("gc after the last delete: %+v, %v", res, err)
	}
	if arts, _ := s.Artifacts(ctx, a.Digest); len(arts) != 0 {
		t.Fatalf("artifact records left: %v", arts)
	}
	if left := dirFiles(t, s, dirArtifacts); len(left) != 0 {
		t.Fatalf("artifact folders left: %v", left)
	}
	if used, _ := s.Usage(); used != 0 {
		t.Fatalf("used %d bytes after gc", used)
	}
}

// TestGCGrace: a blob written without a record (ingested from a peer,
// its record not yet here) survives GC for GCGrace, then goes.
func TestGCGrace(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	cfg := testConfig(t)
	s := openStore(t, cfg, Deps{Now: func() time.Time { return now }})
	model := onnxModel(t, 12, 64)
	d := Digest(sha256.Sum256(model))
	if err := s.Ingest(ctx, bytes.NewReader(model), d, int64(len(model))); err != nil {
		t.Fatal(err)
	}
	if res, err := s.GC(ctx); err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc within the grace: %+v, %v", res, err)
	}
	now = now.Add(cfg.GCGrace + time.Second)
	if res, err := s.GC(ctx); err != nil || len(res.Removed) != 1 || res.Removed[0] != d {
		t.Fatalf("gc after the grace: %+v, %v", res, err)
	}
}

// TestGCKeepsCommitInProgress: while a commit's check runs (the node
// loading the model), GC neither waits for it nor removes its blob or the
// prepared form the check writes, even with no grace at all.
func TestGCKeepsCommitInProgress(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	cfg.GCGrace = 0
	s := openStore(t, cfg, Deps{})
	model := onnxModel(t, 13, 64)
	inCheck, proceed := make(chan string), make(chan struct{})
	check := func(_ context.Context, d Digest, path string) error {
		writeArtifact(t, s, d)
		inCheck <- path
		<-proceed
		return nil
	}
	type result struct {
		rec Record
		err error
	}
	done := make(chan result, 1)
	go func() {
		rec, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m", Check: check})
		done <- result{rec, err}
	}()
	path := <-inCheck
	res, err := s.GC(ctx)
	if err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc during the check: %+v, %v", res, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("blob of a commit in progress removed: %v", err)
	}
	close(proceed)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, _, err := s.ModelFile(ctx, "m", Latest); err != nil {
		t.Fatalf("model after its commit: %v", err)
	}
	if _, err := s.GetArtifact(ctx, r.rec.Digest, testRuntimeKey); err != nil {
		t.Fatalf("prepared form written during the check: %v", err)
	}
	if res, err := s.GC(ctx); err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc after the commit: %+v, %v", res, err)
	}
}

// TestCheckRefusesModel: a model the check refuses leaves no record, no
// blob and no prepared form, unless another record keeps the same bytes.
func TestCheckRefusesModel(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	model := onnxModel(t, 14, 64)
	errCannotLoad := errors.New("cannot load")
	refuse := func(_ context.Context, d Digest, _ string) error {
		writeArtifact(t, s, d)
		return errCannotLoad
	}
	d := Digest(sha256.Sum256(model))
	u, err := s.BeginUpload(ctx, d, int64(len(model)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(ctx, bytes.NewReader(model), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx, ModelMeta{Name: "m", Check: refuse}); !errors.Is(err, errCannotLoad) {
		t.Fatalf("commit: %v, want the check's error", err)
	}
	assertNothingStored(t, s)
	if left := dirFiles(t, s, dirArtifacts); len(left) != 0 {
		t.Fatalf("prepared forms left: %v", left)
	}
	if _, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "kept"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m", Check: refuse}); !errors.Is(err, errCannotLoad) {
		t.Fatalf("import: %v, want the check's error", err)
	}
	if _, _, err := s.ModelFile(ctx, "kept", Latest); err != nil {
		t.Fatalf("a refusal removed bytes another model uses: %v", err)
	}
}
