package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/route"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
	"go.uber.org/zap"
	"google.golang.org/grpc/metadata"
)

// forwardFunc sends a request, as received, to the gRPC address of a peer.
type forwardFunc func(ctx context.Context, addr string) (*pb.ModelInferResponse, error)

// forwardedByKey marks a forwarded request (gRPC metadata): the peer that
// forwarded it. A request so marked is never forwarded again, and only
// a peer (peerAuth) may send it.
const forwardedByKey = "edgeserve-forwarded-by"

// routeFallback is a request run here after the forwards chosen failed,
// and routeHedge one run here because its model loaded here before a slow
// forward answered.
const (
	routeFallback = "fallback"
	routeHedge    = "hedge"
)

// unknownRTT stands in for a peer's RTT before its coordinate is known.
const unknownRTT = 100 * time.Millisecond

// fetchBytesPerSecond is the assumed peer link speed for fetch estimates.
const fetchBytesPerSecond = 100 << 20

// route decides where a request for a model not loaded here runs, by
// predicted latency (placement/route), and forwards it when a peer is
// cheaper. done says the request was answered (or the caller's deadline
// passed); otherwise it runs here, res.Route saying whether as the
// router's choice ("load") or after every forward failed ("fallback").
func (n *Node) route(ctx context.Context, rec store.Record, call inferCall) (res inferResult, done bool, err error) {
	key := rec.Ref()
	members := n.cluster.g.Members() // one view for the whole decision
	opts, local, copyHere := n.routeOptions(ctx, rec, members)
	if copyHere && len(opts) > 0 && opts[0].Kind != route.Load {
		n.copyBehind(rec)
	}
	addrs := make(map[string]string, len(members))
	for _, m := range members {
		addrs[m.Name] = m.Services.GRPCAddr
	}
	failed := false
	for _, o := range opts {
		if o.Kind == route.Load {
			break
		}
		var hedge time.Duration // a load here may race the forward
		if !local.NoRoom && !local.Declined && !n.hintedOnlyAt(key, o.Node) {
			hedge = n.cfg.Cluster.hedgeAfter(o.Cost)
		}
		resp, l, ferr := n.forwardHedged(ctx, rec, call, addrs[o.Node], hedge)
		if l != nil {
			n.log.Info("cluster: the model loaded here before a slow forward answered; served here", zap.String("model", key), zap.String("peer", o.Node))
			return inferResult{Route: routeHedge, lease: l}, false, nil
		}
		if ferr == nil {
			n.metrics.routed(string(o.Kind))
			return inferResult{Record: rec, Route: string(o.Kind), ServedBy: o.Node, Forwarded: resp}, true, nil
		}
		if ctx.Err() != nil {
			return res, true, ctx.Err()
		}
		failed = true
		n.metrics.routed("forward-failed")
		n.log.Warn("cluster: forward failed; trying the next option", zap.String("model", key), zap.String("peer", o.Node), zap.Error(ferr))
	}
	if failed {
		return inferResult{Route: routeFallback}, false, nil
	}
	return inferResult{Route: string(route.Load)}, false, nil
}

// routeOptions ranks the places a request for rec, not loaded here, could
// run, cheapest first (placement/route), from one view of the members,
// with what a load here would cost; copyHere says the demand here is
// worth a copy loaded behind a forward (route.WorthACopy).
func (n *Node) routeOptions(ctx context.Context, rec store.Record, members []gossip.Member) (opts []route.Option, local route.Local, copyHere bool) {
	facts, _ := n.cache.Facts(rec.Ref())
	load := n.loadTime(rec, facts)
	local = n.localCost(ctx, rec, facts, load, members)
	peers := n.peerCosts(rec, load, members)
	if facts.Loading { // its load is under way here: what is left of it, as for a peer's
		local = route.Local{LoadTime: load / 2, Run: local.Run}
	} else if !local.NoRoom {
		local.Declined, copyHere = n.weigh(rec, facts, local, peers, members)
	}
	return route.Choose(local, peers), local, copyHere
}

// copyBehind loads rec here in the background while its request goes to
// a peer: the node's demand for it pays a copy (route.WorthACopy), and no
// request waits for the load. It is gossiped as loading, as a request's
// load is, so that peers forward to it rather than load their own. It
// evicts under copyRule, and gives up when that cannot make the room.
// Nothing starts while the node
// drains, nor while a load of the model is under way here (a burst of
// misses starts one copy, not one goroutine each).
func (n *Node) copyBehind(rec store.Record) {
	if n.draining.Load() || n.bgCtx.Err() != nil {
		return
	}
	key := rec.Ref()
	done, first := n.beginLoad(key, true)
	if !first {
		return
	}
	n.bg.Go(func() {
		defer done()
		ctx, cancel := context.WithTimeout(n.bgCtx, n.cfg.Server.RequestTimeout)
		defer cancel()
		rule := n.copyRule()
		rule.SizeHintBytes = n.sizeHint(rec)
		err := n.cache.Preload(ctx, key, rule)
		switch {
		case errors.Is(err, cache.ErrDeclined):
			n.log.Debug("cluster: no cold model to take the place of a copy behind a forward", zap.String("model", key))
			return
		case err != nil:
			n.log.Info("cluster: a copy behind a forward did not load", zap.String("model", key), zap.Error(err))
			return
		}
		n.metrics.copiedBehind()
	})
}

// copyRule is what a copy behind a forward may evict: a model not hinted
// and idle for minPreloadIdle that another node holds (its requests here
// become forwards, which route.WorthACopy weighed), or the cluster's last
// copy only once it has gone unused for the preload limit, as a hint's
// preload (preloadRule): evicting the last copy of a model in use turns
// its next request anywhere into a wait for a load.
func (n *Node) copyRule() cache.AcquireOptions {
	return cache.AcquireOptions{EvictIdleFor: minPreloadIdle, EvictSoleIdleFor: n.preloadIdle, HeldElsewhere: n.heldElsewhere()}
}

// forwardHedged forwards the request to addr. With hedge > 0, a forward
// that has not answered after hedge starts loading the model here; if the
// load completes first, the forward is cancelled and the lease on the
// loaded model returned (the request then runs here). A load that loses
// the race completes in the background and leaves the model cached.
func (n *Node) forwardHedged(ctx context.Context, rec store.Record, call inferCall, addr string, hedge time.Duration) (*pb.ModelInferResponse, lease, error) {
	if hedge <= 0 {
		resp, err := call.forward(ctx, addr)
		return resp, nil, err
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		resp *pb.ModelInferResponse
		err  error
	}
	fwd := make(chan answer, 1)
	go func() {
		resp, err := call.forward(fctx, addr)
		fwd <- answer{resp, err}
	}()
	timer := time.NewTimer(hedge)
	defer timer.Stop()
	select {
	case a := <-fwd:
		return a.resp, nil, a.err
	case <-timer.C:
	}
	type loaded struct {
		l   lease
		err error
	}
	local := make(chan loaded, 1)
	go func() {
		l, err := n.cache.Acquire(ctx, rec.Ref(), n.sizeHint(rec))
		local <- loaded{l, err}
	}()
	select {
	case a := <-fwd:
		go func() { // the load finishes for later requests
			if r := <-local; r.err == nil {
				r.l.Release()
			}
		}()
		return a.resp, nil, a.err
	case r := <-local:
		if r.err == nil {
			return nil, r.l, nil
		}
		a := <-fwd // the load failed: the forward is all there is
		return a.resp, nil, a.err
	}
}

// localCost is what loading rec here would cost (load: its load time).
func (n *Node) localCost(ctx context.Context, rec store.Record, facts cache.Facts, load time.Duration, members []gossip.Member) route.Local {
	key := rec.Ref()
	l := route.Local{LoadTime: load, Run: n.runTime(rec)}
	if _, err := n.store.Get(ctx, rec.Name, versionString(rec)); err != nil {
		rtt, _ := nearestRTT(members, func(m gossip.Member) bool { return m.Has(key) || m.Stores(key) })
		l.FetchTime = route.EstimateFetch(rec.SizeBytes, min(rtt, unknownRTT), fetchBytesPerSecond)
	}
	l.NoRoom = n.need(rec, facts) > n.cfg.Cache.MemoryBudgetBytes
	return l
}

// need is the memory rec takes here: measured, or its size hint.
func (n *Node) need(rec store.Record, facts cache.Facts) int64 {
	if facts.MeasuredBytes > 0 {
		return facts.MeasuredBytes
	}
	return n.sizeHint(rec)
}

// weigh reports whether a load of rec here is declined, not worth its
// room while a peer can serve the request (route.Local.Declined): it would
// evict a model that served a request within route.DefaultHotWindow, and
// rec's demand here does not yet pay for the load and for that model's
// misses (route.WorthEvicting); and whether that demand pays for a copy
// loaded behind a forward, the load's own cost included
// (route.WorthACopy). The demand is the request rate the node gossips
// (each request counts where it arrived, forwarded or not), and what a
// request saves served here is the cheapest peer's cost over the run
// here; a victim's requests would cost a forward to its nearest live
// holder, or its load when none holds it.
func (n *Node) weigh(rec store.Record, facts cache.Facts, local route.Local, peers []route.Peer, members []gossip.Member) (declined, copyHere bool) {
	best := time.Duration(-1)
	for _, o := range route.Choose(route.Local{NoRoom: true}, peers) {
		best = o.Cost // the cheapest peer: options come cheapest first
		break
	}
	if best < 0 {
		return false, false // no peer could serve it: the load is all there is
	}
	d := route.Demand{Rate: n.rateHere(rec.Ref()), Saved: max(best-local.Run, 0), Load: local.Queue + local.FetchTime + local.LoadTime}
	mem := n.cache.Memory()
	now := time.Now()
	need, free := n.need(rec, facts), mem.BudgetBytes-mem.ChargedBytes
	var victims []route.Victim
	for _, m := range mem.Models {
		if m.State != "loaded" || m.Pinned {
			continue
		}
		v := route.Victim{Bytes: m.ChargedBytes, Idle: now.Sub(m.LastUse)}
		if v.Idle < route.DefaultHotWindow { // only a hot victim's demand counts
			v.Rate, v.MissCost = n.rateHere(m.Model), n.missCost(m.Model, m.ChargedBytes, members)
		}
		victims = append(victims, v)
	}
	w := route.DefaultHotWindow
	return !route.WorthEvicting(need, free, d, w, slices.Values(victims)), route.WorthACopy(need, free, d, w, slices.Values(victims))
}

// missCost is what a request for model would cost once it is evicted
// here: a forward to its nearest live holder, else its load.
func (n *Node) missCost(model string, bytes int64, members []gossip.Member) time.Duration {
	if rtt, ok := nearestRTT(members, func(m gossip.Member) bool { return m.Has(model) }); ok {
		return rtt
	}
	if f, _ := n.cache.Facts(model); f.LoadTime > 0 {
		return f.LoadTime
	}
	return n.loadSpeed.Estimate(bytes)
}

// loadTime is what loading rec here takes: its last load here, else the
// estimate from its file size scaled to the loads measured here
// (route.LoadSpeed).
func (n *Node) loadTime(rec store.Record, facts cache.Facts) time.Duration {
	if facts.LoadTime > 0 {
		return facts.LoadTime
	}
	return n.loadSpeed.Estimate(rec.SizeBytes)
}

// nearestRTT is the predicted RTT to the nearest live peer among members
// (unordered) for which holds is true, a peer whose RTT is not
// known yet counting unknownRTT; false when none does.
func nearestRTT(members []gossip.Member, holds func(gossip.Member) bool) (time.Duration, bool) {
	best, found := time.Duration(0), false
	for _, m := range members {
		if m.Self || m.Health != gossip.Alive || !holds(m) {
			continue
		}
		rtt := unknownRTT
		if m.RTTKnown {
			rtt = m.RTT
		}
		if !found || rtt < best {
			best, found = rtt, true
		}
	}
	if !found {
		return unknownRTT, false
	}
	return best, true
}

// peerCosts describes the live peers for the router (load: the model's
// load time, assumed alike there).
func (n *Node) peerCosts(rec store.Record, load time.Duration, members []gossip.Member) []route.Peer {
	key := rec.Ref()
	run := n.runTime(rec)
	_, origin, _, _ := n.cluster.g.Model(rec.Name, rec.Version)
	fetch := route.EstimateFetch(rec.SizeBytes, unknownRTT/2, fetchBytesPerSecond)
	var out []route.Peer
	for _, m := range members {
		if m.Self || m.Health != gossip.Alive || m.State == nil || m.Services.GRPCAddr == "" {
			continue
		}
		p := route.Peer{Name: m.Name, RTT: unknownRTT, Loaded: m.Has(key), Loading: m.IsLoading(key), Queue: m.State.QueueDepth, Run: run,
			LoadTime: load, Room: m.State.MemoryHeadroomBytes >= n.sizeHint(rec)}
		if m.RTTKnown {
			p.RTT = m.RTT
		}
		if !p.Loaded && m.Name != origin && !m.Stores(key) {
			p.FetchTime = fetch // not known to hold the bytes
		}
		out = append(out, p)
	}
	return out
}

// runTime is rec's measured warm run time here, or a prior from its size
// before one was measured.
func (n *Node) runTime(rec store.Record) time.Duration {
	if d := n.stats.runTime(rec.Ref()); d > 0 {
		return d
	}
	return route.EstimateRun(rec.SizeBytes)
}

// grpcForward is the forwardFunc of a gRPC request: the same message,
// marked as forwarded, with the cluster's credentials and the caller's
// deadline (ctx).
func (n *Node) grpcForward(req *pb.ModelInferRequest) forwardFunc {
	if n.cluster == nil {
		return nil
	}
	return func(ctx context.Context, addr string) (*pb.ModelInferResponse, error) {
		cc, err := n.peers.conn(addr)
		if err != nil {
			return nil, err
		}
		ctx = metadata.AppendToOutgoingContext(n.withClusterSecret(ctx), forwardedByKey, n.cluster.g.Name())
		return pb.NewGRPCInferenceServiceClient(cc).ModelInfer(ctx, req)
	}
}

// forwardedBy reports whether a gRPC request was forwarded by a peer, and
// checks that the caller is one.
func (n *Node) forwardedBy(ctx context.Context) (bool, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md.Get(forwardedByKey)) == 0 {
		return false, nil
	}
	return true, n.peerAuth(ctx)
}

// tensorForward is the forwardFunc of a request that arrived decoded (over
// HTTP): its tensors are sent as raw contents in a gRPC request.
func (n *Node) tensorForward(call inferCall, id string) forwardFunc {
	if n.cluster == nil {
		return nil
	}
	req := &pb.ModelInferRequest{ModelName: call.Model, ModelVersion: call.Version, Id: id}
	for _, t := range call.Inputs {
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: t.Name, Datatype: codec.DataTypeName(t.Type), Shape: t.Shape})
		req.RawInputContents = append(req.RawInputContents, t.Data)
	}
	for _, o := range call.Outputs {
		req.Outputs = append(req.Outputs, &pb.ModelInferRequest_InferRequestedOutputTensor{Name: o})
	}
	return n.grpcForward(req)
}

// forwardedOutputs decodes a peer's answer into tensors, raw or typed
// contents alike (the request decoder reads both forms).
func forwardedOutputs(resp *pb.ModelInferResponse) ([]runtime.Tensor, error) {
	as := &pb.ModelInferRequest{RawInputContents: resp.GetRawOutputContents()}
	for _, o := range resp.GetOutputs() {
		as.Inputs = append(as.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: o.GetName(), Datatype: o.GetDatatype(),
			Shape: o.GetShape(), Contents: o.GetContents()})
	}
	outs, err := codec.DecodeInputs(as)
	if err != nil {
		return nil, fmt.Errorf("node: the peer's answer: %w", err)
	}
	return outs, nil
}
