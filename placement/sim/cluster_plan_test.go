package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// oneModelTwoRegions: model B (60 bytes, loads in 300 ms, runs in 10 ms)
// on twoSites with 100 bytes per node; both nodes store B's bytes. The
// planner runs every second on each second's own rates.
func oneModelTwoRegions(reqs ...trace.Request) (*Workload, ClusterConfig) {
	w := &Workload{Models: []profile.Model{timed("B", 60, 300*ms, 10*ms)}, Requests: reqs}
	cfg := DefaultClusterConfig(twoSites(), 100)
	cfg.HintInterval, cfg.RateHalfLife = time.Second, 0
	return w, cfg
}

// TestClusterRealPlannerHandComputed: placement/hints' planner makes full
// differ from forward. Requests for B from site 0 at 0 s and 0.5 s, then
// from site 1 at 2 s.
//
// Both: B loads at n0 (310 ms here beats 330 at n1): 2 + 310 = 312 ms;
// then a hit: 12 ms.
//
// forward: at 2 s n1 lacks B; n0's copy is 20 ms away: 2 + 20 + 10 = 32.
//
// full: the plan at 1 s sees n0 at 2 requests/s: region a hints B to n0
// (one copy: 2 x 10 ms / 0.6), where it is loaded; region b sees 2/s
// elsewhere and hints one neighbour copy to n1 (80 of its 100 bytes may
// be hinted), which preloads it (ready at 1.3 s). The plan at 2 s sees no
// requests and withdraws both hints, which evicts nothing: the request
// at 2 s hits at n1: 12 ms.
func TestClusterRealPlannerHandComputed(t *testing.T) {
	for _, tt := range []struct {
		con    ClusterContender
		want   []time.Duration
		served []Served
	}{
		{Forwarding, []time.Duration{312 * ms, 12 * ms, 32 * ms}, []Served{ServedLoad, ServedHit, ServedForward}},
		{Full, []time.Duration{312 * ms, 12 * ms, 12 * ms}, []Served{ServedLoad, ServedHit, ServedHit}},
	} {
		w, cfg := oneModelTwoRegions(trace.Request{Time: 0}, trace.Request{Time: 500 * ms}, trace.Request{Time: 2 * time.Second, Site: 1})
		var got []time.Duration
		var served []Served
		cfg.Observe = func(_ int, lat time.Duration, how Served) { got, served = append(got, lat), append(served, how) }
		r, err := RunCluster(w, cfg, tt.con)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) || !slices.Equal(served, tt.served) {
			t.Fatalf("%s: latencies %v served %v, want %v %v", tt.con, got, served, tt.want, tt.served)
		}
		if wantPre := map[ClusterContender]int{Full: 1}[tt.con]; r.Preloads != wantPre {
			t.Fatalf("%s: %d preloads, want %d", tt.con, r.Preloads, wantPre)
		}
	}
}

// TestClusterPlannerSeesGossipedRates: a forwarded request counts once, at
// the node it reached (not at the peer that served it), as on the node; the
// view carries the smoothed rates, loaded models and the demand
// elsewhere. B loads at n0 at 0 s; at 0.5 s a request from site 1 is
// forwarded to n0's copy (30 ms against a 310 ms load); the request at
// 1 s comes after the plan.
func TestClusterPlannerSeesGossipedRates(t *testing.T) {
	w, cfg := oneModelTwoRegions(trace.Request{Time: 0}, trace.Request{Time: 500 * ms, Site: 1}, trace.Request{Time: time.Second})
	cfg.RateHalfLife = time.Second // keep 1/2: the first interval's rate is half its count
	seen := map[string]HintNode{}
	elsewhere := map[string]float64{}
	cfg.Planner = HintPlannerFunc(func(now time.Duration, v *RegionView) []NodeHints {
		if now == time.Second {
			seen[v.Region] = HintNode{Rates: slices.Clone(v.Nodes[0].Rates), Loaded: slices.Clone(v.Nodes[0].Loaded), FreeBytes: v.Nodes[0].FreeBytes}
			elsewhere[v.Region] = v.Elsewhere[0]
		}
		return nil
	})
	if _, err := RunCluster(w, cfg, Full); err != nil {
		t.Fatal(err)
	}
	a, b := seen["a"], seen["b"]
	if !slices.Equal(a.Rates, []ModelRate{{0, 0.5}}) || !slices.Equal(a.Loaded, []int32{0}) || a.FreeBytes != 40 {
		t.Fatalf("n0 as seen: %+v", a)
	}
	if !slices.Equal(b.Rates, []ModelRate{{0, 0.5}}) || len(b.Loaded) != 0 || b.FreeBytes != 100 {
		t.Fatalf("n1 as seen: %+v", b)
	}
	if elsewhere["a"] != 0.5 || elsewhere["b"] != 0.5 {
		t.Fatalf("elsewhere: %v", elsewhere)
	}
}

// oneNode is a cluster of one node (100 bytes) and three 50-byte models
// that load in 100 ms and run in 10 ms; LRU on the node.
func oneNode(reqs ...trace.Request) (*Workload, ClusterConfig) {
	topo := &Topology{Regions: []string{"a"}, Sites: []Site{{"s0", 0}}, NodesPerSite: 1,
		RTT: [][]time.Duration{{ms}}, ClientRTT: 2 * ms}
	w := &Workload{Models: []profile.Model{timed("H", 50, 100*ms, 10*ms), timed("U", 50, 100*ms, 10*ms), timed("N", 50, 100*ms, 10*ms)},
		Requests: reqs}
	cfg := DefaultClusterConfig(topo, 100)
	cfg.Policy, cfg.HintInterval = "lru", 500*ms
	return w, cfg
}

// TestClusterEvictsHintedLast: H (hinted from 0.5 s on) and U fill the
// node; N at 1 s needs room. LRU would evict H, used first; the node
// evicts the unhinted U instead, so H at 1.5 s hits (12 ms) where without
// hints it loads again (112 ms).
func TestClusterEvictsHintedLast(t *testing.T) {
	for _, tt := range []struct {
		planner HintPlanner
		last    time.Duration
	}{
		{HintPlannerFunc(func(_ time.Duration, v *RegionView) []NodeHints {
			return []NodeHints{{Node: v.Nodes[0].Node, Models: []int32{0}}}
		}), 12 * ms},
		{NoHints{}, 112 * ms},
	} {
		w, cfg := oneNode(trace.Request{Time: 0, Model: 0}, trace.Request{Time: 200 * ms, Model: 1},
			trace.Request{Time: time.Second, Model: 2}, trace.Request{Time: 1500 * ms, Model: 0})
		cfg.Planner = tt.planner
		var got []time.Duration
		cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
		if _, err := RunCluster(w, cfg, Full); err != nil {
			t.Fatal(err)
		}
		if want := []time.Duration{112 * ms, 112 * ms, 112 * ms, tt.last}; !slices.Equal(got, want) {
			t.Fatalf("%T: %v, want %v", tt.planner, got, want)
		}
	}
}

// TestClusterPreloadsOneAtATime: on a node of 150 bytes that loaded N at
// 0 s, U and H hinted at 0.5 s are preloaded one after the other (H
// 0.5-0.6 s, U 0.6-0.7 s), though a second load slot is free, so a
// request for U at 0.6 s waits 100 ms: 2 + 100 + 10.
func TestClusterPreloadsOneAtATime(t *testing.T) {
	w, cfg := oneNode(trace.Request{Time: 0, Model: 2}, trace.Request{Time: 600 * ms, Model: 1})
	cfg.NodeBudgetBytes = 150
	cfg.Planner = HintPlannerFunc(func(_ time.Duration, v *RegionView) []NodeHints {
		return []NodeHints{{Node: v.Nodes[0].Node, Models: []int32{1, 0}}}
	})
	var got []time.Duration
	cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
	r, err := RunCluster(w, cfg, Full)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []time.Duration{112 * ms, 112 * ms}) || r.Preloads != 2 || r.DelayedHits != 1 {
		t.Fatalf("%v, %+v", got, r)
	}
}
