package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ErrOffsetMismatch: a resumed upload's chunk does not start where the
// stored part ends; the sender must resume from Upload.Offset.
var ErrOffsetMismatch = errors.New("store: upload offset mismatch")

// Upload is a resumable upload of one blob whose digest and size the sender
// knows up front (the node's upload RPC). Its bytes accumulate in
// uploads/<hex>.partial, which survives a restart; BeginUpload with the same
// digest resumes it. Commit verifies the whole file and stores it like
// Import. Methods are safe for concurrent use but chunks must come in order.
type Upload struct {
	s    *Store
	want Digest
	size int64 // declared bytes, reserved against the quota until Commit/Abort
	path string

	mu     sync.Mutex // guards offset, done, active
	offset int64      // bytes stored so far
	done   bool       // committed or aborted
	// active is when the upload was last begun, resumed or written to;
	// one idle for Config.UploadMaxAge is aborted (expireUploads).
	active time.Time
}

// uploadsState tracks open uploads so two senders of one digest share one.
type uploadsState struct {
	mu   sync.Mutex // guards open
	open map[Digest]*Upload
}

// BeginUpload starts or resumes the upload of blob want of size bytes. The
// declared size is checked against MaxModelBytes, the quota and the disk's
// free space before anything is written.
func (s *Store) BeginUpload(_ context.Context, want Digest, size int64) (*Upload, error) {
	if want.IsZero() || size <= 0 {
		return nil, fmt.Errorf("%w: upload needs a digest and a positive size", ErrInvalidMeta)
	}
	if size > s.cfg.MaxModelBytes {
		return nil, fmt.Errorf("%w: declared %d bytes, limit is %d", ErrTooLarge, size, s.cfg.MaxModelBytes)
	}
	s.expireUploads()
	s.uploads.mu.Lock()
	for {
		u, ok := s.uploads.open[want]
		if !ok {
			break
		}
		s.uploads.mu.Unlock()
		// Not under uploads.mu: finish takes it under u.mu. An upload that
		// finished in between has left the map; look again.
		if u.touch() {
			return u, nil
		}
		s.uploads.mu.Lock()
	}
	defer s.uploads.mu.Unlock()
	u, err := s.openUpload(want, size)
	if err != nil {
		return nil, err
	}
	s.uploads.open[want] = u
	return u, nil
}

func (s *Store) openUpload(want Digest, size int64) (*Upload, error) {
	path := filepath.Join(s.cfg.Dir, dirUploads, want.Hex()+".partial")
	var offset int64
	if fi, err := os.Stat(path); err == nil {
		offset = fi.Size()
	}
	if offset > size {
		_ = os.Remove(path)
		offset = 0
	}
	if err := s.space.take(size, true); err != nil {
		return nil, fmt.Errorf("store: upload %s: %w", want, err)
	}
	return &Upload{s: s, want: want, size: size, path: path, offset: offset, active: s.deps.Now()}, nil
}

// touch marks the upload active now; it reports false if the upload is
// already finished.
func (u *Upload) touch() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.active = u.s.deps.Now()
	return !u.done
}

// Done reports whether the upload is finished: committed, aborted, or
// expired after UploadMaxAge idle. A finished upload takes no more bytes;
// BeginUpload starts a new one.
func (u *Upload) Done() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.done
}

// expireUploads aborts the uploads idle for longer than UploadMaxAge, so
// that an abandoned push does not hold its quota reservation (and its
// partial file) for ever; start-up reconciliation removes those of earlier
// runs. It reports how many it aborted.
func (s *Store) expireUploads() int {
	s.uploads.mu.Lock()
	open := make([]*Upload, 0, len(s.uploads.open))
	for _, u := range s.uploads.open {
		open = append(open, u)
	}
	s.uploads.mu.Unlock()
	cutoff := s.deps.Now().Add(-s.cfg.UploadMaxAge)
	n := 0
	for _, u := range open {
		if !u.mu.TryLock() {
			continue // being written or committed: not idle
		}
		if !u.done && u.active.Before(cutoff) {
			u.finish(false)
			n++
			s.log.Info("store: abandoned upload expired", zap.String("digest", u.want.String()),
				zap.Int64("offset", u.offset), zap.Int64("size", u.size))
		}
		u.mu.Unlock()
	}
	return n
}

// Offset is how many bytes are stored; a resumed sender continues there.
func (u *Upload) Offset() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.offset
}

// Write appends the bytes of r, which start at offset in the blob. It
// returns the new offset; after an error the sender resumes from Offset.
func (u *Upload) Write(ctx context.Context, r io.Reader, offset int64) (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return u.offset, fmt.Errorf("%w: upload %s is finished", ErrClosed, u.want)
	}
	if offset != u.offset {
		return u.offset, fmt.Errorf("%w: chunk starts at %d, stored part ends at %d", ErrOffsetMismatch, offset, u.offset)
	}
	if _, err := freeAfter(u.s.cfg.Dir, 0, u.s.cfg.ReserveBytes); err != nil {
		return u.offset, err
	}
	f, err := os.OpenFile(u.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return u.offset, fmt.Errorf("store: upload: %w", err)
	}
	n, err := io.Copy(&faultWriter{ctx: ctx, w: f, faults: u.s.deps.Faults}, io.LimitReader(r, u.size-u.offset+1))
	u.offset += n
	u.active = u.s.deps.Now()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && u.offset > u.size {
		err = fmt.Errorf("%w: more than the declared %d bytes", ErrSizeMismatch, u.size)
		u.offset = u.truncate()
	}
	return u.offset, err
}

// truncate cuts the file back to the declared size after an overrun.
func (u *Upload) truncate() int64 {
	if err := os.Truncate(u.path, u.size); err != nil {
		return u.offset
	}
	return u.size
}

// Commit verifies the uploaded bytes (size, digest, ONNX plausibility),
// makes them a durable blob and commits meta's record (meta.Digest and
// SizeBytes are the upload's), after meta.Check, if set, accepted it. A
// mismatch discards the upload; a refusal by Check leaves nothing behind.
func (u *Upload) Commit(ctx context.Context, meta ModelMeta) (Record, error) {
	if err := meta.validate(); err != nil {
		return Record{}, err
	}
	if err := u.place(ctx); err != nil {
		return Record{}, err
	}
	return u.s.admit(ctx, meta, u.want, u.size)
}

// place verifies the uploaded bytes and makes them a blob, held for the
// commit. The upload is finished either way.
func (u *Upload) place(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return fmt.Errorf("%w: upload %s is finished", ErrClosed, u.want)
	}
	if u.offset != u.size {
		return fmt.Errorf("%w: %d of %d bytes uploaded", ErrSizeMismatch, u.offset, u.size)
	}
	err := u.verify(ctx)
	if err == nil {
		err = u.s.placeHeld(u.path, u.want, u.size)
	}
	u.finish(err == nil)
	u.s.counters.count(err, u.size)
	if err != nil {
		return fmt.Errorf("store: upload %s: %w", u.want, err)
	}
	return nil
}

// verify re-reads the uploaded file: digest, ONNX plausibility, fsync.
func (u *Upload) verify(ctx context.Context) error {
	f, err := os.Open(u.path)
	if err != nil {
		return err
	}
	defer f.Close()
	h, check := sha256.New(), &onnxCheck{}
	if _, err := io.Copy(io.MultiWriter(h, check), ctxReader{ctx, f}); err != nil {
		return err
	}
	var got Digest
	h.Sum(got[:0])
	if got != u.want {
		return &DigestMismatchError{Want: u.want, Got: got}
	}
	if err := check.Err(); err != nil {
		return err
	}
	if err := u.s.deps.Faults.at(StepSync); err != nil {
		return err
	}
	return f.Sync()
}

// finish releases the reservation (place accounted for a new blob's
// bytes), forgets the upload and, unless its bytes became a blob, removes
// the file.
func (u *Upload) finish(placed bool) {
	u.done = true
	if !placed {
		_ = os.Remove(u.path)
	}
	u.s.space.settle(u.size, 0)
	u.s.uploads.mu.Lock()
	delete(u.s.uploads.open, u.want)
	u.s.uploads.mu.Unlock()
}

// Abort discards the upload and its bytes.
func (u *Upload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.done {
		u.finish(false)
	}
	return nil
}

// faultWriter gives uploads the same fault hook and cancellation as imports.
type faultWriter struct {
	ctx    context.Context
	w      io.Writer
	faults FaultFunc
}

func (f *faultWriter) Write(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	if err := f.faults.at(StepWrite); err != nil {
		return 0, err
	}
	return f.w.Write(p)
}

// freeAfter checks that writing n more bytes leaves reserve bytes free.
func freeAfter(dir string, n, reserve int64) (int64, error) {
	free, err := freeBytes(dir)
	if err != nil {
		return 0, err
	}
	if free-n < reserve {
		return free, fmt.Errorf("%w: %d bytes free, reserve is %d", ErrDiskFull, free, reserve)
	}
	return free, nil
}
