package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
)

// keyedLoader is a loader that keeps a prepared, fast-loading form of each
// model (ort.Loader); ArtifactKey names what the form depends on besides
// the model (runtime version, CPU).
type keyedLoader interface {
	ArtifactKey() string
}

// checkLoad is the store's commit check (store.ModelMeta.Check) for a
// pushed model: before the push is acknowledged, and before the model has
// a record, the runtime loads it once from its blob (tryLoad), preparing
// its fast-loading form into the store's artifact folder, and the form is
// recorded as an artifact of the blob. A model the runtime cannot load is
// refused with ErrModelRefused and the runtime's reason; the store then
// keeps nothing of it. Other failures (the client leaving, a missing
// execution provider) fail the push with their own error, also keeping
// nothing. The load runs outside the cache and its memory budget, once.
func (n *Node) checkLoad(name string) func(context.Context, store.Digest, string) error {
	return func(ctx context.Context, d store.Digest, path string) error {
		ctx, cancel := context.WithTimeout(ctx, n.cfg.Cache.LoadTimeout)
		defer cancel()
		src, err := n.source(name, d, path)
		if err != nil {
			return err
		}
		prepared, err := n.tryLoad(ctx, src)
		if err != nil {
			return refusal(err)
		}
		kl, keyed := n.loader.(keyedLoader)
		if !prepared || !keyed {
			return nil
		}
		key := kl.ArtifactKey()
		return n.store.PutArtifact(ctx, store.Artifact{Digest: d, RuntimeKey: key, Paths: []string{src.PreparedDir}, CreatedAt: time.Now()})
	}
}

// preparer is a loader that can prepare a model's fast-loading form
// without loading it for serving (ort.Loader).
type preparer interface {
	PrepareSource(ctx context.Context, src runtime.Source) (string, error)
}

// tryLoad has the runtime load src once and reports whether its prepared
// form now exists. A preparer only prepares it: that creates an ONNX
// Runtime session of the model, the load's check, at half a load's cost.
// A form that cannot be prepared for a reason other than the model (the
// loader then loads the original) is checked by a load, as other loaders'
// models are.
func (n *Node) tryLoad(ctx context.Context, src runtime.Source) (bool, error) {
	if p, ok := n.loader.(preparer); ok && src.PreparedDir != "" {
		_, err := p.PrepareSource(ctx, src)
		if err == nil || errors.Is(err, runtime.ErrInvalidModel) || ctx.Err() != nil {
			return err == nil, err
		}
	}
	m, err := n.loader.Load(ctx, src)
	if err != nil {
		return false, err
	}
	return m.Profile().Prepared, m.Close()
}

// source describes blob d at path for the loader, with the store's
// artifact folder as the place of its prepared form when the loader keeps
// one: the store removes that folder with the blob.
func (n *Node) source(name string, d store.Digest, path string) (runtime.Source, error) {
	src := runtime.Source{Name: name, Path: path, Digest: d.String()}
	kl, ok := n.loader.(keyedLoader)
	if !ok {
		return src, nil
	}
	dir, err := n.store.ArtifactDir(d, kl.ArtifactKey())
	if err != nil {
		return src, err
	}
	src.PreparedDir = dir
	return src, nil
}

// refusal turns a load failure at push into the push's error: a model the
// runtime cannot load wraps ErrModelRefused, others pass unchanged. (The
// node's file paths leave the message in grpcError.)
func refusal(err error) error {
	if !errors.Is(err, runtime.ErrInvalidModel) && !errors.Is(err, runtime.ErrInvalidInput) {
		return err
	}
	return fmt.Errorf("%w: the runtime cannot load it: %w", ErrModelRefused, err)
}
