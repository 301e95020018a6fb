//go:build linux

package ort

import (
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapPopulate has mmap map every page of a file at once (ortformat.go).
const mapPopulate = unix.MAP_POPULATE

// PageCacheBytes is how much of the file at path the page cache holds now.
// A fast-form model whose weights are still cached loads without reading
// them from disk: the page cache is the second tier of a model's memory,
// which the kernel manages. The cache asks this on every miss, under its
// lock, so it uses cachestat(2) (Linux 6.5 and later: one call, nothing
// mapped) and falls back to mincore(2) over a read-only mapping where the
// kernel lacks it or refuses it.
func PageCacheBytes(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("ort: page cache of %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("ort: page cache of %s: %w", path, err)
	}
	if fi.Size() == 0 {
		return 0, nil
	}
	n, err := cachedByCachestat(f)
	if err != nil { // an older kernel, or a seccomp filter that refuses the call
		n, err = cachedByMincore(f, fi.Size())
	}
	if err != nil {
		return 0, fmt.Errorf("ort: page cache of %s: %w", path, err)
	}
	return min(n, fi.Size()), nil
}

// cachedByCachestat is the bytes of f in the page cache, by cachestat(2)
// over the whole file.
func cachedByCachestat(f *os.File) (int64, error) {
	var st unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{}, &st, 0); err != nil {
		return 0, fmt.Errorf("cachestat: %w", err)
	}
	return int64(st.Cache) * int64(os.Getpagesize()), nil
}

// cachedByMincore is the bytes of f's first size bytes in the page cache,
// by mincore(2) over a read-only mapping.
func cachedByMincore(f *os.File, size int64) (int64, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(mem) //nolint:errcheck // a read-only mapping
	page := int64(os.Getpagesize())
	vec := make([]byte, (size+page-1)/page)
	if err := mincore(mem, vec); err != nil {
		return 0, fmt.Errorf("mincore: %w", err)
	}
	var n int64
	for _, v := range vec {
		n += int64(v & 1)
	}
	return n * page, nil
}

// PageCachedShare is the share, from 0 to 1, of the bytes a load of the
// prepared form in dir reads that the page cache holds now: of its ORT
// format file when it has one (ortformat.go), else of all its regular
// files (graph and weights); 1 for empty files. A node hands it to its
// cache (placement/cache Deps.PageCached): a miss whose weights must be
// read from disk costs more than one whose weights are cached.
func PageCachedShare(dir string) (float64, error) {
	if p := filepath.Join(dir, PreparedORTFile); fileExists(p) {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() == 0 {
			return 1, err
		}
		n, err := PageCacheBytes(p)
		return float64(n) / float64(fi.Size()), err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("ort: page cache of %s: %w", dir, err)
	}
	var cached, total int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return 0, fmt.Errorf("ort: page cache of %s: %w", dir, err)
		}
		n, err := PageCacheBytes(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, err
		}
		cached, total = cached+n, total+info.Size()
	}
	if total == 0 {
		return 1, nil
	}
	return float64(cached) / float64(total), nil
}

// mincore is mincore(2); x/sys/unix has the call's number but no wrapper.
func mincore(mem, vec []byte) error {
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return errno
	}
	return nil
}

// dropPageCache asks the kernel to drop the file's clean cached pages
// (posix_fadvise DONTNEED): the next read comes from disk. Pages mapped by
// a live session are not dropped.
func dropPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
