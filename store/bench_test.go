package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkImport compares Import (hash + ONNX check + quota + fsync +
// rename + dir fsync + catalog commit) with a plain io.Copy of the same
// bytes to a file on the same file system, with and without fsync. Compare
// the MB/s of the sub-benchmarks of one run:
//
//	go test -run '^$' -bench Import -benchtime 10x ./store
func BenchmarkImport(b *testing.B) {
	model := onnxModel(b, 1, 8<<20) // 32 MiB of weights
	b.Run("store", func(b *testing.B) {
		ctx := context.Background()
		s := openStore(b, testConfig(b), Deps{})
		b.SetBytes(int64(len(model)))
		for b.Loop() {
			if _, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m", SizeBytes: int64(len(model))}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if _, err := s.Delete(ctx, "m", 1); err != nil {
				b.Fatal(err)
			}
			if _, err := s.GC(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	for _, fsync := range []bool{true, false} {
		name := "copy-nofsync"
		if fsync {
			name = "copy-fsync"
		}
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "copy")
			b.SetBytes(int64(len(model)))
			for b.Loop() {
				copyFile(b, path, model, fsync)
				b.StopTimer()
				_ = os.Remove(path)
				b.StartTimer()
			}
		})
	}
}

func copyFile(b *testing.B, path string, data []byte, fsync bool) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	if fsync {
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
