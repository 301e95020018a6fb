package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
	"go.uber.org/zap"
)

// preparer is what the node uses of a runtime that keeps a prepared,
// fast-loading form of each model (ort.Loader).
type preparer interface {
	PrepareSource(ctx context.Context, src runtime.Source) (string, error)
	ArtifactKey() string
}

// prepareOnEntry prepares, in the background, the fast-loading form of a
// model that has just entered the store, and records it in the catalog as
// a derived artifact of the model's digest. A model's first miss then
// loads from the prepared form instead of paying for its preparation. A
// loader that prepares nothing (a test loader) makes this a no-op; a
// failure is logged and the first load prepares (or falls back) instead.
func (n *Node) prepareOnEntry(rec store.Record) {
	p, ok := n.loader.(preparer)
	if !ok {
		return
	}
	n.prep.Go(func() {
		ctx, cancel := context.WithTimeout(n.prepCtx, n.cfg.Cache.LoadTimeout)
		defer cancel()
		if err := n.prepare(ctx, p, rec); err != nil {
			n.log.Warn("preparing the fast-loading form failed", zap.String("model", rec.Ref()), zap.Error(err))
		}
	})
}

func (n *Node) prepare(ctx context.Context, p preparer, rec store.Record) error {
	if _, err := n.store.GetArtifact(ctx, rec.Digest, p.ArtifactKey()); err == nil {
		return nil
	}
	rec, path, err := n.store.ModelFile(ctx, rec.Name, strconv.FormatInt(rec.Version, 10))
	if err != nil {
		return err
	}
	prepared, err := p.PrepareSource(ctx, runtime.Source{Name: rec.Ref(), Path: path, Digest: rec.Digest.String()})
	if err != nil {
		return err
	}
	if err := n.store.PutArtifact(ctx, store.Artifact{
		Digest: rec.Digest, RuntimeKey: p.ArtifactKey(),
		Paths: []string{filepath.Dir(prepared)}, CreatedAt: time.Now(),
	}); err != nil {
		return err
	}
	// The model may have been deleted while it was being prepared.
	return n.forgetPrepared(ctx, rec.Digest)
}

// forgetPrepared removes the prepared forms of blob d once no model
// version refers to it: their folders (those inside the node's data
// directory, with the parents they leave empty) and their catalog records,
// which would otherwise keep the blob from the store's GC for ever. A push
// of the same bytes that commits between the check and the removal loses
// its prepared form; its first load prepares it again.
func (n *Node) forgetPrepared(ctx context.Context, d store.Digest) error {
	recs, err := n.store.List(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Digest == d {
			return nil
		}
	}
	arts, err := n.store.Artifacts(ctx, d)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range arts {
		for _, p := range a.Paths {
			if inside(n.cfg.DataDir, p) {
				errs = append(errs, os.RemoveAll(p))
				n.removeEmptyParents(p)
			}
		}
		// Another caller may have forgotten it first.
		if err := n.store.DeleteArtifact(ctx, a.Digest, a.RuntimeKey); !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeEmptyParents removes the folders above path that are left empty,
// up to (not including) the data directory's own subfolders.
func (n *Node) removeEmptyParents(path string) {
	root := filepath.Clean(n.cfg.DataDir)
	for dir := filepath.Dir(path); inside(root, dir) && filepath.Dir(dir) != root; dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty, or gone
			return
		}
	}
}

// inside reports whether path lies strictly inside dir.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
