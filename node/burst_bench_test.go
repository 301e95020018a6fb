package node

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// zerosRequest is a batch-1 request of zeros for model, shaped from its
// metadata.
func zerosRequest(tb testing.TB, c pb.GRPCInferenceServiceClient, model string) *pb.ModelInferRequest {
	tb.Helper()
	md, err := c.ModelMetadata(context.Background(), &pb.ModelMetadataRequest{Name: model})
	if err != nil {
		tb.Fatal(err)
	}
	req := &pb.ModelInferRequest{ModelName: model}
	for _, in := range md.Inputs {
		shape, n := make([]int64, len(in.Shape)), int64(1)
		for i, d := range in.Shape {
			shape[i] = max(d, 1)
			n *= shape[i]
		}
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: in.Name, Datatype: in.Datatype, Shape: shape})
		req.RawInputContents = append(req.RawInputContents, make([]byte, n*4)) // FP32
	}
	return req
}

// BenchmarkBurstForCold: a node's memory is full of three hot models (each
// charged 6 MiB of a 20 MiB budget); a burst of 8 requests for a cold model
// (squeezenet1.1), loaded on a peer, arrives with 8 requests for the hot
// ones. One node routes (forwards the cold model to the peer rather than
// evict a hot one); the other serves everything itself (--local-only),
// loading the cold model and evicting. Both see the same bursts, in turn.
// Reported: the summed latency of a burst's requests on each, and on the
// routing node as a fraction of the local-only one.
func BenchmarkBurstForCold(b *testing.B) {
	peer := clusterNode(b, "a", "127.0.6.1")
	small := func(local bool) func(*Config, *Deps) {
		return func(c *Config, d *Deps) {
			d.Loader = chargedLoader{realLoader(b), 6 << 20}
			c.Cache.MemoryBudgetBytes = 20 << 20
			c.Cluster.LocalOnly = local
		}
	}
	routing := clusterNodeWith(b, "r", "127.0.6.2", small(false), peer.cluster.g.Addr())
	local := clusterNodeWith(b, "l", "127.0.6.3", small(true), peer.cluster.g.Addr())
	mlp, cold := zooModel(b, "tiny_mlp"), zooModel(b, "squeezenet1.1")
	hot := []string{"hot1", "hot2", "hot3"}
	for _, n := range []*testNode{peer, routing, local} {
		push(b, n.admin, "cold", cold)
		for _, h := range hot {
			push(b, n.admin, h, mlp)
		}
	}
	if _, err := peer.admin.LoadModel(adminCtx(b), &adminpb.LoadModelRequest{Name: "cold"}); err != nil {
		b.Fatal(err)
	}
	for _, n := range []*testNode{routing, local} {
		loadedAt(b, n, "a", "cold:1")
	}
	coldReq := zerosRequest(b, peer.infer, "cold")
	hotReq := func(h string) *pb.ModelInferRequest { r := mlpRequest(); r.ModelName = h; return r }
	burst := func(n *testNode) time.Duration {
		// The hot set is in use before the burst; the cold model is not
		// loaded here.
		n.cache.Unload("cold:1")
		testutil.Eventually(b, "cold unloaded", func() bool { return !n.cache.Resident("cold:1") })
		for _, h := range hot {
			if _, err := n.infer.ModelInfer(context.Background(), hotReq(h)); err != nil {
				b.Fatal(err)
			}
		}
		var mu sync.Mutex
		var total time.Duration
		var wg sync.WaitGroup
		for i := range 16 {
			req := coldReq
			if i%2 == 1 {
				req = hotReq(hot[i/2%len(hot)])
			}
			wg.Go(func() {
				start := time.Now()
				if _, err := n.infer.ModelInfer(context.Background(), req); err != nil {
					b.Error(err)
				}
				mu.Lock()
				total += time.Since(start)
				mu.Unlock()
			})
		}
		wg.Wait()
		return total
	}
	var tr, tl time.Duration
	b.ResetTimer()
	for range b.N {
		tr += burst(routing)
		if routing.cache.Resident("cold:1") {
			b.Fatal("the routing node loaded the cold model (evicting a hot one)")
		}
		tl += burst(local)
	}
	b.StopTimer()
	b.ReportMetric(float64(tr)/float64(b.N)/1e6, "routing-burst-ms")
	b.ReportMetric(float64(tl)/float64(b.N)/1e6, "local-only-burst-ms")
	b.ReportMetric(float64(tr)/float64(tl), "routing/local")
}
