package ort

import (
	"context"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

func TestArtifactKey(t *testing.T) {
	l := newTestLoader(t, false)
	key := l.ArtifactKey()
	want := "ort-" + Version() + "/" + goruntime.GOARCH
	if Version() == "" || !strings.HasPrefix(key, want) {
		t.Fatalf("ArtifactKey %q, want prefix %q", key, want)
	}
	if key != l.ArtifactKey() {
		t.Error("ArtifactKey is not stable")
	}
}

// TestFastLoadFallsBack: when the prepared form cannot be written, the
// model still loads the default way.
func TestFastLoadFallsBack(t *testing.T) {
	cfg := testConfig(t, true)
	cfg.PreparedDir = filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(cfg.PreparedDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := mustLoad(t, l, addModel(t))
	if m.Profile().Prepared {
		t.Error("profile says prepared, but the prepared directory is unusable")
	}
}

// TestPreparedKeyedByDigest: a digest names the prepared form, so two
// copies of one model share it.
func TestPreparedKeyedByDigest(t *testing.T) {
	l := newTestLoader(t, true)
	path := addModel(t)
	copyPath := filepath.Join(t.TempDir(), "copy.onnx")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(copyPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := l.Load(context.Background(), runtime.Source{Path: path, Digest: "sha256:abc"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := l.Load(context.Background(), runtime.Source{Path: copyPath, Digest: "sha256:abc"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if first.Profile().PrepareTime == 0 || second.Profile().PrepareTime != 0 || !second.Profile().Prepared {
		t.Errorf("second load with the same digest must reuse the prepared form: %+v", second.Profile())
	}
	dir, _ := l.preparedDir(runtime.Source{Digest: "../../etc"})
	if !strings.HasPrefix(dir, l.cfg.PreparedDir) || strings.Contains(dir, "..") {
		t.Errorf("digest escapes the prepared directory: %s", dir)
	}
}
