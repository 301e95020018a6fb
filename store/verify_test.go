package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"testing"
)

// flipByte corrupts one byte of the stored blob in place, as bit rot would.
func flipByte(t *testing.T, s *Store, d Digest, at int64) {
	t.Helper()
	f, err := os.OpenFile(s.blobs.path(d), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func TestFlippedByteDetectedBeforeLoad(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	model := onnxModel(t, 10, 1024)
	s := openStore(t, cfg, Deps{})
	rec, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = openStore(t, cfg, Deps{}) // a restart: nothing is verified yet
	flipByte(t, s, rec.Digest, int64(len(model)/2))
	if _, _, err := s.ModelFile(ctx, "m", Latest); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("load of a corrupt blob: %v, want ErrCorrupt", err)
	}
	if len(dirFiles(t, s, dirBlobs)) != 0 || len(dirFiles(t, s, dirQuarantine)) != 1 {
		t.Fatal("corrupt blob not moved to quarantine")
	}
	if _, _, err := s.ModelFile(ctx, "m", Latest); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second load: %v, want ErrNotFound (blob quarantined)", err)
	}
	if _, _, err := s.OpenBlob(ctx, rec.Digest); !errors.Is(err, ErrNotFound) {
		t.Fatalf("serving a quarantined blob: %v", err)
	}
	_ = s.Close()
	s, rep, err := Open(ctx, cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(rep.MissingBlobs) != 1 || rep.MissingBlobs[0] != "m:1" {
		t.Fatalf("report %+v", rep)
	}
	// A peer sends the good bytes again: the model loads.
	if err := s.Ingest(ctx, bytes.NewReader(model), rec.Digest, int64(len(model))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ModelFile(ctx, "m", Latest); err != nil {
		t.Fatalf("load after re-ingest: %v", err)
	}
}

func TestOpenBlobNeverServesCorruptBytes(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	model := onnxModel(t, 11, 1024)
	rec, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	r, size, err := s.OpenBlob(ctx, rec.Digest)
	if err != nil || size != int64(len(model)) {
		t.Fatal(size, err)
	}
	if b, err := io.ReadAll(r); err != nil || !bytes.Equal(b, model) {
		t.Fatalf("serve good blob: %v", err)
	}
	_ = r.Close()
	flipByte(t, s, rec.Digest, 10)
	r, _, err = s.OpenBlob(ctx, rec.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("serve corrupt blob: %v, want ErrCorrupt", err)
	}
	if len(dirFiles(t, s, dirQuarantine)) != 1 {
		t.Fatal("corrupt blob not quarantined")
	}
}

func TestIngest(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 12, 512)
	good := Digest(sha256.Sum256(model))
	cases := []struct {
		name string
		body []byte
		want Digest
		size int64
		err  error
	}{
		{"good", model, good, int64(len(model)), nil},
		{"wrong digest", model, Digest(sha256.Sum256([]byte("other"))), int64(len(model)), ErrDigestMismatch},
		{"flipped byte in transit", flipped(model), good, int64(len(model)), ErrDigestMismatch},
		{"truncated transfer", model[:len(model)-7], good, int64(len(model)), ErrSizeMismatch},
		{"no digest", model, Digest{}, int64(len(model)), ErrInvalidMeta},
		{"huge declared size", nil, good, 1 << 40, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			err := s.Ingest(ctx, bytes.NewReader(tc.body), tc.want, tc.size)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			var dm *DigestMismatchError
			if errors.Is(err, ErrDigestMismatch) && (!errors.As(err, &dm) || dm.Want != tc.want) {
				t.Fatalf("mismatch error does not say what was expected: %v", err)
			}
			if tc.err == nil {
				if err := s.Verify(ctx, good); err != nil {
					t.Fatal(err)
				}
				return
			}
			assertNothingStored(t, s)
		})
	}
}

func flipped(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/3] ^= 1
	return c
}
