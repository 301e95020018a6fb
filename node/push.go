package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/edgeserve/edgeserve/store"
)

// pushes tracks the store uploads that pushes have begun, so that an
// interrupted push resumes where it stopped and PushOffset can say where.
// The bytes live in the store's upload area (store.Upload), which checks
// the declared size against the model size limit, the quota and the free
// space before anything is written; a push becomes a catalog entry only
// through Upload.Commit, which verifies the digest, so a wrong or tampered
// file is never served. After a node restart the store still holds the
// partial bytes but the node has forgotten them: PushOffset reports 0 and
// a push from offset 0 starts over.
type pushes struct {
	st uploadStore

	mu     sync.Mutex // guards active
	active map[store.Digest]*pushing
}

// pushing is one begun upload; busy while a stream is writing to it.
type pushing struct {
	u    *store.Upload
	size int64
	busy bool
}

// uploadStore is what pushes use of the store.
type uploadStore interface {
	BeginUpload(ctx context.Context, want store.Digest, size int64) (*store.Upload, error)
}

// pushHeader is what a push declares before its bytes.
type pushHeader struct {
	Meta   store.ModelMeta
	Offset int64
}

func newPushes(st uploadStore) *pushes {
	return &pushes{st: st, active: map[store.Digest]*pushing{}}
}

// offset returns how many bytes of the blob with this digest are held.
func (p *pushes) offset(sha string) (int64, error) {
	d, err := store.ParseDigest(sha)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	p.mu.Lock()
	a := p.active[d]
	p.mu.Unlock()
	if a == nil || a.u.Done() { // none, or the store expired it
		return 0, nil
	}
	return a.u.Offset(), nil
}

// begin claims the digest for one push and returns its upload, positioned
// at h.Offset, which must equal the bytes already held (0 restarts). done
// releases the claim and forgets the upload once it is finished.
func (p *pushes) begin(ctx context.Context, h pushHeader) (*store.Upload, func(finished bool), error) {
	d, size := h.Meta.Digest, h.Meta.SizeBytes
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.active[d]
	if a != nil && a.busy {
		return nil, nil, fmt.Errorf("%w: a push of %s is in progress", ErrBusy, d)
	}
	if a != nil && (h.Offset == 0 || a.size != size || a.u.Done()) {
		// A restart, a different declared size, or an upload the store
		// expired while idle: start over.
		_ = a.u.Abort()
		delete(p.active, d)
		a = nil
	}
	if a == nil {
		u, err := p.st.BeginUpload(ctx, d, size)
		if err != nil {
			return nil, nil, err
		}
		if h.Offset == 0 && u.Offset() != 0 { // bytes left from before a restart
			_ = u.Abort()
			if u, err = p.st.BeginUpload(ctx, d, size); err != nil {
				return nil, nil, err
			}
		}
		a = &pushing{u: u, size: size}
		p.active[d] = a
	}
	if held := a.u.Offset(); h.Offset != held {
		return nil, nil, fmt.Errorf("%w: resume at %d, the node holds %d bytes", ErrResumeOffset, h.Offset, held)
	}
	a.busy = true
	return a.u, func(finished bool) { p.release(d, a, finished) }, nil
}

func (p *pushes) release(d store.Digest, a *pushing, finished bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a.busy = false
	if finished && p.active[d] == a {
		delete(p.active, d)
	}
}

// write appends the push's chunks to u, one store write per chunk, so the
// free space is checked as the file grows and PushOffset sees progress. A
// push carrying more than its declared size discards the upload; any other
// failure keeps the bytes for a resume.
func write(ctx context.Context, u *store.Upload, next func() ([]byte, error), h pushHeader) error {
	held, size := h.Offset, h.Meta.SizeBytes
	for {
		chunk, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("node: push: %w (resume at %d)", err, held)
		}
		if held+int64(len(chunk)) > size {
			_ = u.Abort()
			return fmt.Errorf("%w: push carries more than the declared %d bytes", ErrBadRequest, size)
		}
		if len(chunk) == 0 {
			continue
		}
		if held, err = u.Write(ctx, bytes.NewReader(chunk), held); err != nil {
			return fmt.Errorf("node: push: %w (resume at %d)", err, held)
		}
	}
	if held != size {
		return fmt.Errorf("%w: push ended at %d of %d bytes; resume at %d", ErrResumeOffset, held, size, held)
	}
	return nil
}
