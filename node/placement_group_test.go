package node

import (
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// inRegionGroup makes a node one of the region's first three, with Raft
// timers for tests and a planner that hints every requested model to
// every node (a copy carries almost no load).
func inRegionGroup(c *Config, d *Deps) {
	c.Cluster.BootstrapExpect = 3
	d.RaftTune = func(rc *raftgroup.Config) {
		rc.BootstrapWait, rc.ReconcileInterval, rc.PlanInterval = 100*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond
		rc.HeartbeatTimeout, rc.ElectionTimeout = 400*time.Millisecond, 400*time.Millisecond
		rc.LeaderLeaseTimeout, rc.CommitTimeout = 200*time.Millisecond, 10*time.Millisecond
		rc.ApplyTimeout, rc.RPCTimeout = 2*time.Second, time.Second
		rc.Plan.HotRate, rc.Plan.NeighbourRate = 0.01, 0
		rc.Plan.Utilisation, rc.Plan.CheapUtilisation = 1e-6, 1e-6
	}
}

// TestRegionHintsArePreloaded: three nodes of a region bootstrap their
// Raft group; demand for a model at one node makes the leader hint it,
// the other nodes preload it (no request reached them) and report that
// they follow; deleting the model withdraws its hints.
func TestRegionHintsArePreloaded(t *testing.T) {
	a := clusterNodeWith(t, "a", "127.0.3.51", inRegionGroup)
	b := clusterNodeWith(t, "b", "127.0.3.52", inRegionGroup, a.cluster.g.Addr())
	c := clusterNodeWith(t, "c", "127.0.3.53", inRegionGroup, a.cluster.g.Addr())
	nodes := []*testNode{a, b, c}
	testutil.Eventually(t, "the region elects one leader that all three know", func() bool {
		leaders := map[string]bool{}
		for _, n := range nodes {
			l, _ := n.group.Leadership()
			leaders[l] = true
		}
		return len(leaders) == 1 && !leaders[""]
	})
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	for range 20 {
		if _, err := a.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, "every node holds the hinted model", func() bool {
		for _, n := range nodes {
			if !n.cache.Resident("mlp:1") {
				return false
			}
		}
		return true
	})
	for _, n := range []*testNode{b, c} {
		if got := promtest.ToFloat64(n.metrics.preloads); got < 1 {
			t.Fatalf("%s loaded the model without a preload (%v)", n.name(), got)
		}
		if f, _ := n.cache.Facts("mlp:1"); f.Hits+f.Misses != 0 {
			t.Fatalf("%s counted requests it never had: %+v", n.name(), f)
		}
		if p := n.placementView(); p.Hinted != 1 || p.Following != 1 || p.Generation == 0 {
			t.Fatalf("%s's placement view %+v", n.name(), p)
		}
	}
	testutil.Eventually(t, "the placement status shows the hint followed by all three", func() bool {
		st, err := c.admin.PlacementStatus(adminCtx(t), &adminpb.PlacementStatusRequest{})
		if err != nil || !st.GetEnabled() || st.GetLeader() == "" || len(st.GetServers()) != 3 || len(st.GetHints()) != 1 ||
			st.GetHints()[0].GetModel() != "mlp:1" || len(st.GetHints()[0].GetNodes()) != 3 || len(st.GetRegions()) != 1 {
			return false
		}
		r := st.GetRegions()[0]
		return r.GetRegion() == "eu" && r.GetLeader() == st.GetLeader() && r.GetNodes() == 3 && r.GetHinted() == 3 && r.GetFollowing() == 3
	})
	if _, err := a.admin.DeleteModel(adminCtx(t), &adminpb.DeleteModelRequest{Name: "mlp"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the deleted model's hints are withdrawn everywhere", func() bool {
		for _, n := range nodes {
			if _, ok := n.group.Hints().Hint("mlp:1"); ok {
				return false
			}
		}
		return true
	})
}
