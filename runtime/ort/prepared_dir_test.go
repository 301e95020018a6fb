package ort

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestSourcePreparedDir: a source that names its prepared folder (a model
// store's artifact folder) is prepared there, not under PreparedDir.
func TestSourcePreparedDir(t *testing.T) {
	l := &Loader{cfg: Config{PreparedDir: t.TempDir()}}
	want := filepath.Join(t.TempDir(), "artifacts", "abc")
	got, err := l.preparedDir(runtime.Source{Name: "m", Path: "m.onnx", Digest: "sha256:abc", PreparedDir: want})
	if err != nil || got != want {
		t.Fatalf("preparedDir = %q, %v; want %q", got, err, want)
	}
	got, err = l.preparedDir(runtime.Source{Name: "m", Path: "m.onnx", Digest: "sha256:abc"})
	if rel, rerr := filepath.Rel(l.cfg.PreparedDir, got); err != nil || rerr != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("preparedDir without a folder = %q, %v", got, err)
	}
}
