package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"
)

// cutReader yields the first n bytes of b and then fails, like a connection
// that drops.
func cutReader(b []byte, n int) io.Reader {
	return io.MultiReader(bytes.NewReader(b[:n]), errReader{})
}

type errReader struct{}

var errConnReset = errors.New("connection reset")

func (errReader) Read([]byte) (int, error) { return 0, errConnReset }

func TestUploadResumesAcrossRestart(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	model := onnxModel(t, 40, 4096)
	d, size := Digest(sha256.Sum256(model)), int64(len(model))
	s := openStore(t, cfg, Deps{})
	u, err := s.BeginUpload(ctx, d, size)
	if err != nil {
		t.Fatal(err)
	}
	off, err := u.Write(ctx, cutReader(model, 1000), 0)
	if err == nil || off != 1000 {
		t.Fatalf("dropped connection: offset %d, %v", off, err)
	}
	if _, err := u.Write(ctx, bytes.NewReader(model[500:]), 500); !errors.Is(err, ErrOffsetMismatch) {
		t.Fatalf("chunk at the wrong offset: %v", err)
	}
	_ = s.Close() // the node restarts mid-upload
	s = openStore(t, cfg, Deps{})
	u, err = s.BeginUpload(ctx, d, size)
	if err != nil || u.Offset() != 1000 {
		t.Fatalf("resume: offset %d, %v", u.Offset(), err)
	}
	if off, err := u.Write(ctx, bytes.NewReader(model[1000:]), 1000); err != nil || off != size {
		t.Fatalf("rest: %d, %v", off, err)
	}
	rec, err := u.Commit(ctx, ModelMeta{Name: "m"})
	if err != nil || rec.Digest != d || rec.SizeBytes != size {
		t.Fatalf("commit: %+v, %v", rec, err)
	}
	if _, _, err := s.ModelFile(ctx, "m", Latest); err != nil {
		t.Fatal(err)
	}
	if used, inflight := s.Usage(); used != size || inflight != 0 {
		t.Fatalf("usage %d/%d", used, inflight)
	}
	if f := dirFiles(t, s, dirUploads); len(f) != 0 {
		t.Fatalf("upload files left %v", f)
	}
}

func TestUploadRejects(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 41, 1024)
	d, size := Digest(sha256.Sum256(model)), int64(len(model))
	t.Run("wrong bytes", func(t *testing.T) {
		s := newTestStore(t)
		u, _ := s.BeginUpload(ctx, d, size)
		if _, err := u.Write(ctx, bytes.NewReader(flipped(model)), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Commit(ctx, ModelMeta{Name: "m"}); !errors.Is(err, ErrDigestMismatch) {
			t.Fatalf("commit: %v", err)
		}
		assertNothingStored(t, s)
		if f := dirFiles(t, s, dirUploads); len(f) != 0 {
			t.Fatalf("upload files left %v", f)
		}
	})
	t.Run("more than declared", func(t *testing.T) {
		s := newTestStore(t)
		u, _ := s.BeginUpload(ctx, d, size-10)
		if off, err := u.Write(ctx, bytes.NewReader(model), 0); !errors.Is(err, ErrSizeMismatch) || off != size-10 {
			t.Fatalf("overrun: %d, %v", off, err)
		}
		_ = u.Abort()
		assertNothingStored(t, s)
	})
	t.Run("incomplete commit", func(t *testing.T) {
		s := newTestStore(t)
		u, _ := s.BeginUpload(ctx, d, size)
		_, _ = u.Write(ctx, bytes.NewReader(model[:10]), 0)
		if _, err := u.Commit(ctx, ModelMeta{Name: "m"}); !errors.Is(err, ErrSizeMismatch) {
			t.Fatalf("commit: %v", err)
		}
	})
	t.Run("over quota before writing", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.QuotaBytes = size - 1
		s := openStore(t, cfg, Deps{})
		if _, err := s.BeginUpload(ctx, d, size); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("begin: %v", err)
		}
		if _, err := s.BeginUpload(ctx, d, 1<<40); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("begin 1 TB: %v", err)
		}
		assertNothingStored(t, s)
	})
	t.Run("write fault", func(t *testing.T) {
		s := openStore(t, testConfig(t), Deps{Faults: func(s Step) error {
			if s == StepWrite {
				return errInjected
			}
			return nil
		}})
		u, _ := s.BeginUpload(ctx, d, size)
		if _, err := u.Write(ctx, bytes.NewReader(model), 0); !errors.Is(err, errInjected) {
			t.Fatalf("write: %v", err)
		}
		if _, err := u.Commit(ctx, ModelMeta{Name: "m"}); err == nil {
			t.Fatal("commit of a failed upload succeeded")
		}
	})
}

func TestAbandonedUploadExpires(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	model := onnxModel(t, 42, 256)
	s := openStore(t, cfg, Deps{})
	u, err := s.BeginUpload(ctx, Digest(sha256.Sum256(model)), int64(len(model)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(ctx, bytes.NewReader(model[:100]), 0); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s2, rep, err := Open(ctx, cfg, Deps{Now: func() time.Time { return time.Now().Add(cfg.UploadMaxAge / 2) }})
	if err != nil || len(rep.UploadsRemoved) != 0 {
		t.Fatalf("young upload removed: %+v, %v", rep, err)
	}
	_ = s2.Close()
	s3, rep, err := Open(ctx, cfg, Deps{Now: func() time.Time { return time.Now().Add(2 * cfg.UploadMaxAge) }})
	if err != nil || len(rep.UploadsRemoved) != 1 {
		t.Fatalf("old upload kept: %+v, %v", rep, err)
	}
	_ = s3.Close()
}

// TestIdleUploadReleasesQuota: an upload abandoned in a running store
// holds its quota reservation only until it has been idle UploadMaxAge;
// the next BeginUpload (or GC) aborts it, and its partial file goes.
func TestIdleUploadReleasesQuota(t *testing.T) {
	ctx := context.Background()
	a, b := onnxModel(t, 1, 256), onnxModel(t, 2, 256)
	cfg := testConfig(t)
	cfg.QuotaBytes = int64(len(a)) + int64(len(b))/2 // room for one upload
	now := time.Unix(1_700_000_000, 0)
	s := openStore(t, cfg, Deps{Now: func() time.Time { return now }})
	ua, err := s.BeginUpload(ctx, Digest(sha256.Sum256(a)), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ua.Write(ctx, bytes.NewReader(a[:100]), 0); err != nil {
		t.Fatal(err)
	}
	db := Digest(sha256.Sum256(b))
	now = now.Add(cfg.UploadMaxAge - time.Second)
	if _, err := s.BeginUpload(ctx, db, int64(len(b))); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("second upload while the first is live: %v, want ErrQuotaExceeded", err)
	}
	// Resuming counts as activity: a is not idle yet.
	if _, err := s.BeginUpload(ctx, Digest(sha256.Sum256(a)), int64(len(a))); err != nil {
		t.Fatal(err)
	}
	now = now.Add(cfg.UploadMaxAge - time.Second)
	if _, err := s.BeginUpload(ctx, db, int64(len(b))); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("second upload after a resume: %v, want ErrQuotaExceeded", err)
	}
	now = now.Add(2 * time.Second)
	ub, err := s.BeginUpload(ctx, db, int64(len(b)))
	if err != nil {
		t.Fatalf("second upload after the first expired: %v", err)
	}
	if _, err := ua.Write(ctx, bytes.NewReader(a[100:]), 100); !errors.Is(err, ErrClosed) {
		t.Fatalf("write to the expired upload: %v, want ErrClosed", err)
	}
	if files := dirFiles(t, s, dirUploads); len(files) != 0 {
		t.Fatalf("partial files left: %v", files)
	}
	if _, err := ub.Write(ctx, bytes.NewReader(b), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := ub.Commit(ctx, ModelMeta{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	// GC expires idle uploads too.
	uc, err := s.BeginUpload(ctx, Digest(sha256.Sum256(a)), 10)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(cfg.UploadMaxAge + time.Second)
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Write(ctx, bytes.NewReader(a[:1]), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after GC expired the upload: %v, want ErrClosed", err)
	}
}
