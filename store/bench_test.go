package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// BenchmarkImportRatio interleaves an import, an fsynced copy and a plain
// copy of the same bytes in every iteration, so load from other processes
// hits all three alike, and reports each one's MB/s and the ratio
// import / fsynced copy (the goal is >= 0.5).
func BenchmarkImportRatio(b *testing.B) {
	model := onnxModel(b, 1, 8<<20) // 32 MiB of weights
	ctx := context.Background()
	s := openStore(b, testConfig(b), Deps{})
	path := filepath.Join(b.TempDir(), "copy")
	var tStore, tSync, tPlain time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m", SizeBytes: int64(len(model))}); err != nil {
			b.Fatal(err)
		}
		tStore += time.Since(start)
		start = time.Now()
		copyFile(b, path, model, true)
		tSync += time.Since(start)
		_ = os.Remove(path)
		start = time.Now()
		copyFile(b, path, model, false)
		tPlain += time.Since(start)
		_ = os.Remove(path)
		if _, err := s.Delete(ctx, "m", 1); err != nil {
			b.Fatal(err)
		}
		if _, err := s.GC(ctx); err != nil {
			b.Fatal(err)
		}
	}
	mbps := func(d time.Duration) float64 { return float64(b.N) * float64(len(model)) / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(tStore), "import-MB/s")
	b.ReportMetric(mbps(tSync), "copy-fsync-MB/s")
	b.ReportMetric(mbps(tPlain), "copy-MB/s")
	b.ReportMetric(tSync.Seconds()/tStore.Seconds(), "import/copy-fsync")
	b.ReportMetric(0, "ns/op")
}
