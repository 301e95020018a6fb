package ort

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/runtime"
)

// maxFuzzModelBytes bounds the fuzzed model files.
const maxFuzzModelBytes = 64 << 10

func fuzzSeeds(f *testing.F) {
	for _, path := range []string{addModel(f), mlpModel(f, 4, 2), unsupportedOpModel(f), identityModel(f, runtime.Float16)} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte("\x3a\x02\x5a\x00"))
}

// FuzzParseSignature: the signature scan never panics, and errors wrap
// ErrInvalidModel.
func FuzzParseSignature(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := parseSignature(b)
		if err != nil {
			if !errors.Is(err, runtime.ErrInvalidModel) {
				t.Fatalf("error %v does not wrap ErrInvalidModel", err)
			}
			return
		}
		for _, s := range sig.Inputs {
			if !s.Type.Fixed() || s.Shape == nil {
				t.Fatalf("accepted input %+v", s)
			}
		}
	})
}

// FuzzLoad loads arbitrary bytes (up to 64 KiB) as a model: it either loads
// and runs or fails with ErrInvalidModel or ErrInvalidInput, and the process
// survives.
func FuzzLoad(f *testing.F) {
	fuzzSeeds(f)
	l := newTestLoader(f, false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzModelBytes {
			return
		}
		path := filepath.Join(dir, "fuzz.onnx")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := l.Load(context.Background(), runtime.Source{Name: "fuzz", Path: path})
		if err != nil {
			if !errors.Is(err, runtime.ErrInvalidModel) && !errors.Is(err, runtime.ErrInvalidInput) {
				t.Fatalf("error %v wraps neither ErrInvalidModel nor ErrInvalidInput", err)
			}
			return
		}
		m.Close()
	})
}
