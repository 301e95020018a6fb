package hints

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

const ms = time.Millisecond

func node(name, site string, budget, free int64, rates map[string]float64, loaded ...string) Node {
	return Node{Name: name, Site: site, BudgetBytes: budget, FreeBytes: free, Rates: rates, Loaded: loaded}
}

func hint(model string, copies int, reason Reason, nodes ...string) Hint {
	return Hint{Model: model, Copies: copies, Nodes: nodes, Reason: reason}
}

func checkHints(t *testing.T, got *Set, want ...Hint) {
	t.Helper()
	if want == nil {
		want = []Hint{}
	}
	if got.Hints == nil {
		got.Hints = []Hint{}
	}
	if !reflect.DeepEqual(got.Hints, want) {
		t.Fatalf("hints:\n got %+v\nwant %+v", got.Hints, want)
	}
	if err := Check(got); err != nil {
		t.Fatalf("plan breaks the rules: %v", err)
	}
}

// The worked example of docs/raft.md. Utilisation 0.6, cheap 0.9 under
// 100 ms, every model 100 bytes, rooms of 800 bytes.
//
//	a: 15 req/s * 0.1 s = 1.5 busy copies; / 0.6 = 2.5 -> 3 copies
//	b: same load, loads in 50 ms (cheap): 1.5 / 0.9 = 1.67 -> 2 copies
//	c: 0.5 req/s < HotRate 1: no hint
//	d: 5 req/s, warm run not measured -> 1 copy
//
// Value (req/s * load s / bytes): a 15*0.5/100, b 15*0.05/100, d 5*0.001/100,
// so the order is a, b, d. Round 1: a -> n1 (most a requests), b -> n3,
// d -> n4. Round 2: a -> site s2 (s1 has one): n3 has more free memory
// than n4; b -> site s1: n2 has more free memory than n1. Round 3: a's
// sites are even; n2 asks for a more than n4.
func TestPlanWorkedExample(t *testing.T) {
	in := Input{
		Nodes: []Node{
			node("n4", "s2", 1000, 400, map[string]float64{"d": 5}),
			node("n1", "s1", 1000, 300, map[string]float64{"a": 10, "c": 0.5}),
			node("n2", "s1", 1000, 600, map[string]float64{"a": 5}),
			node("n3", "s2", 1000, 500, map[string]float64{"b": 15}),
		},
		Models: map[string]Model{
			"a": {SizeBytes: 100, WarmRun: 100 * ms, FastLoad: 500 * ms},
			"b": {SizeBytes: 100, WarmRun: 100 * ms, FastLoad: 50 * ms},
			"c": {SizeBytes: 100, WarmRun: 100 * ms, FastLoad: 500 * ms},
			"d": {SizeBytes: 100},
		},
	}
	got := Plan(DefaultPlanConfig(), nil, in)
	checkHints(t, got,
		hint("a", 3, Demand, "n1", "n2", "n3"),
		hint("b", 2, Demand, "n2", "n3"),
		hint("d", 1, Demand, "n4"))
	want := []Rate{{Model: "a", PerSecond: 15}, {Model: "b", PerSecond: 15}, {Model: "d", PerSecond: 5}}
	if !reflect.DeepEqual(got.Demand, want) {
		t.Fatalf("demand %+v, want %+v", got.Demand, want)
	}
	if m := got.ForNode("n2"); !reflect.DeepEqual(m, []string{"a", "b"}) {
		t.Fatalf("n2 keeps %v", m)
	}
}

// Two nodes with 200 bytes of hint room each (budget 250 * 0.8) and
// models of 150 bytes: x (more valuable) wants 2 copies, y 1. x takes n1,
// y n2, and x's second copy finds no room: x is hinted on one node only.
func TestPlanNeverMoreThanANodeHolds(t *testing.T) {
	in := Input{
		Nodes: []Node{node("n1", "s", 250, 0, map[string]float64{"x": 30, "y": 2}), node("n2", "s", 250, 0, nil)},
		Models: map[string]Model{
			"x": {SizeBytes: 150, WarmRun: 50 * ms, FastLoad: time.Second},
			"y": {SizeBytes: 150, WarmRun: 50 * ms, FastLoad: time.Second},
			"z": {SizeBytes: 300, WarmRun: 50 * ms, FastLoad: time.Second},
		},
	}
	in.Nodes[1].Rates = map[string]float64{"z": 50}
	// x: 30*0.05/0.6 = 2.5 -> 3, capped at 2 nodes; z fits nowhere (300 > 200).
	checkHints(t, Plan(DefaultPlanConfig(), nil, in),
		hint("x", 2, Demand, "n1"),
		hint("y", 1, Demand, "n2"))
}

func TestCopiesHysteresis(t *testing.T) {
	cfg := DefaultPlanConfig() // utilisation 0.6, band 0.8
	facts := Model{SizeBytes: 1, WarmRun: 100 * ms, FastLoad: time.Second}
	// One copy carries 0.6/0.1 = 6 req/s; with the band 0.48/0.1 = 4.8.
	for _, c := range []struct {
		prev int
		rate float64
		want int
	}{
		{0, 12, 2},   // 1.2/0.6 = 2 exactly
		{0, 12.1, 3}, // just over
		{2, 12.5, 3}, // up at once
		{2, 5, 2},    // 1 copy would do at 0.6, not at 0.48: keep 2
		{2, 4.8, 1},  // 0.48/0.48 = 1: down
		{3, 9, 2},    // up 1.5 -> 2, down 0.9/0.48 = 1.875 -> 2
		{3, 11, 3},   // down 1.1/0.48 = 2.29 -> 3: keep
	} {
		w := &want{facts: facts, rate: c.rate}
		if c.prev > 0 {
			w.prev = hint("m", c.prev, Demand, "n1")
		}
		if got := copies(cfg, w); got != c.want {
			t.Errorf("prev %d at %v req/s: %d copies, want %d", c.prev, c.rate, got, c.want)
		}
	}
}

func TestHotHysteresis(t *testing.T) {
	facts := map[string]Model{"m": {SizeBytes: 1}}
	prev := &Set{Generation: 1, Hints: []Hint{hint("m", 1, Demand, "n1")}}
	for _, c := range []struct {
		rate   float64
		prev   *Set
		hinted bool
	}{
		{0.95, nil, false}, // below HotRate 1
		{1, nil, true},
		{0.85, prev, true},  // hinted, above 0.8
		{0.79, prev, false}, // below the band
	} {
		in := Input{Nodes: []Node{node("n1", "s", 10, 0, map[string]float64{"m": c.rate})}, Models: facts}
		if _, got := Plan(DefaultPlanConfig(), c.prev, in).Hint("m"); got != c.hinted {
			t.Errorf("rate %v, hinted before %v: hinted %v, want %v", c.rate, c.prev != nil, got, c.hinted)
		}
	}
}

// Demand that jitters by +-10% around the 2-to-3-copies boundary (12
// req/s) and shifts between nodes must not flap the hints: with the 0.8
// band they change at most once (2 copies up to 3); without a band (1.0)
// they flap.
func TestPlanJitterDoesNotFlap(t *testing.T) {
	for _, c := range []struct {
		band     float64
		maxFlips int
		minFlips int
	}{{0.8, 1, 0}, {1, 1000, 10}} {
		cfg := DefaultPlanConfig()
		cfg.Hysteresis = c.band
		rng := rand.New(rand.NewPCG(1, 2))
		models := map[string]Model{"m": {SizeBytes: 10, WarmRun: 100 * ms, FastLoad: time.Second}}
		var prev *Set
		flips := 0
		for range 200 {
			share := rng.Float64()
			rate := 12 * (0.9 + 0.2*rng.Float64())
			in := Input{Models: models, Nodes: []Node{
				node("n1", "a", 100, rng.Int64N(100), map[string]float64{"m": rate * share}),
				node("n2", "b", 100, rng.Int64N(100), map[string]float64{"m": rate * (1 - share)}),
				node("n3", "c", 100, rng.Int64N(100), nil),
			}}
			next := Plan(cfg, prev, in)
			if prev != nil && !next.SameHints(prev) {
				flips++
			}
			prev = next
		}
		if flips > c.maxFlips || flips < c.minFlips {
			t.Errorf("band %v: hints changed %d times, want %d..%d", c.band, flips, c.minFlips, c.maxFlips)
		}
	}
}

// A copy stays where it was hinted even when another node now asks for
// the model more, and moves when its node is gone.
func TestPlanKeepsCopiesInPlace(t *testing.T) {
	models := map[string]Model{"m": {SizeBytes: 10}}
	prev := &Set{Generation: 4, Hints: []Hint{hint("m", 1, Demand, "n2")}}
	in := Input{Models: models, Nodes: []Node{
		node("n1", "s", 100, 100, map[string]float64{"m": 9}),
		node("n2", "s", 100, 0, map[string]float64{"m": 1}),
	}}
	checkHints(t, Plan(DefaultPlanConfig(), prev, in), hint("m", 1, Demand, "n2"))
	in.Nodes = in.Nodes[:1]
	checkHints(t, Plan(DefaultPlanConfig(), prev, in), hint("m", 1, Demand, "n1"))
}

// A model that becomes hot is not crowded out by the copies that cooling
// models were hinted before: copies go round by round in order of value,
// a kept copy included. Three nodes with room for two models each; a and
// b (15 req/s) held three copies each; c (30 req/s, more valuable) now
// wants three too. Round 1: c, a, b one copy each; round 2: c and a their
// second (a on a node it held), b finds no room left; round 3: c its
// third. Before, a and b kept all six copies and c got none.
func TestPlanNewHotModelGetsItsCopies(t *testing.T) {
	model := Model{SizeBytes: 100, WarmRun: 100 * ms, FastLoad: 500 * ms}
	rates := map[string]float64{"a": 5, "b": 5, "c": 10}
	in := Input{Models: map[string]Model{"a": model, "b": model, "c": model}, Nodes: []Node{
		node("n1", "s", 250, 0, rates, "a", "b"),
		node("n2", "s", 250, 0, rates, "a", "b"),
		node("n3", "s", 250, 0, rates, "a", "b"),
	}}
	prev := &Set{Generation: 7, Hints: []Hint{hint("a", 3, Demand, "n1", "n2", "n3"), hint("b", 3, Demand, "n1", "n2", "n3")}}
	checkHints(t, Plan(DefaultPlanConfig(), prev, in),
		hint("a", 3, Demand, "n1", "n2"), hint("b", 3, Demand, "n3"), hint("c", 3, Demand, "n1", "n2", "n3"))
}

// A model loaded somewhere is hinted there rather than loaded elsewhere.
func TestPlanPrefersLoadedCopies(t *testing.T) {
	in := Input{Models: map[string]Model{"m": {SizeBytes: 10}}, Nodes: []Node{
		node("n1", "s", 100, 100, map[string]float64{"m": 9}),
		node("n2", "s", 100, 0, map[string]float64{"m": 1}, "m"),
	}}
	checkHints(t, Plan(DefaultPlanConfig(), nil, in), hint("m", 1, Demand, "n2"))
}

func TestPlanNeighbourCopy(t *testing.T) {
	in := Input{
		Models: map[string]Model{"here": {SizeBytes: 60}, "next": {SizeBytes: 60}, "far": {SizeBytes: 10}},
		Nodes: []Node{
			node("n1", "s", 100, 0, map[string]float64{"here": 2}),
			node("n2", "s", 100, 0, nil),
		},
		Neighbours: map[string]float64{"next": 3, "far": 0.5, "here": 9},
	}
	cfg := DefaultPlanConfig()
	// here (demand) first, on n1; next's copy goes to n2 (n1's room is 80-60).
	checkHints(t, Plan(cfg, nil, in), hint("here", 1, Demand, "n1"), hint("next", 1, Neighbour, "n2"))
	cfg.NeighbourRate = 0
	checkHints(t, Plan(cfg, nil, in), hint("here", 1, Demand, "n1"))
	// A neighbour hint keeps its copy down to 0.8 of NeighbourRate.
	prev := &Set{Generation: 1, Hints: []Hint{hint("far", 1, Neighbour, "n2")}}
	in.Neighbours["far"] = 0.85
	checkHints(t, Plan(DefaultPlanConfig(), prev, in), hint("far", 1, Neighbour, "n2"), hint("here", 1, Demand, "n1"), hint("next", 1, Neighbour, "n2"))
}

// TestPlanKeepsTheClusterCopy: a model still asked for (here or next door)
// that a node of the region has loaded, and no region before this one
// keeps, is hinted where it is loaded (Keep), after the demand and
// neighbour hints and within the hint room; one loaded nowhere, or asked
// for by no one, is not.
func TestPlanKeepsTheClusterCopy(t *testing.T) {
	models := map[string]Model{"hot": {SizeBytes: 40}, "t1": {SizeBytes: 40}, "t2": {SizeBytes: 40},
		"t3": {SizeBytes: 40}, "t4": {SizeBytes: 40}, "t5": {SizeBytes: 40}}
	in := Input{Models: models, Nodes: []Node{
		// n1: room for two hinted copies (100 * 0.8 = 80 bytes).
		node("n1", "s", 100, 0, map[string]float64{"hot": 3, "t1": 0.05}, "t1", "t2", "t5"),
		node("n2", "s", 100, 100, map[string]float64{"t4": 0.1}, "t3"),
	}, Neighbours: map[string]float64{"t3": 0.02, "t5": 0.5}}
	// hot (demand) takes one of n1's two places and t5 (0.5 requests/s,
	// worth more than t1's 0.05) the other: t1 finds n1 full. t2 is asked
	// for by no one; t3 is kept on n2, where it is loaded (not on n1, which
	// has none of it); t4 is loaded nowhere.
	checkHints(t, Plan(DefaultPlanConfig(), nil, in),
		hint("hot", 1, Demand, "n1"), hint("t3", 1, Keep, "n2"), hint("t5", 1, Keep, "n1"))
	// A region that sorts first keeps t3 and t5: this one keeps t1 in
	// t5's place.
	in.KeptNextDoor = map[string]bool{"t3": true, "t5": true}
	checkHints(t, Plan(DefaultPlanConfig(), nil, in), hint("hot", 1, Demand, "n1"), hint("t1", 1, Keep, "n1"))
	// A Keep hint stays down to 0.8 of KeepRate and goes below it.
	prev := &Set{Generation: 1, Hints: []Hint{hint("t1", 1, Keep, "n1")}}
	in.Nodes[0].Rates["t1"] = 0.009
	checkHints(t, Plan(DefaultPlanConfig(), prev, in), hint("hot", 1, Demand, "n1"), hint("t1", 1, Keep, "n1"))
	checkHints(t, Plan(DefaultPlanConfig(), nil, in), hint("hot", 1, Demand, "n1"))
	in.Nodes[0].Rates["t1"] = 0.007
	checkHints(t, Plan(DefaultPlanConfig(), prev, in), hint("hot", 1, Demand, "n1"))
	// Held next door too, where a region that sorts after this one asks
	// for it at 0.8 x HotRate: its demand hints keep it there. At less,
	// this region keeps it.
	in.Nodes[0].Rates["t1"] = 0.05
	in.HeldNextDoor, in.KeptNextDoor = map[string]bool{"t1": true}, nil
	in.Neighbours["t1"] = 0.8
	checkHints(t, Plan(DefaultPlanConfig(), nil, in), hint("hot", 1, Demand, "n1"), hint("t3", 1, Keep, "n2"), hint("t5", 1, Keep, "n1"))
	in.Neighbours["t1"] = 0.7 // 0.75 with t1's own: worth more than t5 (0.5)
	checkHints(t, Plan(DefaultPlanConfig(), nil, in), hint("hot", 1, Demand, "n1"), hint("t1", 1, Keep, "n1"), hint("t3", 1, Keep, "n2"))
	// KeepRate 0: no Keep hints.
	in.Nodes[0].Rates["t1"] = 0.05
	cfg := DefaultPlanConfig()
	cfg.KeepRate = 0
	checkHints(t, Plan(cfg, nil, in), hint("hot", 1, Demand, "n1"))
}

func TestPlanCaps(t *testing.T) {
	in := Input{Models: map[string]Model{"m": {SizeBytes: 1, WarmRun: time.Second}, "gone": {}},
		Nodes: []Node{node("a", "s", 10, 0, map[string]float64{"m": 100, "gone": 100}), node("b", "s", 10, 0, nil), node("c", "s", 10, 0, nil)}}
	// 100 busy copies wanted; three nodes; "gone" has no size (no facts).
	checkHints(t, Plan(DefaultPlanConfig(), nil, in), hint("m", 3, Demand, "a", "b", "c"))
	cfg := DefaultPlanConfig()
	cfg.MaxCopies = 2
	checkHints(t, Plan(cfg, nil, in), hint("m", 2, Demand, "a", "b"))
	// A deleted model (no facts) loses its hint.
	prev := &Set{Generation: 1, Hints: []Hint{hint("old", 1, Demand, "a")}}
	checkHints(t, Plan(cfg, prev, in), hint("m", 2, Demand, "a", "b"))
}

func TestPlanIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := Input{Models: map[string]Model{}, Neighbours: map[string]float64{}}
	for i := range 40 {
		m := string(rune('a'+i%26)) + string(rune('0'+i/26))
		in.Models[m] = Model{SizeBytes: 1 + rng.Int64N(50), WarmRun: time.Duration(rng.Int64N(int64(200 * ms))), FastLoad: time.Duration(rng.Int64N(int64(time.Second)))}
		in.Neighbours[m] = rng.Float64() * 3
	}
	for i := range 6 {
		rates := map[string]float64{}
		for m := range in.Models {
			rates[m] = rng.Float64() * 10
		}
		in.Nodes = append(in.Nodes, node(string(rune('p'+i)), string(rune('x'+i%2)), 400, rng.Int64N(400), rates))
	}
	a := Plan(DefaultPlanConfig(), nil, in)
	for range 5 {
		if b := Plan(DefaultPlanConfig(), nil, in); !reflect.DeepEqual(a, b) {
			t.Fatal("the same input planned twice differs")
		}
	}
	checkHints(t, a, a.Hints...)
	for _, n := range in.Nodes {
		var used int64
		for _, m := range a.ForNode(n.Name) {
			used += in.Models[m].SizeBytes
		}
		if used > 320 {
			t.Errorf("%s is hinted %d bytes, more than 0.8 of 400", n.Name, used)
		}
	}
}

func TestPlanConfigValidate(t *testing.T) {
	if err := DefaultPlanConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []func(*PlanConfig){
		func(c *PlanConfig) { c.HotRate = 0 },
		func(c *PlanConfig) { c.Utilisation = 1.5 },
		func(c *PlanConfig) { c.CheapUtilisation = 0 },
		func(c *PlanConfig) { c.Hysteresis = 0 },
		func(c *PlanConfig) { c.HintShare = 2 },
		func(c *PlanConfig) { c.MaxCopies = -1 },
		func(c *PlanConfig) { c.NeighbourRate = -1 },
		func(c *PlanConfig) { c.KeepRate = -0.1 },
		func(c *PlanConfig) { c.PassedWindow = -time.Second },
	} {
		c := DefaultPlanConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
	}
}

// TestRatePerCopy: a demand hint's copies share the region's rate, a
// neighbour hint's copy the rate next door; a model without a hint or
// without a recorded rate has none.
func TestRatePerCopy(t *testing.T) {
	s := &Set{
		Hints: []Hint{
			{Model: "a", Copies: 2, Nodes: []string{"n1", "n2"}, Reason: Demand},
			{Model: "b", Copies: 1, Nodes: []string{"n3"}, Reason: Neighbour},
			{Model: "c", Copies: 1, Nodes: []string{"n1"}, Reason: Demand},
			{Model: "d", Copies: 3, Nodes: []string{"n2"}, Reason: Demand}, // short of room: one copy placed
		},
		Demand: []Rate{{Model: "a", PerSecond: 3, NeighbourPerSecond: 10}, {Model: "b", PerSecond: 0.2, NeighbourPerSecond: 1.5},
			{Model: "d", PerSecond: 6}, {Model: "e", PerSecond: 9}},
	}
	for _, tc := range []struct {
		model string
		want  float64
	}{{"a", 1.5}, {"b", 1.5}, {"c", 0}, {"d", 6}, {"e", 0}, {"zz", 0}} {
		if got := s.RatePerCopy(tc.model); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.model, got, tc.want)
		}
	}
}
