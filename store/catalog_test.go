package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestValidateName(t *testing.T) {
	cases := map[string]bool{
		"resnet18": true, "ResNet-50_v1.5": true, "0model": true, strings.Repeat("a", MaxNameLen): true,
		"": false, "..": false, ".hidden": false, "../etc": false, "a/b": false, `a\b`: false,
		"-flag": false, "a b": false, "é": false, "a\x00b": false, strings.Repeat("a", MaxNameLen+1): false,
	}
	for name, ok := range cases {
		t.Run(name, func(t *testing.T) {
			err := ValidateName(name)
			if (err == nil) != ok || (err != nil && !errors.Is(err, ErrInvalidName)) {
				t.Fatalf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
			}
		})
	}
}

func validRecord() Record {
	return Record{
		Name: "m", Version: 3, Digest: Digest{7}, SizeBytes: 10, Format: FormatONNX,
		Inputs:    []TensorSpec{{Name: "x", Datatype: "FP32", Shape: []int64{-1, 3}}},
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestRecordCodec(t *testing.T) {
	enc, err := encodeRecord(validRecord())
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(enc)
	if err != nil || got.Digest != (Digest{7}) || got.Inputs[0].Shape[0] != -1 || !got.CreatedAt.Equal(validRecord().CreatedAt) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	newer := append([]byte{recordSchema + 1}, enc[1:]...)
	badName := validRecord()
	badName.Name = "../x"
	badNameEnc, _ := encodeRecord(badName)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"newer schema", newer, ErrSchemaVersion},
		{"schema zero", append([]byte{0}, enc[1:]...), ErrSchemaVersion},
		{"invalid name", badNameEnc, ErrInvalidName},
		{"empty", nil, nil},
		{"not json", []byte{1, '{', 'x'}, nil},
		{"bad digest", []byte(`` + "\x01" + `{"name":"m","version":1,"digest":"sha256:zz","size_bytes":1}`), nil},
		{"zero version", []byte("\x01" + `{"name":"m","version":0,"digest":"` + Digest{1}.String() + `","size_bytes":1}`), ErrInvalidName},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeRecord(tc.in)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("decode: %v, want an error (%v)", err, tc.want)
			}
		})
	}
}

// TestNewerSchemaInCatalog writes a record from "a newer EdgeServe" into the
// bbolt file and checks the store refuses it clearly instead of misreading.
func TestNewerSchemaInCatalog(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	enc, _ := encodeRecord(validRecord())
	enc[0] = recordSchema + 1
	err := s.cat.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketModels).Put(modelKey("m", 3), enc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "m", "3"); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("get: %v, want ErrSchemaVersion", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("list: %v, want ErrSchemaVersion", err)
	}
}

func TestArtifacts(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	rec, err := s.Import(ctx, bytes.NewReader(onnxModel(t, 14, 64)), ModelMeta{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	const key = "ort-1.30.0/x86_64-avx2"
	dir, err := s.ArtifactDir(rec.Digest, key)
	if err != nil || !strings.HasPrefix(dir, s.Dir()) || strings.Contains(dir[len(s.Dir()):], "/x86_64") {
		t.Fatalf("artifact dir %q, %v", dir, err)
	}
	if err := s.PutArtifact(ctx, Artifact{Digest: rec.Digest, RuntimeKey: key, Paths: []string{dir + "/model.ort"}}); err != nil {
		t.Fatal(err)
	}
	a, err := s.GetArtifact(ctx, rec.Digest, key)
	if err != nil || a.Paths[0] != dir+"/model.ort" || a.CreatedAt.IsZero() {
		t.Fatalf("get artifact %+v, %v", a, err)
	}
	if list, _ := s.Artifacts(ctx, rec.Digest); len(list) != 1 {
		t.Fatalf("artifacts %v", list)
	}
	if err := s.DeleteArtifact(ctx, rec.Digest, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetArtifact(ctx, rec.Digest, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("artifact dir after delete: %v", err)
	}
	for _, bad := range []string{"", "..", "a b", "x\n"} {
		if err := s.PutArtifact(ctx, Artifact{Digest: rec.Digest, RuntimeKey: bad, Paths: []string{"p"}}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("runtime key %q: %v", bad, err)
		}
	}
	if err := s.PutArtifact(ctx, Artifact{Digest: Digest{9}, RuntimeKey: key, Paths: []string{"p"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("artifact of a missing blob: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := map[string]func(*Config){
		"no dir":         func(c *Config) { c.Dir = "" },
		"negative quota": func(c *Config) { c.QuotaBytes = -1 },
		"zero max size":  func(c *Config) { c.MaxModelBytes = 0 },
		"zero statfs":    func(c *Config) { c.StatfsEveryBytes = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig(t.TempDir())
			mutate(&cfg)
			if _, _, err := Open(context.Background(), cfg, Deps{}); err == nil {
				t.Fatal("open accepted an invalid config")
			}
		})
	}
}
