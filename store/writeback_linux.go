package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing [off, off+n) of f to disk
// now, without waiting, so the fsync at the end of a large write finds most
// bytes already on disk (disk I/O overlaps hashing and receiving). Errors are
// ignored: the fsync that follows is what guarantees durability.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
