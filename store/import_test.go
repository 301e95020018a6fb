package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := testConfig(t)
	s := openStore(t, cfg, Deps{Now: func() time.Time { return now }})
	model := onnxModel(t, 1, 256)
	meta := ModelMeta{
		Name: "resnet18", Task: "image-classification", Accuracy: 0.69, Parameters: 256,
		Labels:  map[string]string{"family": "resnet"},
		Inputs:  []TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{1, 256}}},
		Outputs: []TensorSpec{{Name: "y", Datatype: "FP32", Shape: []int64{1, 1}}},
	}
	rec, err := s.Import(ctx, bytes.NewReader(model), meta)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 1 || rec.SizeBytes != int64(len(model)) || !rec.CreatedAt.Equal(now) || rec.Format != FormatONNX {
		t.Fatalf("record %+v", rec)
	}
	got, path, err := s.ModelFile(ctx, "resnet18", Latest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != rec.Digest || got.Task != meta.Task || got.Labels["family"] != "resnet" || got.Inputs[0].Shape[1] != 256 {
		t.Fatalf("read back %+v", got)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, model) {
		t.Fatal("blob bytes differ from the model")
	}
	st := s.Stats()
	if st.UsedBytes != int64(len(model)) || st.Imports != 1 || st.ImportedBytes != int64(len(model)) || st.ImportFailures != 0 {
		t.Fatalf("stats %+v after one import of %d bytes", st, len(model))
	}
}

func TestImportVersions(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a, b := onnxModel(t, 1, 64), onnxModel(t, 2, 64)
	imp := func(model []byte, version int64) (Record, error) {
		t.Helper()
		return s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m", Version: version})
	}
	r1, _ := imp(a, 0)
	r2, _ := imp(b, 0)
	again, _ := imp(b, 0) // same bytes as the latest: idempotent
	r7, _ := imp(a, 7)
	if r1.Version != 1 || r2.Version != 2 || again.Version != 2 || r7.Version != 7 {
		t.Fatalf("versions %d %d %d %d, want 1 2 2 7", r1.Version, r2.Version, again.Version, r7.Version)
	}
	if _, err := imp(b, 7); !errors.Is(err, ErrExists) {
		t.Fatalf("other bytes at an existing version: %v, want ErrExists", err)
	}
	for _, tc := range []struct {
		ref  string
		want int64
		err  error
	}{
		{"latest", 7, nil}, {"", 7, nil}, {"2", 2, nil}, {"3", 0, ErrNotFound},
		{"0", 0, ErrInvalidName}, {"-1", 0, ErrInvalidName}, {"v2", 0, ErrInvalidName},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			r, err := s.Get(ctx, "m", tc.ref)
			if !errors.Is(err, tc.err) || r.Version != tc.want {
				t.Fatalf("Get(m, %q) = v%d, %v; want v%d, %v", tc.ref, r.Version, err, tc.want, tc.err)
			}
		})
	}
	if n := len(dirFiles(t, s, dirBlobs)); n != 2 {
		t.Fatalf("%d blobs, want 2", n)
	}
}

// failReader fails the test if anything reads it: a refusal must come
// before the first byte.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("reader was read")
	return 0, io.ErrUnexpectedEOF
}

func TestImportRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 3, 4096)
	random := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(42, 42))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	cases := []struct {
		name string
		r    func(t *testing.T) io.Reader
		meta ModelMeta
		want error
	}{
		{"random bytes", rd(random), ModelMeta{Name: "m"}, ErrNotONNX},
		{"empty", rd(nil), ModelMeta{Name: "m"}, ErrNotONNX},
		{"truncated", rd(model[:len(model)/2]), ModelMeta{Name: "m"}, ErrNotONNX},
		{"truncated by one byte", rd(model[:len(model)-1]), ModelMeta{Name: "m"}, ErrNotONNX},
		{"shorter than declared", rd(model[:100]), ModelMeta{Name: "m", SizeBytes: int64(len(model))}, ErrSizeMismatch},
		{"longer than declared", rd(model), ModelMeta{Name: "m", SizeBytes: 10}, ErrSizeMismatch},
		{"connection drops midway", func(*testing.T) io.Reader { return cutReader(model, len(model)/2) }, ModelMeta{Name: "m"}, errConnReset},
		{"wrong digest", rd(model), ModelMeta{Name: "m", Digest: Digest{1}}, ErrDigestMismatch},
		{"name with ../", noRead, ModelMeta{Name: "../etc"}, ErrInvalidName},
		{"name with slash", noRead, ModelMeta{Name: "a/b"}, ErrInvalidName},
		{"name ..", noRead, ModelMeta{Name: ".."}, ErrInvalidName},
		{"accuracy above 1", noRead, ModelMeta{Name: "m", Accuracy: 1.5}, ErrInvalidMeta},
		{"bad label key", noRead, ModelMeta{Name: "m", Labels: map[string]string{"a b": "c"}}, ErrInvalidMeta},
		{"bad datatype", noRead, ModelMeta{Name: "m", Inputs: []TensorSpec{{Name: "x", Datatype: "FLOAT"}}}, ErrInvalidMeta},
		{"declares 1 TB", noRead, ModelMeta{Name: "m", SizeBytes: 1 << 40}, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			_, err := s.Import(ctx, tc.r(t), tc.meta)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			assertNothingStored(t, s)
			if st := s.Stats(); st.Imports != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func rd(b []byte) func(*testing.T) io.Reader {
	return func(*testing.T) io.Reader { return bytes.NewReader(b) }
}

func noRead(t *testing.T) io.Reader { return failReader{t} }

func TestQuota(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 4, 64<<10) // 256 KiB of weights
	cases := []struct {
		name     string
		quota    int64
		reserve  int64
		declared int64
		r        func(*testing.T) io.Reader
		want     error
	}{
		{"declared size over quota", 1 << 20, 0, 1 << 40 >> 10, noRead, ErrQuotaExceeded},
		{"declared beyond free disk", 0, 0, 1 << 47, noRead, ErrDiskFull},
		{"stream grows past quota", 100 << 10, 0, 0, rd(model), ErrQuotaExceeded},
		{"file system reserve", 0, 1 << 62, 0, rd(model), ErrDiskFull},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.QuotaBytes, cfg.ReserveBytes, cfg.MaxModelBytes = tc.quota, tc.reserve, 1<<50
			s := openStore(t, cfg, Deps{})
			_, err := s.Import(ctx, tc.r(t), ModelMeta{Name: "m", SizeBytes: tc.declared})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			assertNothingStored(t, s)
		})
	}
}

func TestQuotaKeepsExistingModels(t *testing.T) {
	ctx := context.Background()
	a, b := onnxModel(t, 5, 1024), onnxModel(t, 6, 1024)
	cfg := testConfig(t)
	cfg.QuotaBytes = int64(len(a)) + int64(len(b))/2
	s := openStore(t, cfg, Deps{})
	if _, err := s.Import(ctx, bytes.NewReader(a), ModelMeta{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(b), ModelMeta{Name: "b"}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("second import: %v, want ErrQuotaExceeded", err)
	}
	if _, _, err := s.ModelFile(ctx, "a", Latest); err != nil {
		t.Fatalf("first model after quota error: %v", err)
	}
	if n := len(dirFiles(t, s, dirTmp)); n != 0 {
		t.Fatalf("%d temp files left", n)
	}
	if _, err := s.Delete(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(b), ModelMeta{Name: "b"}); err != nil {
		t.Fatalf("import after GC freed space: %v", err)
	}
}

func TestImportFileAndContext(t *testing.T) {
	s := newTestStore(t)
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, onnxModel(t, 7, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ImportFile(ctx, path, ModelMeta{Name: "m"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v", err)
	}
	assertNothingStored(t, s)
	if _, err := s.ImportFile(context.Background(), t.TempDir(), ModelMeta{Name: "m"}); err == nil {
		t.Fatal("importing a directory as a file succeeded")
	}
	rec, err := s.ImportFile(context.Background(), path, ModelMeta{Name: "m"})
	if err != nil || rec.Version != 1 {
		t.Fatalf("import file: %+v, %v", rec, err)
	}
}

// TestDeletedVersionNumbersAreNotReused: after the latest version is
// deleted, the next import takes a new number, so nothing keyed by name and
// version (a node's loaded copy, its back-off) can mistake it for the old.
func TestDeletedVersionNumbersAreNotReused(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	s := openStore(t, cfg, Deps{})
	a, b := onnxModel(t, 1, 64), onnxModel(t, 2, 64)
	if _, err := s.Import(ctx, bytes.NewReader(a), ModelMeta{Name: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "m", 1); err != nil {
		t.Fatal(err)
	}
	r, err := s.Import(ctx, bytes.NewReader(b), ModelMeta{Name: "m"})
	if err != nil || r.Version != 2 {
		t.Fatalf("import after deleting v1 = v%d, %v; want v2", r.Version, err)
	}
	s.Close()
	s = openStore(t, cfg, Deps{})
	if r, err := s.Import(ctx, bytes.NewReader(a), ModelMeta{Name: "m"}); err != nil || r.Version != 3 {
		t.Fatalf("import after reopening = v%d, %v; want v3", r.Version, err)
	}
}
