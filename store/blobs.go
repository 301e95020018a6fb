package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// blobs is the content-addressed file store under <dir>/blobs/sha256.
type blobs struct {
	dir        string // blobs/sha256
	tmpDir     string
	quarantine string
	space      *space
	faults     FaultFunc
	statfsStep int64

	mu sync.Mutex // serializes the rename step so two writers of one digest agree
}

// writeSpec says what a write must satisfy.
type writeSpec struct {
	want     Digest // zero: any
	declared int64  // bytes; 0: unknown
	maxBytes int64
	onnx     bool      // run the ONNX plausibility check
	progress io.Writer // receives every byte written; may be nil
}

func (b *blobs) path(d Digest) string { return filepath.Join(b.dir, d.Hex()) }

// has reports whether the blob is present and its size.
func (b *blobs) has(d Digest) (int64, bool) {
	fi, err := os.Stat(b.path(d))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// staged is a verified, fsynced temporary file that place makes blob d.
type staged struct {
	tmp  string
	d    Digest
	size int64 // bytes
}

// stage streams r into a temporary file, verifies it against ws and
// fsyncs it. On error no temporary file is left. The caller places or
// discards the result.
func (b *blobs) stage(ctx context.Context, r io.Reader, ws writeSpec) (staged, error) {
	if err := b.precheck(ws); err != nil {
		return staged{}, err
	}
	f, err := os.CreateTemp(b.tmpDir, "blob-*.partial")
	if err != nil {
		return staged{}, fmt.Errorf("store: create temp file: %w", err)
	}
	st := staged{tmp: f.Name()}
	st.d, st.size, err = b.fill(ctx, f, r, ws)
	if err == nil {
		err = syncClose(f, b.faults)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(st.tmp)
		return staged{size: st.size}, err
	}
	return st, nil
}

// discard removes a staged file that was not placed (a no-op once placed).
func (b *blobs) discard(st staged) { _ = os.Remove(st.tmp) }

// write stages r and places it as a blob.
func (b *blobs) write(ctx context.Context, r io.Reader, ws writeSpec) (Digest, int64, error) {
	st, err := b.stage(ctx, r, ws)
	if err != nil {
		return Digest{}, st.size, err
	}
	if err := b.place(st.tmp, st.d, st.size); err != nil {
		b.discard(st)
		return Digest{}, st.size, err
	}
	return st.d, st.size, nil
}

// precheck refuses a write whose declared size cannot fit, before any byte
// is written.
func (b *blobs) precheck(ws writeSpec) error {
	if ws.declared < 0 {
		return fmt.Errorf("%w: declared size %d is negative", ErrSizeMismatch, ws.declared)
	}
	if ws.declared > ws.maxBytes {
		return fmt.Errorf("%w: declared %d bytes, limit is %d", ErrTooLarge, ws.declared, ws.maxBytes)
	}
	if ws.declared > 0 {
		if err := b.space.take(ws.declared, true); err != nil {
			return err
		}
		b.space.settle(ws.declared, 0)
	}
	return nil
}

// fill copies r into f while hashing, checking space and plausibility, then
// checks digest and size. Space reserved while streaming is released here;
// commit accounts for the stored bytes.
func (b *blobs) fill(ctx context.Context, f *os.File, r io.Reader, ws writeSpec) (Digest, int64, error) {
	if err := b.faults.at(StepCreateTemp); err != nil {
		return Digest{}, 0, fmt.Errorf("store: create temp file: %w", err)
	}
	qw := &quotaWriter{ctx: ctx, f: f, space: b.space, faults: b.faults, statfsStep: b.statfsStep, max: ws.maxBytes}
	defer func() { b.space.settle(qw.reserved, 0) }()
	h := sha256.New()
	check := &onnxCheck{}
	side := []io.Writer{h}
	if ws.onnx {
		side = append(side, check)
	}
	if ws.progress != nil {
		side = append(side, ws.progress)
	}
	n, err := pipeCopy(qw, io.MultiWriter(side...), r)
	if err != nil {
		return Digest{}, n, fmt.Errorf("store: write blob: %w", err)
	}
	var d Digest
	h.Sum(d[:0])
	return d, n, verifyWritten(ws, d, n, check)
}

func verifyWritten(ws writeSpec, d Digest, n int64, check *onnxCheck) error {
	if ws.declared > 0 && n != ws.declared {
		return fmt.Errorf("%w: declared %d bytes, received %d", ErrSizeMismatch, ws.declared, n)
	}
	if !ws.want.IsZero() && d != ws.want {
		return &DigestMismatchError{Want: ws.want, Got: d}
	}
	if ws.onnx {
		return check.Err()
	}
	return nil
}

// syncClose makes the temporary file's bytes durable and closes it.
func syncClose(f *os.File, faults FaultFunc) error {
	if err := faults.at(StepSync); err != nil {
		return fmt.Errorf("store: fsync blob: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: fsync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: close blob: %w", err)
	}
	return nil
}

// place renames tmp into blobs/ unless an identical blob is already there
// (a concurrent writer of the same bytes won), and accounts for the bytes.
// An existing blob of the wrong size is damaged: it is quarantined and
// replaced by the verified bytes.
func (b *blobs) place(tmp string, d Digest, size int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.has(d); ok && old == size {
		return os.Remove(tmp)
	} else if ok {
		if err := b.moveToQuarantine(d, old); err != nil {
			return err
		}
	}
	if err := b.faults.at(StepRename); err != nil {
		return fmt.Errorf("store: rename blob: %w", err)
	}
	if err := os.Rename(tmp, b.path(d)); err != nil {
		return fmt.Errorf("store: rename blob: %w", err)
	}
	b.space.settle(0, size)
	if err := b.faults.at(StepSyncDir); err != nil {
		return fmt.Errorf("store: fsync blob directory: %w", err)
	}
	return syncDir(b.dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: open directory for fsync: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: fsync directory %s: %w", dir, err)
	}
	return nil
}

// verify re-hashes blob d, passing its bytes through check too when check
// is not nil (its verdict is returned for intact bytes); on mismatch it
// quarantines the file and returns an ErrCorrupt error.
func (b *blobs) verify(ctx context.Context, d Digest, check *onnxCheck) error {
	f, err := os.Open(b.path(d))
	if os.IsNotExist(err) {
		return fmt.Errorf("%w: blob %s", ErrNotFound, d)
	}
	if err != nil {
		return fmt.Errorf("store: open blob: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	var w io.Writer = h
	if check != nil {
		w = io.MultiWriter(h, check)
	}
	if _, err := io.Copy(w, ctxReader{ctx, f}); err != nil {
		return fmt.Errorf("store: read blob %s: %w", d, err)
	}
	var got Digest
	h.Sum(got[:0])
	if got == d && check != nil {
		return check.Err()
	}
	if got == d {
		return nil
	}
	return b.quarantineBlob(d, fmt.Sprintf("content hashes to %s", got))
}

// quarantineBlob moves blob d aside so it is never served again.
func (b *blobs) quarantineBlob(d Digest, why string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	size, _ := b.has(d)
	if err := b.moveToQuarantine(d, size); err != nil {
		return fmt.Errorf("%w (%s)", err, why)
	}
	return fmt.Errorf("%w: %s: %s; moved to %s", ErrCorrupt, d, why, b.quarantine)
}

// moveToQuarantine moves blob d of size bytes aside. b.mu must be held.
func (b *blobs) moveToQuarantine(d Digest, size int64) error {
	dst := filepath.Join(b.quarantine, d.Hex()+"."+strconv.FormatInt(time.Now().UnixNano(), 10))
	if err := os.Rename(b.path(d), dst); err != nil {
		return fmt.Errorf("store: quarantine blob %s: %w", d, err)
	}
	b.space.free(size)
	return syncDir(b.dir)
}

// remove deletes blob d (garbage collection).
func (b *blobs) remove(d Digest) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	size, ok := b.has(d)
	if !ok {
		return 0, nil
	}
	if err := os.Remove(b.path(d)); err != nil {
		return 0, fmt.Errorf("store: remove blob %s: %w", d, err)
	}
	b.space.free(size)
	return size, syncDir(b.dir)
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
