package node

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
	"github.com/edgeserve/edgeserve/placement/route"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

// stallLoader wraps a real loader so that, once stall is set, every Run
// waits until release is closed or its context ends: a peer that answers
// forwards late.
type stallLoader struct {
	runtime.Loader
	stall   atomic.Bool
	release chan struct{}
}

type stallModel struct {
	runtime.Model
	l *stallLoader
}

func (s *stallLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	m, err := s.Loader.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	return stallModel{m, s}, nil
}

func (m stallModel) Run(ctx context.Context, in []runtime.Tensor) ([]runtime.Tensor, error) {
	if m.l.stall.Load() {
		select {
		case <-m.l.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return m.Model.Run(ctx, in)
}

// TestHedgeServesHereWhenTheForwardIsSlow: the peer that has the model
// loaded stalls; after the hedge delay this node loads the model itself
// and answers from it (route "hedge"), without waiting for the peer.
func TestHedgeServesHereWhenTheForwardIsSlow(t *testing.T) {
	sl := &stallLoader{Loader: realLoader(t), release: make(chan struct{})}
	a := clusterNodeWith(t, "a", "127.0.3.41", func(_ *Config, d *Deps) { d.Loader = sl })
	b := clusterNodeWith(t, "b", "127.0.3.42", func(c *Config, _ *Deps) { c.Cluster.HedgeAfter = 100 * time.Millisecond }, a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, b.admin, "mlp", path) // b can load without fetching
	if _, err := a.admin.LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	loadedAt(t, b, "a", "mlp:1")
	sl.stall.Store(true)
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if param(resp, "edgeserve_route") != routeHedge || param(resp, "edgeserve_served_by") != "b" || len(resp.GetOutputs()) == 0 {
		t.Fatalf("route %q served by %q; want hedge by b", param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
	}
	if !b.cache.Resident("mlp:1") {
		t.Fatal("the hedge's load did not stay")
	}
	close(sl.release)
}

func TestHedgeAfter(t *testing.T) {
	for _, tc := range []struct {
		set, predicted, want time.Duration
	}{
		{0, 5 * time.Millisecond, minHedge},
		{0, 40 * time.Millisecond, 120 * time.Millisecond},
		{-1, time.Second, 0},
		{200 * time.Millisecond, time.Second, 200 * time.Millisecond},
	} {
		if got := (ClusterConfig{HedgeAfter: tc.set}).hedgeAfter(tc.predicted); got != tc.want {
			t.Errorf("hedge_after %v, predicted %v: %v, want %v", tc.set, tc.predicted, got, tc.want)
		}
	}
}

// TestNoHedgeAgainstAHintedCopy: the region's hints keep the model on a
// alone. a stalls; b forwards to it and waits for its answer instead of
// loading a second copy (which would evict what the hints leave to b's
// cache). With the hint ignored, b hedges as in
// TestHedgeServesHereWhenTheForwardIsSlow.
func TestNoHedgeAgainstAHintedCopy(t *testing.T) {
	oneCopy := func(c *Config, d *Deps) {
		inRegionGroup(c, d)
		tune := d.RaftTune
		d.RaftTune = func(rc *raftgroup.Config) { tune(rc); rc.Plan.MaxCopies = 1 }
		c.Cluster.HedgeAfter = 100 * time.Millisecond
	}
	sl := &stallLoader{Loader: realLoader(t), release: make(chan struct{})}
	a := clusterNodeWith(t, "a", "127.0.3.44", func(c *Config, d *Deps) { oneCopy(c, d); d.Loader = sl })
	b := clusterNodeWith(t, "b", "127.0.3.45", oneCopy, a.cluster.g.Addr())
	clusterNodeWith(t, "c", "127.0.3.46", oneCopy, a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, b.admin, "mlp", path) // b could load it without fetching
	for range 10 {
		if _, err := a.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, "b knows the hint that keeps mlp on a alone, and a has it loaded", func() bool {
		h, ok := b.group.Hints().Hint("mlp:1")
		return ok && len(h.Nodes) == 1 && h.Has("a") && !b.cache.Resident("mlp:1")
	})
	rec, err := b.resolve(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "b's router would forward to a (its RTT measured)", func() bool {
		opts, _, _ := b.routeOptions(testCtx(t), rec, b.cluster.g.Members())
		return len(opts) > 0 && opts[0].Node == "a"
	})
	sl.stall.Store(true)
	time.AfterFunc(600*time.Millisecond, func() { close(sl.release) }) // six hedge delays
	resp, err := b.infer.ModelInfer(testCtx(t), mlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	if param(resp, "edgeserve_route") != "forward-hit" || param(resp, "edgeserve_served_by") != "a" {
		t.Fatalf("route %q served by %q; want forward-hit by a", param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
	}
	if b.cache.Resident("mlp:1") {
		t.Fatal("b loaded a second copy of a model hinted on a alone")
	}
}

// gateLoader wraps a real loader so that, once armed, every Load waits
// until gate is closed: a load that is seen in progress for as long as a
// test needs. It counts the loads it began.
type gateLoader struct {
	runtime.Loader
	armed atomic.Bool
	gate  chan struct{}
	loads atomic.Int32
}

func (g *gateLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	g.loads.Add(1)
	if g.armed.Load() {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Loader.Load(ctx, src)
}

// TestMissWaitsForAPeersLoadInProgress: a is loading a model for a
// request; b, which misses the same model, sees the load in gossip and
// forwards to a (forward-load) instead of loading a second copy, and both
// requests are answered from a's one load.
func TestMissWaitsForAPeersLoadInProgress(t *testing.T) {
	ga := &gateLoader{Loader: realLoader(t), gate: make(chan struct{})}
	gb := &gateLoader{Loader: realLoader(t)}
	a := clusterNodeWith(t, "a", "127.0.3.91", func(_ *Config, d *Deps) { d.Loader = ga })
	b := clusterNodeWith(t, "b", "127.0.3.92", func(c *Config, d *Deps) {
		d.Loader = gb
		c.Cluster.HedgeAfter = -1 // the forward alone: no load here raced against it
	}, a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, b.admin, "mlp", path) // b could load it without fetching
	rec, err := b.resolve(testCtx(t), "mlp", "1")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "b knows a's RTT", func() bool { m, ok := b.member("a"); return ok && m.RTTKnown })

	baseA, baseB := ga.loads.Load(), gb.loads.Load() // a push loads the model once to check it
	ga.armed.Store(true)
	answers := make(chan *pb.ModelInferResponse, 2)
	ask := func(n *testNode) {
		resp, err := n.infer.ModelInfer(testCtx(t), mlpRequest())
		if err != nil {
			t.Error(err)
		}
		answers <- resp
	}
	go ask(a)
	testutil.Eventually(t, "b sees a loading mlp:1", func() bool { m, ok := b.member("a"); return ok && m.IsLoading("mlp:1") })
	st, err := b.admin.ClusterStatus(adminCtx(t), &adminpb.ClusterStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st.Members {
		if m.Name == "a" && (len(m.Loading) != 1 || m.Loading[0] != "mlp:1") {
			t.Fatalf("b's cluster view of a: loading %v, want [mlp:1]", m.Loading)
		}
	}
	opts, _, _ := b.routeOptions(testCtx(t), rec, b.cluster.g.Members())
	if len(opts) == 0 || opts[0].Kind != route.ForwardLoad || opts[0].Node != "a" {
		t.Fatalf("b's options %+v: want forward-load to a first", opts)
	}
	go ask(b)
	testutil.Eventually(t, "b's request waits at a", func() bool { return a.active.Load() == 2 })
	close(ga.gate)
	routes := map[string]string{}
	for range 2 {
		resp := <-answers
		if resp == nil {
			t.FailNow()
		}
		routes[param(resp, "edgeserve_route")] = param(resp, "edgeserve_served_by")
	}
	if routes["load"] != "a" || routes["forward-load"] != "a" {
		t.Fatalf("routes %v: want a's load and b's forward-load, both served by a", routes)
	}
	if ga.loads.Load()-baseA != 1 || gb.loads.Load() != baseB || b.cache.Resident("mlp:1") {
		t.Fatalf("loads: %d at a, %d at b; want one, at a", ga.loads.Load()-baseA, gb.loads.Load()-baseB)
	}
	testutil.Eventually(t, "b sees a's load done", func() bool {
		m, ok := b.member("a")
		return ok && m.Has("mlp:1") && !m.IsLoading("mlp:1")
	})
}
