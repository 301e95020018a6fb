package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/edgeserve/edgeserve/placement/profile"
)

// threeModelRegion is region a of two nodes (topology nodes 7 and 9, in
// sites s0 and s1, 100 bytes each, n00009 with 60 free) and three models
// of 40 bytes: m0 (run 100 ms, load 1 s), m1 (run 10 ms, load 50 ms: a
// cheap load), m2 (asked for only elsewhere).
func threeModelRegion(m0n7, m0n9 float64) *RegionView {
	return &RegionView{Region: "a",
		Models: []profile.Model{timed("M0", 40, time.Second, 100*ms), timed("M1", 40, 50*ms, 10*ms), timed("M2", 40, time.Second, 10*ms)},
		Nodes: []HintNode{
			{Node: 7, Name: "n00007", Site: "s0", BudgetBytes: 100, FreeBytes: 100,
				Rates: []ModelRate{{0, m0n7}, {1, 0.5}}},
			{Node: 9, Name: "n00009", Site: "s1", BudgetBytes: 100, FreeBytes: 60,
				Rates: []ModelRate{{0, m0n9}, {1, 0.6}}},
		},
		Elsewhere: []float64{0, 0, 2},
	}
}

// TestHintsPlannerHandComputed runs placement/hints' default rules
// through the adapter on threeModelRegion, worked out by hand (hint room
// is 80% of 100 bytes: two models per node):
//
// Plan 1: m0 at 8/s needs ceil(8 x 0.1 / 0.6) = 2 copies; m1 at 1.1/s
// one (cheap: 1.1 x 0.01 / 0.9); m2, at 2/s elsewhere, one neighbour
// copy. Demand first, by load time saved per byte (m0, then m1), then m2.
// First copies: m0 to n7 (it asks more), m1 to n9 (it asks more), m2 to
// n7 (more free memory); then m0's second copy to n9. n7: m0, m2; n9: m0,
// m1.
//
// Plan 2, m0 down to 0.9/s, under the hot rate but within the band
// (0.8): it stays hinted, with ceil(0.09 / (0.6 x 0.8)) = 1 copy, kept on
// n7 (it asks more). A planner without the previous hints does not hint
// m0 at all.
//
// Plan 3, m0 at 0.7/s, below the band: no hint.
func TestHintsPlannerHandComputed(t *testing.T) {
	p, err := NewHintsPlanner(hints.DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		m0n7, m0n9 float64
		want       []NodeHints
	}{
		{5, 3, []NodeHints{{7, []int32{0, 2}}, {9, []int32{0, 1}}}},
		{0.5, 0.4, []NodeHints{{7, []int32{0, 2}}, {9, []int32{1}}}},
		{0.4, 0.3, []NodeHints{{9, []int32{1}}, {7, []int32{2}}}},
	}
	for i, s := range steps {
		got := p.Plan(0, threeModelRegion(s.m0n7, s.m0n9))
		if !sameNodeHints(got, s.want) {
			t.Fatalf("plan %d: %v, want %v", i+1, got, s.want)
		}
	}
	if h, ok := p.Previous("a").Hint("m1"); !ok || h.Reason != hints.Demand || h.Copies != 1 {
		t.Fatalf("m1's hint %+v", h)
	}
	if h, _ := p.Previous("a").Hint("m2"); h.Reason != hints.Neighbour {
		t.Fatalf("m2's hint %+v", h)
	}
	fresh := p.Fresh()
	if got := fresh.Plan(0, threeModelRegion(0.5, 0.4)); !sameNodeHints(got, []NodeHints{{9, []int32{1}}, {7, []int32{2}}}) {
		t.Fatalf("a fresh planner at 0.9/s: %v", got)
	}
	if p.Previous("b") != nil {
		t.Fatal("a region never planned has hints")
	}
}

func sameNodeHints(a, b []NodeHints) bool {
	return slices.EqualFunc(a, b, func(x, y NodeHints) bool { return x.Node == y.Node && slices.Equal(x.Models, y.Models) })
}

// TestHintsPlannerSameAsPlan: on random regions planned again and again,
// the adapter (which leaves models without demand out of the input)
// hints exactly what hints.Plan hints from every model and rate.
func TestHintsPlannerSameAsPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p, err := NewHintsPlanner(hints.DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.Config() // without keep hints
	if cfg.KeepRate != 0 {
		t.Fatalf("the simulator's planner keeps copies (KeepRate %v)", cfg.KeepRate)
	}
	var prev *hints.Set
	passed := hints.NewPassed()
	for round := range 40 {
		v := randomRegion(rng)
		now := time.Duration(round) * 20 * time.Second
		got := p.Plan(now, v)
		in := fullInput(v)
		passed.Fill(cfg, SimTime(now), &in)
		prev = hints.Plan(cfg, prev, in)
		if !p.Previous(v.Region).SameHints(prev) {
			t.Fatalf("round %d: adapter %+v\nplan %+v", round, p.Previous(v.Region).Hints, prev.Hints)
		}
		want := 0
		for _, h := range prev.Hints {
			want += len(h.Nodes)
		}
		n := 0
		for _, nh := range got {
			n += len(nh.Models)
		}
		if n != want {
			t.Fatalf("round %d: %d node hints, want %d", round, n, want)
		}
	}
}

// randomRegion is 6 nodes in 3 sites and 30 models, rates around and on
// the thresholds.
func randomRegion(rng *rand.Rand) *RegionView {
	v := &RegionView{Region: "r"}
	for k := range 30 {
		v.Models = append(v.Models, timed(fmt.Sprint(k), 10+rng.Int64N(40), time.Duration(rng.IntN(2000))*ms, time.Duration(1+rng.IntN(300))*ms))
		v.Elsewhere = append(v.Elsewhere, []float64{0, 0.8, 1, rng.Float64() * 1.5}[rng.IntN(4)])
	}
	for i := range 6 {
		n := HintNode{Node: i, Name: fmt.Sprintf("n%d", i), Site: fmt.Sprintf("s%d", i%3), BudgetBytes: 200, FreeBytes: rng.Int64N(200)}
		for k := range v.Models {
			switch rng.IntN(6) {
			case 0, 1:
				n.Rates = append(n.Rates, ModelRate{int32(k), rng.Float64() * 0.6})
			case 2: // tenths, whose sums land on the thresholds
				n.Rates = append(n.Rates, ModelRate{int32(k), float64(rng.IntN(6)) / 10})
			}
			if rng.IntN(5) == 0 {
				n.Loaded = append(n.Loaded, int32(k))
			}
		}
		v.Nodes = append(v.Nodes, n)
	}
	return v
}

// fullInput is v as hints.Plan's input with every model and rate.
func fullInput(v *RegionView) hints.Input {
	in := hints.Input{Models: map[string]hints.Model{}, Neighbours: map[string]float64{}}
	for k, m := range v.Models {
		key := "m" + strconv.Itoa(k)
		in.Models[key] = hints.Model{SizeBytes: m.SizeBytes, WarmRun: m.RunTime, FastLoad: m.LoadTime}
		in.Neighbours[key] = v.Elsewhere[k]
	}
	for _, n := range v.Nodes {
		h := hints.Node{Name: n.Name, Site: n.Site, BudgetBytes: n.BudgetBytes, FreeBytes: n.FreeBytes, Rates: map[string]float64{}}
		for _, r := range n.Rates {
			h.Rates["m"+strconv.Itoa(int(r.Model))] = r.PerSecond
		}
		for _, k := range n.Loaded {
			h.Loaded = append(h.Loaded, "m"+strconv.Itoa(int(k)))
		}
		in.Nodes = append(in.Nodes, h)
	}
	return in
}

func TestNewHintsPlannerRejects(t *testing.T) {
	cfg := hints.DefaultPlanConfig()
	cfg.HotRate = 0
	if _, err := NewHintsPlanner(cfg); err == nil {
		t.Fatal("hot rate 0 accepted")
	}
}
