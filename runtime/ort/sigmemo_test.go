package ort

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
)

// TestLoadReadsSignatureOnce: loads of one model file after the first
// (a miss after an eviction) take its signature from memory instead of
// reading its graph again.
func TestLoadReadsSignatureOnce(t *testing.T) {
	for _, fast := range []bool{false, true} {
		l := newTestLoader(t, fast)
		path := addModel(t)
		for i := range 3 {
			m, err := l.Load(context.Background(), runtime.Source{Name: "add", Path: path, SkipWarmUp: i > 0})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Signature(); len(got.Inputs) != 2 || got.Inputs[0].Name != "a" || got.Outputs[0].Name != "sum" {
				t.Fatalf("fast=%v load %d: signature %+v", fast, i, got)
			}
			m.Close()
		}
		if got := l.sigs.graphReads(); got != 1 {
			t.Fatalf("fast=%v: %d graphs read over three loads of one file, want 1", fast, got)
		}
	}
}

// TestSigMemoRereadsChangedFile: a file replaced by another model is read
// again; errors are returned and not remembered.
func TestSigMemoRereadsChangedFile(t *testing.T) {
	var s sigMemo
	path := filepath.Join(t.TempDir(), "m.onnx")
	copyFile(t, addModel(t), path)
	sig, err := s.read(path)
	if err != nil || sig.Outputs[0].Name != "sum" {
		t.Fatalf("first read: %+v, %v", sig, err)
	}
	if _, err := s.read(path); err != nil || s.graphReads() != 1 {
		t.Fatalf("second read of an unchanged file: %v, %d graphs read, want 1", err, s.graphReads())
	}
	copyFile(t, warningModel(t), path)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if sig, err = s.read(path); err != nil || sig.Outputs[0].Name != "y" || s.graphReads() != 2 {
		t.Fatalf("read of a replaced file: %+v, %v, %d graphs read; want the new model's, 2", sig, err, s.graphReads())
	}
	if err := os.WriteFile(path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.read(path); !errors.Is(err, runtime.ErrInvalidModel) {
			t.Fatalf("read of a malformed file: %v, want ErrInvalidModel", err)
		}
	}
	if _, err := s.read(filepath.Join(t.TempDir(), "missing.onnx")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read of a missing file: %v, want not exist", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
