package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// twoSites is two regions of one site of one node each, 20 ms apart;
// clients are 2 ms from their node.
func twoSites() *Topology {
	return &Topology{Regions: []string{"a", "b"}, Sites: []Site{{"s0", 0}, {"s1", 1}}, NodesPerSite: 1,
		RTT: [][]time.Duration{{ms, 20 * ms}, {20 * ms, ms}}, ClientRTT: 2 * ms}
}

// tinyCluster: A loads in 10 ms, B in 300 ms, both run in 10 ms and take
// 60 bytes, the budget of a node; both nodes store both models' bytes.
func tinyCluster() (*Workload, ClusterConfig) {
	const a, b = 0, 1
	w := &Workload{
		Models: []profile.Model{timed("A", 60, 10*ms, 10*ms), timed("B", 60, 300*ms, 10*ms)},
		Requests: []trace.Request{
			{Time: 0, Model: a, Site: 0},
			{Time: time.Second, Model: b, Site: 0},
			{Time: 40 * time.Second, Model: a, Site: 1},
		},
	}
	cfg := DefaultClusterConfig(twoSites(), 60)
	cfg.Policy, cfg.Replicas = "lru", 2
	return w, cfg
}

// hintBOnSiteOne hints B to the node of region b.
var hintBOnSiteOne = HintPlannerFunc(func(_ time.Duration, v *RegionView) []NodeHints {
	if v.Region != "b" {
		return nil
	}
	return []NodeHints{{Node: v.Nodes[0].Node, Models: []int32{1}}}
})

// TestClusterTinyHandComputed checks every contender's latencies on
// tinyCluster's three requests, worked out by hand:
//
// oracle: every request hits: 2 (client) + 10 (run) = 12 ms each.
//
// alone: A loads at n0: 2 + 10 + 10 = 22; B at n0 evicts A and loads:
// 2 + 300 + 10 = 312; A at n1 loads: 22.
//
// forward: A: loading here (20) beats a load at n1 (20 + 10 + 10): 22. B
// at n0 would evict A, used 1 s ago: declined; n1 has room: forward-load
// 20 + 300 + 10: 2 + 330 = 332. A at n1 40 s later: B idle 39 s, so not
// declined; a load (20) beats the forward to n0's copy (20 + 10): 22.
//
// full with placement/hints' planner (the default) as forward: every 10 s
// it sees rates far below a request per second, and hints nothing.
//
// full (a test planner hints B to n1 every 500 ms): B is preloaded at n1 at
// 0.5 s (ready at 0.8 s); A: 22; B at n0, declined, goes to n1's copy:
// 2 + 20 + 10 = 32; A at n1 loads (B idle): 22.
//
// modelmesh: A loads at n0 (both empty, the entry wins the tie): 22; B
// loads at n1, the emptier node: 332; A at n1 goes to n0's copy, a round
// trip away, though loading would be cheaper: 2 + 20 + 10 = 32.
func TestClusterTinyHandComputed(t *testing.T) {
	tests := []struct {
		con     ClusterContender
		planner HintPlanner
		want    []time.Duration
		served  []Served
	}{
		{Oracle, nil, []time.Duration{12 * ms, 12 * ms, 12 * ms}, []Served{ServedHit, ServedHit, ServedHit}},
		{Alone, nil, []time.Duration{22 * ms, 312 * ms, 22 * ms}, []Served{ServedLoad, ServedLoad, ServedLoad}},
		{Forwarding, nil, []time.Duration{22 * ms, 332 * ms, 22 * ms}, []Served{ServedLoad, ServedForward, ServedLoad}},
		{Full, nil, []time.Duration{22 * ms, 332 * ms, 22 * ms}, []Served{ServedLoad, ServedForward, ServedLoad}},
		{Full, hintBOnSiteOne, []time.Duration{22 * ms, 32 * ms, 22 * ms}, []Served{ServedLoad, ServedForward, ServedLoad}},
		{ModelMesh, nil, []time.Duration{22 * ms, 332 * ms, 32 * ms}, []Served{ServedLoad, ServedForward, ServedForward}},
	}
	for _, tt := range tests {
		name := string(tt.con)
		if tt.planner != nil {
			name += "-hinted"
		}
		t.Run(name, func(t *testing.T) {
			w, cfg := tinyCluster()
			if tt.planner != nil {
				cfg.Planner, cfg.HintInterval = tt.planner, 500*ms
			}
			var got []time.Duration
			var served []Served
			cfg.Observe = func(_ int, lat time.Duration, how Served) {
				got, served = append(got, lat), append(served, how)
			}
			r, err := RunCluster(w, cfg, tt.con)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(served, tt.served) {
				t.Fatalf("latencies %v served %v, want %v %v", got, served, tt.want, tt.served)
			}
			if r.Requests != 3 || r.P99 != slices.Max(tt.want) || r.P50 != slices.Sorted(slices.Values(tt.want))[1] {
				t.Fatalf("result %+v", r)
			}
		})
	}
}

// TestClusterTinyTotals checks the forwarding contender's totals.
func TestClusterTinyTotals(t *testing.T) {
	w, cfg := tinyCluster()
	r, err := RunCluster(w, cfg, Forwarding)
	if err != nil {
		t.Fatal(err)
	}
	// Loads: A at n0 (10 ms), B at n1 for the forward (300), A at n1 (10).
	want := ClusterResult{Contender: Forwarding, NodeBudgetBytes: 60, Nodes: 2, Requests: 3,
		P50: 22 * ms, P95: 332 * ms, P99: 332 * ms, Mean: 376 * ms / 3, TotalLoadDelay: 320 * ms,
		LoadShare: 2.0 / 3, ForwardShare: 1.0 / 3, Loads: 3,
		// 60 bytes for 1 s, then 120 for 39 s: 118.5, rounded.
		MeanHeldBytes: 119, PeakHeldBytes: 120, HeldFraction: 119.0 / 240,
		ForwardsBetweenSites: 1, ForwardsBetweenRegions: 1}
	if r != want {
		t.Fatalf("got  %+v\nwant %+v", r, want)
	}
}

// TestClusterTransientLoadShared: a model larger than a node's memory is
// loaded without being cached, and a request that arrives during that
// load shares it.
func TestClusterTransientLoadShared(t *testing.T) {
	w := &Workload{Models: []profile.Model{timed("C", 100, 50*ms, 10*ms)},
		Requests: []trace.Request{{Time: 0}, {Time: 20 * ms}, {Time: 100 * ms}}}
	cfg := DefaultClusterConfig(twoSites(), 60)
	var got []time.Duration
	cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
	r, err := RunCluster(w, cfg, Alone)
	if err != nil {
		t.Fatal(err)
	}
	// 2 + 50 + 10; 2 + (50 - 20) + 10; a new load: 62.
	if want := []time.Duration{62 * ms, 42 * ms, 62 * ms}; !slices.Equal(got, want) || r.Transient != 2 || r.DelayedHits != 1 || r.PeakHeldBytes != 0 {
		t.Fatalf("latencies %v, want %v; %+v", got, want, r)
	}
}

// TestClusterDeclineCapAndWarmup: on tinyCluster, B's declined load at n0
// (310 ms) is taken after all when the forward-load to n1 (330 ms) costs
// more than the cap allows; a warmup leaves the first request uncounted.
func TestClusterDeclineCapAndWarmup(t *testing.T) {
	for _, tt := range []struct {
		cap  float64
		want time.Duration
	}{{1, 312 * ms}, {1.1, 332 * ms}, {0, 332 * ms}} {
		w, cfg := tinyCluster()
		cfg.DeclineCap = tt.cap
		var got []time.Duration
		cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
		if _, err := RunCluster(w, cfg, Forwarding); err != nil {
			t.Fatal(err)
		}
		if got[1] != tt.want {
			t.Errorf("cap %v: B took %v, want %v", tt.cap, got[1], tt.want)
		}
	}
	w, cfg := tinyCluster()
	cfg.Warmup = 500 * ms
	r, err := RunCluster(w, cfg, Forwarding)
	if err != nil {
		t.Fatal(err)
	}
	// Counted: B forwarded (332 ms, a 300 ms load at n1) and A loaded at n1
	// (22 ms); 120 bytes held from 1 s on.
	if r.Requests != 2 || r.P50 != 22*ms || r.TotalLoadDelay != 310*ms || r.Loads != 2 || r.ForwardShare != 0.5 ||
		r.MeanHeldBytes != 120 || r.PeakHeldBytes != 120 {
		t.Fatalf("with warmup: %+v", r)
	}
}

// TestNodeQueueCountsWaiting: a request queued behind a long one counts
// until it finishes, however late it starts.
func TestNodeQueueCountsWaiting(t *testing.T) {
	n := newCNode(0, 0, nil, 1, 100, 1, 1)
	if done := n.run(0, 10*time.Second); done != 10*time.Second {
		t.Fatal(done)
	}
	if done := n.run(0, 10*time.Second); done != 20*time.Second {
		t.Fatal(done)
	}
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{time.Second, 2}, {10 * time.Second, 1}, {20 * time.Second, 0}} {
		if got := n.queue(c.at); got != c.want {
			t.Fatalf("queue at %v: %d, want %d", c.at, got, c.want)
		}
	}
}

// TestClusterRouterSeesFreeRunSlots: the router is told a peer's wait for
// a run slot, not its requests in flight. Sites s0 and s1 (region a) are
// 1 ms apart, s2 (region b) 20 ms from both; one node each, 3 run slots,
// every model's bytes on every node. A (60 bytes, the budget) loads in
// 10 ms and runs in 100 ms; B (60 bytes) loads and runs in 10 ms.
//
//	0 ms, A at n1: loads, 2 + 10 + 100 = 112.
//	0 ms, A at n2: n1's copy is still loading; loads, 112.
//	1 ms, B at n0: loads, 2 + 10 + 10 = 22.
//	5 ms, A at n1: waits for the load (10 ms), runs on a second slot
//	  until 110 ms: 2 + 105 = 107.
//	60 ms, A at n0: the load would evict B, used 59 ms ago: declined.
//	  n1 has two requests in flight but a free slot: 1 + 100 = 101
//	  predicted; n2, 20 ms away, one in flight: 20 + 100 = 120. The
//	  request goes to n1: 2 + 1 + 100 = 103. (Counted in flight, n1
//	  would be predicted at 1 + 3 x 100 = 301 and n2 at 220, and the
//	  request sent to the other region: 122.)
func TestClusterRouterSeesFreeRunSlots(t *testing.T) {
	topo := &Topology{Regions: []string{"a", "b"}, Sites: []Site{{"s0", 0}, {"s1", 0}, {"s2", 1}}, NodesPerSite: 1,
		RTT:       [][]time.Duration{{ms, ms, 20 * ms}, {ms, ms, 20 * ms}, {20 * ms, 20 * ms, ms}},
		ClientRTT: 2 * ms}
	w := &Workload{
		Models: []profile.Model{timed("A", 60, 10*ms, 100*ms), timed("B", 60, 10*ms, 10*ms)},
		Requests: []trace.Request{
			{Time: 0, Model: 0, Site: 1}, {Time: 0, Model: 0, Site: 2}, {Time: ms, Model: 1, Site: 0},
			{Time: 5 * ms, Model: 0, Site: 1}, {Time: 60 * ms, Model: 0, Site: 0},
		},
	}
	cfg := DefaultClusterConfig(topo, 60)
	cfg.Policy, cfg.Replicas, cfg.RunSlots = "lru", 3, 3
	var got []time.Duration
	var served []Served
	cfg.Observe = func(_ int, lat time.Duration, how Served) { got, served = append(got, lat), append(served, how) }
	r, err := RunCluster(w, cfg, Forwarding)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{112 * ms, 112 * ms, 22 * ms, 107 * ms, 103 * ms}
	wantServed := []Served{ServedLoad, ServedLoad, ServedLoad, ServedHit, ServedForward}
	if !slices.Equal(got, want) || !slices.Equal(served, wantServed) || r.ForwardsBetweenRegions != 0 || r.ForwardsBetweenSites != 1 {
		t.Fatalf("latencies %v served %v, want %v %v; %+v", got, served, want, wantServed, r)
	}
}

// TestClusterPreloadEvicts: on tinyCluster, a test planner hints B to n0
// every 500 ms. n0 holds A (loaded for the request at 0, idle from
// 20 ms). As the node does, a preload evicts only models not used for
// 30 s, so none is made before B's request at 1 s, which is declined at
// n0 (A was used 1 s ago) and forwarded to load at n1: 332 ms; B is
// preloaded at n0 at 30 s, once A is cold. With PreloadEvicts the plan at
// 0.5 s evicts A (idle, not hinted) and preloads B (ready at 0.8 s): B at
// 1 s hits, 2 + 10 = 12 ms. A at n1 at 40 s loads either way, 22 ms.
func TestClusterPreloadEvicts(t *testing.T) {
	hintBOnSiteZero := HintPlannerFunc(func(_ time.Duration, v *RegionView) []NodeHints {
		if v.Region != "a" {
			return nil
		}
		return []NodeHints{{Node: v.Nodes[0].Node, Models: []int32{1}}}
	})
	for _, tt := range []struct {
		evicts   bool
		want     []time.Duration
		preloads int
	}{{false, []time.Duration{22 * ms, 332 * ms, 22 * ms}, 1}, {true, []time.Duration{22 * ms, 12 * ms, 22 * ms}, 1}} {
		w, cfg := tinyCluster()
		cfg.Planner, cfg.HintInterval, cfg.PreloadEvicts = hintBOnSiteZero, 500*ms, tt.evicts
		var got []time.Duration
		cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
		r, err := RunCluster(w, cfg, Full)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) || r.Preloads != tt.preloads {
			t.Errorf("evicts %v: latencies %v, preloads %d; want %v, %d", tt.evicts, got, r.Preloads, tt.want, tt.preloads)
		}
	}
}

// TestClusterGossipDelay: with a gossip delay of 1 s, the router sees a
// peer as it was at the last whole second at least 1 s ago. On
// twoSites (20 ms apart, one node each, both storing every model's
// bytes), B loads in 300 ms and runs in 10 ms, A in 10 and 10; a node
// holds one model.
//
// A copy too new to be known: B at n1 at 0 loads (312 ms). B at n0 at
// 0.5 s: told at once, n0 forwards to n1's copy (ready at 0.3 s):
// 2 + 20 + 10 = 32; a second late, n1 is known empty as at -1 s, and a
// forward-load there (330) costs more than loading here: 312.
//
// A copy gone but still known: B at n1 at 0 (312); A at n1 at 40 s
// evicts B, idle for 40 s (22). B at n0 at 40.5 s: told at once, no node
// has B and n1 has no room: a load here, 312; a second late, n1 is known
// to have B as at 39 s, and the request goes there, where B must be
// loaded again: 2 + 20 + 300 + 10 = 332.
func TestClusterGossipDelay(t *testing.T) {
	a, b := int32(0), int32(1)
	for _, tt := range []struct {
		name  string
		reqs  []trace.Request
		delay time.Duration
		want  []time.Duration
	}{
		{"new-told", []trace.Request{{Time: 0, Model: b, Site: 1}, {Time: 500 * ms, Model: b, Site: 0}}, 0, []time.Duration{312 * ms, 32 * ms}},
		{"new-late", []trace.Request{{Time: 0, Model: b, Site: 1}, {Time: 500 * ms, Model: b, Site: 0}}, time.Second, []time.Duration{312 * ms, 312 * ms}},
		{"gone-told", []trace.Request{{Time: 0, Model: b, Site: 1}, {Time: 40 * time.Second, Model: a, Site: 1}, {Time: 40500 * ms, Model: b, Site: 0}},
			0, []time.Duration{312 * ms, 22 * ms, 312 * ms}},
		{"gone-late", []trace.Request{{Time: 0, Model: b, Site: 1}, {Time: 40 * time.Second, Model: a, Site: 1}, {Time: 40500 * ms, Model: b, Site: 0}},
			time.Second, []time.Duration{312 * ms, 22 * ms, 332 * ms}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, cfg := tinyCluster()
			w.Requests = tt.reqs
			cfg.GossipDelay = tt.delay
			var got []time.Duration
			cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
			if _, err := RunCluster(w, cfg, Forwarding); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("latencies %v, want %v", got, tt.want)
			}
		})
	}
}

// TestClusterHintCommitDelay: tinyCluster with B hinted to n1 every
// 500 ms, the hints taking effect 400 ms after each plan: n1 preloads B
// at 0.9 s (ready at 1.2 s), so at 1 s n0 has no ready copy to forward
// to and loads B itself, evicting A (the only option): 312 ms, where
// hints that take effect at once give 32 ms (TestClusterTinyHandComputed).
func TestClusterHintCommitDelay(t *testing.T) {
	w, cfg := tinyCluster()
	cfg.Planner, cfg.HintInterval, cfg.HintCommitDelay = hintBOnSiteOne, 500*ms, 400*ms
	var got []time.Duration
	cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
	r, err := RunCluster(w, cfg, Full)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{22 * ms, 312 * ms, 22 * ms}; !slices.Equal(got, want) || r.Preloads != 1 {
		t.Fatalf("latencies %v, preloads %d; want %v, 1", got, r.Preloads, want)
	}
	cfg.HintCommitDelay = cfg.HintInterval
	if _, err := RunCluster(w, cfg, Full); err == nil {
		t.Fatal("a commit delay of a whole hint interval was accepted")
	}
}

// TestClusterPreloadTakesColdPlace: A at n0 at 0, B at n0 at 40 s, B
// hinted to n0 every 500 ms. At the plan at 30 s A has not been used for
// 30 s: the preload evicts it and loads B (ready at 30.3 s), and B's
// request hits, 2 + 10 = 12 ms, where a load in A's place would take
// 2 + 300 + 10 = 312 ms.
func TestClusterPreloadTakesColdPlace(t *testing.T) {
	w, cfg := tinyCluster()
	w.Requests = []trace.Request{{Time: 0, Model: 0, Site: 0}, {Time: 40 * time.Second, Model: 1, Site: 0}}
	cfg.HintInterval = 500 * ms
	cfg.Planner = HintPlannerFunc(func(_ time.Duration, v *RegionView) []NodeHints {
		if v.Region != "a" {
			return nil
		}
		return []NodeHints{{Node: v.Nodes[0].Node, Models: []int32{1}}}
	})
	var got []time.Duration
	cfg.Observe = func(_ int, lat time.Duration, _ Served) { got = append(got, lat) }
	r, err := RunCluster(w, cfg, Full)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{22 * ms, 12 * ms}; !slices.Equal(got, want) || r.Preloads != 1 {
		t.Fatalf("latencies %v, preloads %d; want %v, 1", got, r.Preloads, want)
	}
}
