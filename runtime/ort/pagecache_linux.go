//go:build linux

package ort

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PageCacheBytes is how much of the file at path the page cache holds now
// (mincore(2) over a read-only mapping). A fast-form model whose weights
// are still cached loads without reading them from disk: the page cache is
// the second tier of a model's memory, which the kernel manages.
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
	mem, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, fmt.Errorf("ort: page cache of %s: mmap: %w", path, err)
	}
	defer unix.Munmap(mem) //nolint:errcheck // a read-only mapping
	page := int64(os.Getpagesize())
	vec := make([]byte, (fi.Size()+page-1)/page)
	if err := mincore(mem, vec); err != nil {
		return 0, fmt.Errorf("ort: page cache of %s: mincore: %w", path, err)
	}
	var n int64
	for _, v := range vec {
		n += int64(v & 1)
	}
	return min(n*page, fi.Size()), nil
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
