package store

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// space accounts for the bytes blobs hold and the bytes writes in progress
// have reserved, against the quota and the file system's free space.
type space struct {
	dir     string
	quota   int64 // bytes; 0 = none
	reserve int64 // bytes the file system must keep free

	mu       sync.Mutex // guards used and reserved
	used     int64      // bytes in committed blobs
	reserved int64      // bytes promised to writes in progress
}

// freeBytes is the space an unprivileged writer may still use on dir's file
// system.
func freeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("store: statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// take reserves n more bytes, failing with ErrQuotaExceeded or ErrDiskFull.
// checkFS asks for a fresh look at the file system's free space.
func (s *space) take(n int64, checkFS bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quota > 0 && s.used+s.reserved+n > s.quota {
		return fmt.Errorf("%w: %d bytes more would exceed the quota of %d (%d used, %d in flight)",
			ErrQuotaExceeded, n, s.quota, s.used, s.reserved)
	}
	if checkFS {
		free, err := freeBytes(s.dir)
		if err != nil {
			return err
		}
		if free-n < s.reserve {
			return fmt.Errorf("%w: %d bytes more would leave %d free, reserve is %d",
				ErrDiskFull, n, free-n, s.reserve)
		}
	}
	s.reserved += n
	return nil
}

// settle turns a reservation of n bytes into stored bytes actually added.
func (s *space) settle(reserved, stored int64) {
	s.mu.Lock()
	s.reserved -= reserved
	s.used += stored
	s.mu.Unlock()
}

// free subtracts n stored bytes (a blob was removed or quarantined).
func (s *space) free(n int64) { s.settle(0, -n) }

// usage returns the committed and in-flight bytes.
func (s *space) usage() (used, reserved int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.reserved
}
