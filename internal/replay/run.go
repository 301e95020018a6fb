package replay

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/runtime"
)

// Run replays reqs (times non-decreasing) and reports what the clients
// saw. Before the first request it reads every model's signature; an
// unknown model is an error and nothing is sent. When ctx ends (a
// timeout, an interrupt) no further request is sent, those in flight are
// abandoned (Unfinished), and the report says so in Stopped.
func (s *Session) Run(ctx context.Context, reqs []Request) (*Report, error) {
	inputs, err := s.inputs(ctx, Models(reqs))
	if err != nil {
		return nil, err
	}
	col := newCollector(s.cfg.Nodes, len(reqs), s.deps.Progress)
	start := time.Now()
	var wg sync.WaitGroup
	stopped := s.dispatch(ctx, reqs, start, func(r Request, first int, lag time.Duration, release func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer release()
			o := s.send(ctx, r, first, inputs[r.Model])
			o.lag = lag
			col.add(o)
		}()
	})
	wg.Wait()
	rep := col.report(time.Since(start))
	if stopped != nil {
		rep.Stopped = stopped.Error()
	}
	return rep, nil
}

// launcher starts sending one request without waiting for it, and calls
// release when the request has ended.
type launcher func(r Request, first int, lag time.Duration, release func())

// dispatch launches each request when it is due, to the node targets
// picks, waiting while Concurrency are in flight. It returns why ctx
// ended (context.Cause) when it ended before every request was launched.
func (s *Session) dispatch(ctx context.Context, reqs []Request, start time.Time, launch launcher) error {
	slots := make(chan struct{}, s.cfg.Concurrency)
	release := func() { <-slots }
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, r := range reqs {
		due := start.Add(s.cfg.due(r.At))
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if ctx.Err() != nil { // both were ready: stop
			release()
			return context.Cause(ctx)
		}
		launch(r, s.targets.pick(r.Site), max(0, time.Since(due)), release)
	}
	return nil
}

// send tries r at first and then, while attempts fail in a way another
// node might not, at the next candidates, up to Retries more.
func (s *Session) send(ctx context.Context, r Request, first int, in []runtime.Tensor) outcome {
	cands := s.targets.candidates(r.Site, first)
	cands = cands[:min(len(cands), 1+s.cfg.Retries)]
	var o outcome
	begin := time.Now()
	for _, k := range cands {
		o.tried = append(o.tried, k)
		resp, err := s.attempt(ctx, k, r.Model, in)
		if err == nil {
			o.ok, o.latency = true, time.Since(begin)
			o.route, _ = resp.Parameters["edgeserve_route"].(string)
			o.servedBy, _ = resp.Parameters["edgeserve_served_by"].(string)
			return o
		}
		if ctx.Err() != nil {
			o.cut = true
			return o
		}
		o.code, o.err = status.Code(err), err
		if !retryable(o.code) {
			break
		}
	}
	return o
}

// attempt sends one request to node k, bounded by RequestTimeout.
func (s *Session) attempt(ctx context.Context, k int, model string, in []runtime.Tensor) (*client.InferResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.nodes[k].Infer(ctx, client.InferRequest{Model: model, Inputs: in})
}

// retryable says whether another node might answer where one failed
// with code: not when the request itself is at fault.
func retryable(code codes.Code) bool {
	switch code {
	case codes.InvalidArgument, codes.OutOfRange, codes.Unimplemented, codes.Unauthenticated, codes.PermissionDenied:
		return false
	}
	return true
}
