package node

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
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
