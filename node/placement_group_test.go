package node

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/hints"
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
	testutil.Eventually(t, "every node holds the hinted model, b and c by a preload", func() bool {
		for _, n := range nodes {
			if !n.cache.Resident("mlp:1") || (n != a && promtest.ToFloat64(n.metrics.preloads) < 1) {
				return false // the metric counts a preload just after the model became resident
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

// netemFiles gives each node its own netem file and writes them.
type netemFiles map[string]string // node IP -> file

func (f netemFiles) write(t *testing.T, ip, body string) {
	t.Helper()
	tmp := f[ip] + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f[ip]); err != nil {
		t.Fatal(err)
	}
}

// TestPartitionedNodeKeepsServingAndCatchesUp: one node of a region is
// cut off (gossip and Raft, by its netem file and the others'). It keeps
// serving the model it holds, with the hints it had; the rest of the
// region agrees on new hints without it; after the heal it sees them and
// follows the region's generation again.
func TestPartitionedNodeKeepsServingAndCatchesUp(t *testing.T) {
	dir := t.TempDir()
	ips := []string{"127.0.3.61", "127.0.3.62", "127.0.3.63"}
	files := netemFiles{}
	for _, ip := range ips {
		files[ip] = filepath.Join(dir, ip+".json")
		files.write(t, ip, `{}`)
	}
	withNetem := func(ip string) func(*Config, *Deps) {
		return func(c *Config, d *Deps) { inRegionGroup(c, d); c.Cluster.TestNetemFile = files[ip] }
	}
	a := clusterNodeWith(t, "a", ips[0], withNetem(ips[0]))
	b := clusterNodeWith(t, "b", ips[1], withNetem(ips[1]), a.cluster.g.Addr())
	c := clusterNodeWith(t, "c", ips[2], withNetem(ips[2]), a.cluster.g.Addr())
	path := zooModel(t, "tiny_mlp")
	push(t, a.admin, "mlp", path)
	push(t, c.admin, "mlp", path) // c can serve it alone
	for range 10 {
		if _, err := a.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, "c follows the region's hints", func() bool {
		_, ok := c.group.Hints().Hint("mlp:1")
		return ok && c.cache.Resident("mlp:1")
	})

	files.write(t, ips[0], `{"gossip":[{"to":"`+ips[2]+`","cut":true}]}`)
	files.write(t, ips[1], `{"gossip":[{"to":"`+ips[2]+`","cut":true}]}`)
	files.write(t, ips[2], `{"gossip":[{"to":"`+ips[0]+`","cut":true},{"to":"`+ips[1]+`","cut":true}]}`)
	// Each node rereads its file every 200 ms: until all three have, a
	// commit can still reach c.
	testutil.Eventually(t, "every node applies the cut", func() bool {
		return a.netem.cut(ips[2]) && b.netem.cut(ips[2]) && c.netem.cut(ips[0]) && c.netem.cut(ips[1])
	})
	time.Sleep(100 * time.Millisecond) // what was in flight lands
	before := c.group.Hints().Generation
	// The majority side agrees on hints without c (a second model becomes
	// hot), while c keeps serving what it holds.
	push(t, a.admin, "mlp2", path)
	testutil.Eventually(t, "a and b agree on new hints without c", func() bool {
		for range 3 {
			req := mlpRequest()
			req.ModelName = "mlp2"
			if _, err := a.infer.ModelInfer(testCtx(t), req); err != nil {
				t.Fatal(err)
			}
		}
		ha, hb := a.group.Hints(), b.group.Hints()
		h, ok := ha.Hint("mlp2:1")
		return ok && ha.Generation == hb.Generation && ha.Generation > before && !h.Has("c")
	})
	for range 3 {
		resp, err := c.infer.ModelInfer(testCtx(t), mlpRequest())
		if err != nil || param(resp, "edgeserve_served_by") != "c" {
			t.Fatalf("the partitioned node stopped serving: %v", err)
		}
	}
	if c.group.Hints().Generation != before {
		t.Fatalf("the cut-off node learnt hints %d (had %d)", c.group.Hints().Generation, before)
	}

	for _, ip := range ips {
		files.write(t, ip, `{}`)
	}
	testutil.Eventually(t, "after the heal c follows the region's generation", func() bool {
		return c.group.Hints().Generation == a.group.Hints().Generation && c.group.Hints().Generation > before
	})
}

// TestHintedPreloadTakesAColdModelsPlace: a node whose memory is full of
// models nobody has used for a while still follows a hint. Its preload
// takes the place of one cold model, not hinted, and leaves the other;
// no request reaches the node for the hinted model.
func TestHintedPreloadTakesAColdModelsPlace(t *testing.T) {
	const charge = 4 << 20
	// Hot from 0.1 requests/s: the 20 requests for mlp make it hot, the
	// one request each for x and y do not (inRegionGroup's 0.01 would
	// hint them too, on c where they are loaded, and a hinted model is
	// not a preload's to evict).
	group := func(c *Config, d *Deps) {
		inRegionGroup(c, d)
		tune := d.RaftTune
		// No keep hints: x and y, loaded only on c and asked for, would be
		// the cluster's copies to keep (TestKeepHintHoldsTheClusterCopy).
		d.RaftTune = func(rc *raftgroup.Config) { tune(rc); rc.Plan.HotRate, rc.Plan.KeepRate = 0.1, 0 }
	}
	full := func(c *Config, d *Deps) {
		group(c, d)
		d.Loader = chargedLoader{realLoader(t), charge}
		c.Cache.MemoryBudgetBytes = 2 * charge // two models; hints may fill 80%: one
		d.PreloadIdle = 300 * time.Millisecond
	}
	a := clusterNodeWith(t, "a", "127.0.3.61", group)
	b := clusterNodeWith(t, "b", "127.0.3.62", group, a.cluster.g.Addr())
	c := clusterNodeWith(t, "c", "127.0.3.63", full, a.cluster.g.Addr())
	testutil.Eventually(t, "the region elects a leader that all three know", func() bool {
		for _, n := range []*testNode{a, b, c} {
			if l, _ := n.group.Leadership(); l == "" {
				return false
			}
		}
		return true
	})
	path := zooModel(t, "tiny_mlp")
	push(t, c.admin, "x", path)
	push(t, c.admin, "y", path)
	for _, m := range []string{"x", "y"} {
		req := mlpRequest()
		req.ModelName = m
		if _, err := c.infer.ModelInfer(testCtx(t), req); err != nil {
			t.Fatal(err)
		}
	}
	if !c.cache.Resident("x:1") || !c.cache.Resident("y:1") {
		t.Fatal("c does not hold the two models it served")
	}
	push(t, a.admin, "mlp", path)
	for range 20 {
		if _, err := a.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, "c preloads its hinted copy in the place of a cold model", func() bool {
		// the metric counts a preload once it returned, just after the
		// model became resident
		return c.cache.Resident("mlp:1") && promtest.ToFloat64(c.metrics.preloads) >= 1
	})
	for _, m := range []string{"x:1", "y:1"} {
		if h, ok := c.group.Hints().Hint(m); ok {
			t.Fatalf("%s is hinted (%+v): the test needs it cold", m, h)
		}
	}
	if c.cache.Resident("x:1") == c.cache.Resident("y:1") {
		t.Fatalf("x resident %v, y resident %v: want exactly one cold model evicted", c.cache.Resident("x:1"), c.cache.Resident("y:1"))
	}
	if f, _ := c.cache.Facts("mlp:1"); f.Hits+f.Misses != 0 {
		t.Fatalf("c counted requests for mlp it never had: %+v", f)
	}
}

// TestKeepHintHoldsTheClusterCopy: c holds the cluster's only copies of x
// (asked for twice) and y (once, last); its hint room takes one keep
// hint, x's (asked for more). A request for z, loaded nowhere, then loads
// z at c in the place of y, although x was used longer ago: the kept
// copy is evicted last (LRU alone would take x).
func TestKeepHintHoldsTheClusterCopy(t *testing.T) {
	path := zooModel(t, "tiny_mlp")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Each model is charged its size hint, so that the leader, which
	// never loaded one, sizes it as c does.
	charge := int64(float64(st.Size()) * DefaultConfig(t.TempDir()).Cache.SizeHintFactor)
	group := func(c *Config, d *Deps) {
		inRegionGroup(c, d)
		tune := d.RaftTune
		d.RaftTune = func(rc *raftgroup.Config) { tune(rc); rc.Plan.HotRate = 10 } // no demand hints
	}
	full := func(c *Config, d *Deps) {
		group(c, d)
		d.Loader = chargedLoader{realLoader(t), charge}
		c.Cache.MemoryBudgetBytes = 2 * charge // two models; hints may fill 80%: one
		c.Cluster.LocalOnly = true             // z loads here, in a loaded model's place
	}
	a := clusterNodeWith(t, "a", "127.0.3.64", group)
	clusterNodeWith(t, "b", "127.0.3.65", group, a.cluster.g.Addr())
	c := clusterNodeWith(t, "c", "127.0.3.66", full, a.cluster.g.Addr())
	for _, m := range []string{"x", "y", "z"} {
		push(t, c.admin, m, path)
	}
	for _, m := range []string{"x", "x", "y"} { // x first: the least recently used
		req := mlpRequest()
		req.ModelName = m
		if _, err := c.infer.ModelInfer(testCtx(t), req); err != nil {
			t.Fatal(err)
		}
	}
	// Longer than Eventually's 20 s, which a full -race run of the package
	// once overran; the failure says what the group had agreed by then.
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		set := c.group.Hints()
		if h, ok := set.Hint("x:1"); ok && h.Reason == hints.Keep && h.Has("c") {
			break
		}
		if time.Now().After(deadline) {
			leader, term := c.group.Leadership()
			t.Fatalf("no keep hint for x at c after 45 s: leader %q (term %d), hints %+v", leader, term, set)
		}
	}
	if h, ok := c.group.Hints().Hint("y:1"); ok {
		t.Fatalf("y is hinted too (%+v): c's hint room holds one", h)
	}
	req := mlpRequest()
	req.ModelName = "z"
	resp, err := c.infer.ModelInfer(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if r := param(resp, "edgeserve_route"); r != "load" {
		t.Fatalf("z served by route %q, want a load at c", r)
	}
	if !c.cache.Resident("x:1") || c.cache.Resident("y:1") {
		t.Fatalf("x resident %v, y resident %v: want the kept x kept and y evicted", c.cache.Resident("x:1"), c.cache.Resident("y:1"))
	}
}

// TestPreloadRuleKnowsTheClusterLastCopies: a hinted preload's rule asks
// gossip whether another node holds a model, and keeps the cluster's last
// copy for the longer idle time (the preload limit, a request load's own
// rule).
func TestPreloadRuleKnowsTheClusterLastCopies(t *testing.T) {
	a := clusterNode(t, "a", "127.0.3.81")
	b := clusterNodeWith(t, "b", "127.0.3.82", func(_ *Config, d *Deps) { d.PreloadIdle = time.Minute }, a.cluster.g.Addr())
	push(t, a.admin, "mlp", zooModel(t, "tiny_mlp"))
	if _, err := a.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
		t.Fatal(err)
	}
	rule := b.preloadRule(1)
	if rule.EvictIdleFor != preloadIdleFor(1, time.Minute) || rule.EvictSoleIdleFor != time.Minute || rule.HeldElsewhere == nil {
		t.Fatalf("rule %+v: want the copy's idle rule, the limit for last copies, and a view of the cluster", rule)
	}
	testutil.Eventually(t, "b learns by gossip that a holds mlp", func() bool { return rule.HeldElsewhere("mlp:1") })
	if rule.HeldElsewhere("other:1") {
		t.Fatal("a model no node holds counts as held elsewhere")
	}
	if r := a.preloadRule(1); r.HeldElsewhere("mlp:1") {
		t.Fatal("a counts its own copy as held elsewhere")
	}
	if r := (&Node{preloadIdle: time.Minute}).preloadRule(1); r.HeldElsewhere != nil {
		t.Fatal("a node without a cluster claims a view of one")
	}
}

// TestPreloadIdleFor: a hinted copy expecting more requests may take the
// place of a model idle for less time (preloadGaps of its gaps), within
// [minPreloadIdle, the limit]; an unknown rate keeps the limit.
func TestPreloadIdleFor(t *testing.T) {
	limit := 30 * time.Second
	for _, tc := range []struct {
		rate float64
		want time.Duration
	}{
		{0, limit}, {-1, limit}, {math.NaN(), limit}, {math.Inf(1), minPreloadIdle},
		{0.1, limit}, {preloadGaps / 30.0, limit}, {1, preloadGaps * time.Second}, {2, preloadGaps * time.Second / 2},
		{1000, minPreloadIdle},
	} {
		if got := preloadIdleFor(tc.rate, limit); got != tc.want {
			t.Errorf("rate %v: %v, want %v", tc.rate, got, tc.want)
		}
	}
	if got := preloadIdleFor(1, 3*time.Second); got != 3*time.Second {
		t.Errorf("a shorter limit: %v", got)
	}
}
