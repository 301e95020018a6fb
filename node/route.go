package node

import (
	"context"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/placement/route"
	pb "github.com/edgeserve/edgeserve/proto/inference"
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

// routeFallback is a request run here after the forwards chosen failed.
const routeFallback = "fallback"

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
	opts := route.Choose(n.localCost(rec), n.peerCosts(rec))
	failed := false
	for _, o := range opts {
		if o.Kind == route.Load {
			break
		}
		m, ok := n.member(o.Node)
		if !ok {
			continue
		}
		resp, ferr := call.forward(ctx, m.Services.GRPCAddr)
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

// localCost is what loading rec here would cost.
func (n *Node) localCost(rec store.Record) route.Local {
	key := rec.Ref()
	l := route.Local{LoadTime: route.EstimateLoad(rec.SizeBytes), Run: n.stats.runTime(key)}
	if f, ok := n.cache.Facts(key); ok && f.LoadTime > 0 {
		l.LoadTime = f.LoadTime
	}
	if _, err := n.store.Get(context.Background(), rec.Name, versionString(rec)); err != nil {
		rtt := unknownRTT
		if h := n.cluster.g.Holders(key); len(h) > 0 && h[0].RTTKnown {
			rtt = h[0].RTT
		}
		l.FetchTime = route.EstimateFetch(rec.SizeBytes, rtt, fetchBytesPerSecond)
	}
	l.NoRoom = n.sizeHint(rec) > n.cfg.Cache.MemoryBudgetBytes
	return l
}

// peerCosts describes the live peers for the router.
func (n *Node) peerCosts(rec store.Record) []route.Peer {
	key := rec.Ref()
	run := n.stats.runTime(key)
	load := route.EstimateLoad(rec.SizeBytes)
	if f, ok := n.cache.Facts(key); ok && f.LoadTime > 0 {
		load = f.LoadTime
	}
	var out []route.Peer
	for _, m := range n.cluster.g.Members() {
		if m.Self || m.Health != gossip.Alive || m.State == nil || m.Services.GRPCAddr == "" {
			continue
		}
		p := route.Peer{Name: m.Name, RTT: unknownRTT, Loaded: m.Has(key), Queue: m.State.QueueDepth, Run: run,
			LoadTime: load, Room: m.State.MemoryHeadroomBytes >= n.sizeHint(rec)}
		if m.RTTKnown {
			p.RTT = m.RTT
		}
		out = append(out, p)
	}
	return out
}

// member is a live member by name.
func (n *Node) member(name string) (gossip.Member, bool) {
	for _, m := range n.cluster.g.Members() {
		if m.Name == name && m.Health == gossip.Alive {
			return m, true
		}
	}
	return gossip.Member{}, false
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
