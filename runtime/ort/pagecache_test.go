//go:build linux

package ort

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
)

// The residency of a file follows a drop and a read.
func TestPageCacheBytesFollowsDropAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w")
	data := make([]byte, 4<<20)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	syncFile(t, path) // dirty pages cannot be dropped
	if err := dropPageCache(path); err != nil {
		t.Fatal(err)
	}
	dropped, err := PageCacheBytes(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	read, err := PageCacheBytes(path)
	if err != nil {
		t.Fatal(err)
	}
	if dropped > int64(len(data))/4 || read < int64(len(data))*3/4 {
		t.Fatalf("cached %d bytes after the drop, %d after a read of %d", dropped, read, len(data))
	}
	if _, err := PageCacheBytes(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing file has a residency")
	}
}

// The share of a folder's bytes in the page cache follows a drop of its
// larger file and a read of it.
func TestPageCachedShare(t *testing.T) {
	dir := t.TempDir()
	small, large := filepath.Join(dir, "model.onnx"), filepath.Join(dir, "model.weights")
	for p, n := range map[string]int{small: 1 << 20, large: 3 << 20} {
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		syncFile(t, p)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{small, large} {
		if _, err := os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	all, err := PageCachedShare(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := dropPageCache(large); err != nil {
		t.Fatal(err)
	}
	part, err := PageCachedShare(dir)
	if err != nil {
		t.Fatal(err)
	}
	if all < 0.9 || part < 0.15 || part > 0.35 {
		t.Fatalf("share cached %.2f after reading both files, %.2f after dropping the larger (3/4 of the bytes)", all, part)
	}
	// With an ORT format file, its share alone: the graph and weights
	// beside it are not read.
	ortFile := filepath.Join(dir, PreparedORTFile)
	if err := os.WriteFile(ortFile, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	syncFile(t, ortFile)
	if err := dropPageCache(ortFile); err != nil {
		t.Fatal(err)
	}
	if s, err := PageCachedShare(dir); err != nil || s > 0.25 {
		t.Fatalf("share %.2f, %v with the ORT format file dropped; want its own", s, err)
	}
	if _, err := PageCachedShare(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing folder has a share")
	}
	if s, err := PageCachedShare(filepath.Join(dir, "sub")); err != nil || s != 1 {
		t.Fatalf("empty folder: %v, %v; want 1", s, err)
	}
}

func syncFile(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMissPageCache measures a fast-form miss as a node's request
// makes it (a load without warm-up and the request's run) whose weights
// are still in the page cache, against one whose weights were dropped from
// it (posix_fadvise DONTNEED on the prepared form's largest file: the ORT
// format file), interleaved, and reports the medians, the load alone and
// the cold/warm ratio. Models: $EDGESERVE_BENCH_MODEL (comma-separated;
// default mobilenet_v1_1.0 and resnet50).
func BenchmarkMissPageCache(b *testing.B) {
	names := []string{"mobilenet_v1_1.0", "resnet50"}
	if s := os.Getenv(benchModelEnv); s != "" {
		names = strings.Split(s, ",")
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			l := newTestLoader(b, true)
			path := zooModel(b, name)
			src := runtime.Source{Name: name, Path: path}
			m, err := l.Load(context.Background(), src) // prepares, measures with a warm-up
			if err != nil {
				b.Fatal(err)
			}
			m.Close()
			src.SkipWarmUp = true
			weights := largestPreparedFile(b, l, src)
			syncFile(b, weights)
			in := []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}
			var warm, cold, warmLoad, coldLoad []time.Duration
			miss := func() (time.Duration, time.Duration) {
				start := time.Now()
				m, err := l.Load(context.Background(), src)
				if err != nil {
					b.Fatal(err)
				}
				loaded := time.Since(start)
				if _, err := m.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				m.Close()
				return took, loaded
			}
			b.ResetTimer()
			for range b.N {
				w, wl := miss()
				if err := dropPageCache(weights); err != nil {
					b.Fatal(err)
				}
				c, cl := miss()
				warm, cold = append(warm, w), append(cold, c)
				warmLoad, coldLoad = append(warmLoad, wl), append(coldLoad, cl)
			}
			b.StopTimer()
			w, c := medianOf(warm), medianOf(cold)
			b.ReportMetric(float64(w.Microseconds())/1e3, "warm-miss-ms")
			b.ReportMetric(float64(c.Microseconds())/1e3, "cold-miss-ms")
			b.ReportMetric(float64(medianOf(warmLoad).Microseconds())/1e3, "warm-load-ms")
			b.ReportMetric(float64(medianOf(coldLoad).Microseconds())/1e3, "cold-load-ms")
			b.ReportMetric(float64(c)/float64(w), "cold/warm")
		})
	}
}

// largestPreparedFile is the largest file of src's prepared form: its
// weights.
func largestPreparedFile(b *testing.B, l *Loader, src runtime.Source) string {
	b.Helper()
	dir, err := l.preparedDir(src)
	if err != nil {
		b.Fatal(err)
	}
	var found string
	var size int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Size() > size {
			found, size = p, fi.Size()
		}
		return nil
	})
	if err != nil || found == "" {
		b.Fatalf("no prepared weights under %s: %v", dir, err)
	}
	return found
}

func medianOf(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
