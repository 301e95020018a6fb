package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/placement/route"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
)

// inferCall is one inference request, whatever protocol carried it.
type inferCall struct {
	Model, Version string
	Inputs         []runtime.Tensor
	// Outputs names the outputs wanted; empty means all.
	Outputs []string
	// forward sends the request as received to a peer; nil where the
	// protocol cannot (the request then runs here). forwarded says a peer
	// sent it: it runs here, never forwarded again.
	forward   forwardFunc
	forwarded bool
}

// inferResult is what the protocol layers encode.
type inferResult struct {
	Record  store.Record
	Outputs []runtime.Tensor
	// Route is how the request was served (route.Hit, Load, ForwardHit,
	// ForwardLoad, or "fallback": here, after a forward failed), and
	// ServedBy the node that ran it; Forwarded is the peer's answer.
	Route     string
	ServedBy  string
	Forwarded *pb.ModelInferResponse
	// lease is the model loaded here while a forward was slow (route
	// "hedge"): the request runs on it.
	lease lease
}

// infer runs one request: resolve, validate the inputs against the stored
// signature (runtime.Signature.Bind, before any load, so a bad request
// loads and evicts nothing), acquire within the caller's deadline (the
// cache says whether it was a hit), validate against the loaded signature
// if none was known, run, release.
func (n *Node) infer(ctx context.Context, call inferCall) (res inferResult, err error) {
	start := time.Now()
	n.active.Add(1)
	defer n.active.Add(-1)
	rec, err := n.resolve(ctx, call.Model, call.Version)
	if err != nil {
		n.metrics.fail(unresolvedModel, err)
		return res, err
	}
	defer func() { n.observe(rec, start, call.forwarded, err) }()
	in, bound, err := n.bindInputs(ctx, rec, call.Inputs)
	if err != nil {
		return res, err
	}
	key := rec.Ref()
	how := ""
	var l lease
	if call.forward != nil && !call.forwarded && n.cluster != nil && !n.cfg.Cluster.LocalOnly && !n.cache.Resident(key) {
		r, done, err := n.route(ctx, rec, call)
		if done {
			return r, err
		}
		how, l = r.Route, r.lease
	}
	if l == nil {
		done := func() {}
		if how != "" { // a miss the router placed here: tell the peers at once
			done = n.requestLoad(key)
		}
		l, err = n.cache.Acquire(ctx, key, n.sizeHint(rec))
		done()
		if err != nil {
			return res, err
		}
	}
	defer l.Release()
	n.sigs.learn(key, l.Model().Signature())
	queued, hit := time.Since(start), l.Hit()
	n.metrics.acquired(rec.Name, hit, queued)
	n.stats.acquired(key, hit, queued)
	if !bound {
		if in, err = l.Model().Signature().Bind(call.Inputs); err != nil {
			return res, err
		}
	}
	outs, err := n.run(ctx, rec, l.Model(), in, call.Outputs)
	res = inferResult{Record: rec, Outputs: outs, Route: string(route.Load), ServedBy: n.name()}
	switch {
	case how == routeFallback || how == routeHedge:
		res.Route = how
	case hit:
		res.Route = string(route.Hit)
	}
	n.metrics.routed(res.Route)
	return res, err
}

// run runs the model on validated inputs, counting the compute time of
// runs that happened, and selects the outputs asked for.
func (n *Node) run(ctx context.Context, rec store.Record, m runtime.Model, in []runtime.Tensor, outputs []string) ([]runtime.Tensor, error) {
	start := time.Now()
	outs, err := m.Run(ctx, in)
	if err != nil {
		return nil, err
	}
	n.metrics.computed(rec.Name, time.Since(start))
	n.stats.computed(rec.Ref(), time.Since(start))
	return codec.SelectOutputs(outs, outputs)
}

// observe counts the request's outcome; forwarded: a peer forwarded it.
func (n *Node) observe(rec store.Record, start time.Time, forwarded bool, err error) {
	n.metrics.done(rec.Name, time.Since(start), err)
	n.stats.done(rec.Ref(), time.Since(start), forwarded, err)
}

// resolve finds a model version in the catalog; version "" is the latest.
func (n *Node) resolve(ctx context.Context, name, version string) (store.Record, error) {
	if n.draining.Load() {
		return store.Record{}, ErrDraining
	}
	if name == "" {
		return store.Record{}, fmt.Errorf("%w: model name is empty", ErrBadRequest)
	}
	if err := checkRef(name, version); err != nil {
		return store.Record{}, err
	}
	rec, err := n.store.Get(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		// Listed by the cluster's catalog, stored elsewhere: a load
		// fetches its bytes (loadFunc), unless the request is forwarded.
		if r := n.remoteRecord(name, version); r != nil {
			return fromCatalog(r), nil
		}
	}
	if err != nil {
		// The store's errors quote the name and version already.
		return store.Record{}, fmt.Errorf("node: resolve: %w", err)
	}
	return rec, nil
}

func (n *Node) sizeHint(rec store.Record) int64 {
	return int64(float64(rec.SizeBytes) * n.cfg.Cache.SizeHintFactor)
}
