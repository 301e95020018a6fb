package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
)

// Model states as the repository extension reports them.
const (
	stateReady       = "READY"
	stateUnavailable = "UNAVAILABLE"
)

// ready says whether the node takes inference requests.
func (n *Node) ready() bool { return !n.draining.Load() }

// modelReady says whether the model version is loaded here.
func (n *Node) modelReady(ctx context.Context, name, version string) (bool, error) {
	rec, err := n.resolve(ctx, name, version)
	if err != nil {
		return false, err
	}
	return n.cache.Resident(rec.Ref()), nil
}

// modelMeta is ModelMetadata's answer.
type modelMeta struct {
	Name      string
	Versions  []string
	Platform  string
	Signature runtime.Signature
}

// modelMetadata answers from the stored signature (n.signature); it never
// loads the model, so it counts no cache hit or miss.
func (n *Node) modelMetadata(ctx context.Context, name, version string) (modelMeta, error) {
	if strings.HasPrefix(name, taskPrefix) {
		return n.taskMetadata(ctx, name, version)
	}
	rec, err := n.resolve(ctx, name, version)
	if err != nil {
		return modelMeta{}, err
	}
	md := modelMeta{Name: rec.Name, Platform: rec.Platform}
	if md.Platform == "" {
		md.Platform = "onnxruntime_onnx"
	}
	if md.Versions, err = n.versions(ctx, name); err != nil {
		return modelMeta{}, err
	}
	md.Signature, err = n.signature(ctx, rec)
	return md, err
}

// versions lists a model's versions, oldest first.
func (n *Node) versions(ctx context.Context, name string) ([]string, error) {
	recs, err := n.records(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = versionString(r)
	}
	return out, nil
}

// records returns the catalog's records of name, or of every model.
func (n *Node) records(ctx context.Context, name string) ([]store.Record, error) {
	all, err := n.store.List(ctx)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return all, nil
	}
	var out []store.Record
	for _, r := range all {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out, nil
}

// indexEntry is one model version in the repository index.
type indexEntry struct {
	Name, Version, State string
	Record               store.Record
	Loaded               bool
	// Origin is the node that stores a model listed by the cluster's
	// catalog only; "" for a model stored here.
	Origin string
}

// index lists every model version and whether it is loaded here.
func (n *Node) index(ctx context.Context, readyOnly bool) ([]indexEntry, error) {
	recs, err := n.records(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []indexEntry
	for _, r := range recs {
		e := indexEntry{Name: r.Name, Version: versionString(r), State: stateUnavailable, Record: r}
		if e.Loaded = n.cache.Resident(r.Ref()); e.Loaded {
			e.State = stateReady
		}
		if !readyOnly || e.Loaded {
			out = append(out, e)
		}
	}
	if !readyOnly {
		out = append(out, n.remoteIndex(recs)...)
	}
	return out, nil
}

// load loads a model version and pins it until unload: an operator's
// explicit load keeps the model resident, as in Triton.
func (n *Node) load(ctx context.Context, name, version string) (time.Duration, error) {
	rec, err := n.resolve(ctx, name, version)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := n.cache.Pin(ctx, rec.Ref(), n.sizeHint(rec)); err != nil {
		return 0, fmt.Errorf("node: load %s: %w", rec.Ref(), err)
	}
	return time.Since(start), nil
}

// unload unpins and unloads a model version, or every version when
// version is "" (the cache's Unload does both). Running requests finish
// first.
func (n *Node) unload(ctx context.Context, name, version string) error {
	recs, err := n.matching(ctx, name, version)
	if err != nil {
		return err
	}
	for _, r := range recs {
		n.cache.Unload(r.Ref())
	}
	return nil
}

// matching resolves one version, or all versions of name when version is
// "", failing with store.ErrNotFound when there are none.
func (n *Node) matching(ctx context.Context, name, version string) ([]store.Record, error) {
	if version != "" {
		rec, err := n.resolve(ctx, name, version)
		return []store.Record{rec}, err
	}
	if name == "" {
		return nil, fmt.Errorf("%w: model name is empty", ErrBadRequest)
	}
	recs, err := n.records(ctx, name)
	if err == nil && len(recs) == 0 {
		err = fmt.Errorf("node: model %s: %w", clip(name), store.ErrNotFound)
	}
	return recs, err
}

// remove unloads and deletes a model version, or every version, and
// frees the disk they alone used.
func (n *Node) remove(ctx context.Context, name, version string) error {
	recs, err := n.matching(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) && n.forgetElsewhere(name, version) {
		return nil // stored elsewhere only: the tombstone reaches the nodes that store it
	}
	if err != nil {
		return err
	}
	for _, r := range recs {
		n.cache.Unload(r.Ref())
		if _, err := n.store.Delete(ctx, r.Name, r.Version); errors.Is(err, store.ErrNotFound) && n.cluster != nil {
			n.forget(r) // listed by the catalog, stored elsewhere: the tombstone reaches its holders
			continue
		} else if err != nil {
			return fmt.Errorf("node: delete %s: %w", r.Ref(), err)
		}
		n.forget(r)
		n.sigs.forget(r.Ref())
	}
	n.collect(ctx) // the deleted versions' blobs and prepared forms
	return nil
}
