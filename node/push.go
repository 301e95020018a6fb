package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/edgeserve/edgeserve/store"
)

// uploads stages pushed model files so that an interrupted push resumes
// where it stopped. A partial file is named by the sha256 the client
// declared; it becomes a catalog entry only through store.Import, which
// verifies the digest, so a wrong or tampered file is never served.
type uploads struct {
	dir string

	mu     sync.Mutex // guards active
	active map[string]bool
}

// pushHeader is what a push declares before its bytes.
type pushHeader struct {
	Meta   store.ModelMeta
	SHA256 string // lower-case hex
	Offset int64
}

func newUploads(dir string) (*uploads, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("node: uploads dir: %w", err)
	}
	return &uploads{dir: dir, active: map[string]bool{}}, nil
}

func (u *uploads) path(sha string) string { return filepath.Join(u.dir, sha+".part") }

// validSHA256 checks a declared digest's form.
func validSHA256(sha string) error {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != sha {
		return fmt.Errorf("%w: sha256 %q is not 64 lower-case hex digits", ErrBadRequest, sha)
	}
	return nil
}

// offset returns how many bytes of the file with this digest are held.
func (u *uploads) offset(sha string) (int64, error) {
	if err := validSHA256(sha); err != nil {
		return 0, err
	}
	fi, err := os.Stat(u.path(sha))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("node: upload %s: %w", sha, err)
	}
	return fi.Size(), nil
}

// begin claims the digest for one push and opens its partial file at
// h.Offset, which must equal the bytes already held (0 restarts).
func (u *uploads) begin(h pushHeader) (*os.File, func(), error) {
	u.mu.Lock()
	if u.active[h.SHA256] {
		u.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: a push of %s is in progress", ErrBusy, h.SHA256)
	}
	u.active[h.SHA256] = true
	u.mu.Unlock()
	done := func() { u.mu.Lock(); delete(u.active, h.SHA256); u.mu.Unlock() }
	f, err := u.open(h)
	if err != nil {
		done()
		return nil, nil, err
	}
	return f, done, nil
}

func (u *uploads) open(h pushHeader) (*os.File, error) {
	held, err := u.offset(h.SHA256)
	if err != nil {
		return nil, err
	}
	if h.Offset != 0 && h.Offset != held {
		return nil, fmt.Errorf("%w: resume at %d, the node holds %d bytes", ErrResumeOffset, h.Offset, held)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if h.Offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(u.path(h.SHA256), flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("node: upload %s: %w", h.SHA256, err)
	}
	return f, nil
}

// commit imports a complete partial file into the store and removes it.
// A file the store rejects as corrupt (wrong digest or size) is removed
// too, so the next push starts clean; other failures keep it for a retry.
func (u *uploads) commit(ctx context.Context, st modelStore, h pushHeader) (store.Record, error) {
	f, err := os.Open(u.path(h.SHA256))
	if err != nil {
		return store.Record{}, fmt.Errorf("node: upload %s: %w", h.SHA256, err)
	}
	defer f.Close()
	rec, err := st.Import(ctx, f, h.Meta)
	if err == nil || errors.Is(err, store.ErrDigestMismatch) || errors.Is(err, store.ErrSizeMismatch) || errors.Is(err, store.ErrNotONNX) {
		os.Remove(u.path(h.SHA256))
	}
	return rec, err
}

// receive appends chunks from next to f until it returns io.EOF, never
// beyond limit bytes in total.
func receive(f io.Writer, next func() ([]byte, error), held, limit int64) (int64, error) {
	for {
		chunk, err := next()
		if errors.Is(err, io.EOF) {
			return held, nil
		}
		if err != nil {
			return held, err
		}
		if held+int64(len(chunk)) > limit {
			return held, fmt.Errorf("%w: push carries more than the declared %d bytes", ErrBadRequest, limit)
		}
		if _, err := f.Write(chunk); err != nil {
			return held, fmt.Errorf("node: upload write: %w", err)
		}
		held += int64(len(chunk))
	}
}
