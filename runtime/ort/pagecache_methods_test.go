//go:build linux

package ort

import (
	"os"
	"path/filepath"
	"testing"
)

// cachestat(2) and mincore(2) count the same cached pages of a file: none
// after a drop, half after reading half, all after reading all.
func TestPageCacheMethodsAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w")
	const size = 4 << 20
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	syncFile(t, path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := cachedByCachestat(f); err != nil {
		t.Skipf("no cachestat here (%v): PageCacheBytes uses mincore", err)
	}
	if err := dropPageCache(path); err != nil {
		t.Fatal(err)
	}
	for _, read := range []int{0, size / 2, size} {
		// A read may read ahead: compare the two counts of one state.
		if _, err := f.ReadAt(make([]byte, read), 0); err != nil && read > 0 {
			t.Fatal(err)
		}
		byStat, err := cachedByCachestat(f)
		if err != nil {
			t.Fatal(err)
		}
		byCore, err := cachedByMincore(f, size)
		if err != nil {
			t.Fatal(err)
		}
		if byStat != byCore {
			t.Fatalf("after reading %d bytes: cachestat counts %d cached bytes, mincore %d", read, byStat, byCore)
		}
		if read == size && byStat != size {
			t.Fatalf("after reading the whole file: %d of %d bytes cached", byStat, size)
		}
	}
}

// BenchmarkPageCacheBytes: what the cache pays per miss to learn how much
// of a model's weights is cached, by cachestat(2) (PageCacheBytes) and by
// mincore(2) (its fallback), on a file of 96 MiB in the page cache.
func BenchmarkPageCacheBytes(b *testing.B) {
	path := filepath.Join(b.TempDir(), "w")
	const size = 96 << 20
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("cachestat", func(b *testing.B) {
		for range b.N {
			if _, err := PageCacheBytes(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mincore", func(b *testing.B) {
		for range b.N {
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			g, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cachedByMincore(g, fi.Size()); err != nil {
				b.Fatal(err)
			}
			g.Close()
		}
	})
}
