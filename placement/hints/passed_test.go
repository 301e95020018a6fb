package hints

import (
	"testing"
	"time"
)

// passedInput is one region node asking for here, and the neighbours'
// rates next; every model 10 bytes in a room of 100.
func passedInput(here, next map[string]float64) Input {
	in := Input{Models: map[string]Model{}, Neighbours: next, Nodes: []Node{node("n1", "s", 100, 100, here)}}
	for _, rates := range []map[string]float64{here, next} {
		for m := range rates {
			in.Models[m] = Model{SizeBytes: 10}
		}
	}
	return in
}

// TestPassedDemandThatLeft: a model the region was hot on while the
// neighbours' demand for it rose gets no neighbour copy once the region
// cools; a model the region never asked for gets one. Without the memory
// (PassedWindow 0) both do.
func TestPassedDemandThatLeft(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, window := range []time.Duration{time.Minute, 0} {
		cfg := DefaultPlanConfig()
		cfg.PassedWindow = window
		p := NewPassed()
		steps := []struct {
			at         time.Duration
			here, next map[string]float64
		}{
			{0, map[string]float64{"gone": 3}, map[string]float64{}},
			{10 * time.Second, map[string]float64{"gone": 2}, map[string]float64{"gone": 2, "coming": 2}},
			{40 * time.Second, map[string]float64{"gone": 0.1}, map[string]float64{"gone": 3, "coming": 3}},
		}
		var in Input
		for _, s := range steps {
			in = passedInput(s.here, s.next)
			p.Fill(cfg, t0.Add(s.at), &in)
		}
		set := Plan(cfg, nil, in)
		if window == 0 {
			if in.Passed != nil {
				t.Fatalf("window 0: passed %v", in.Passed)
			}
			checkHints(t, set, hint("coming", 1, Neighbour, "n1"), hint("gone", 1, Neighbour, "n1"))
			continue
		}
		if !in.Passed["gone"] || in.Passed["coming"] {
			t.Fatalf("passed %v, want gone only", in.Passed)
		}
		checkHints(t, set, hint("coming", 1, Neighbour, "n1"))
	}
}

// TestPassedWindow: demand that cooled here counts as passed on to an
// episode next door that begins within PassedWindow after, not later;
// an episode ends when the neighbours' rate falls below the band, and a
// new one is judged afresh; a model left out of the input is forgotten.
func TestPassedWindow(t *testing.T) {
	cfg := DefaultPlanConfig() // a minute
	t0 := time.Unix(1000, 0)
	p := NewPassed()
	fill := func(at time.Duration, here, next map[string]float64) map[string]bool {
		in := passedInput(here, next)
		p.Fill(cfg, t0.Add(at), &in)
		return in.Passed
	}
	fill(0, map[string]float64{"a": 2, "b": 2}, nil)
	// a's episode next door begins 50 s after the region's last hot plan,
	// b's 90 s after: only a passed.
	fill(20*time.Second, map[string]float64{"a": 0.2, "b": 0.2}, nil)
	if got := fill(50*time.Second, nil, map[string]float64{"a": 1.5}); !got["a"] || len(got) != 1 {
		t.Fatalf("at 50 s: %v, want a", got)
	}
	if got := fill(90*time.Second, nil, map[string]float64{"a": 1.5, "b": 1.5}); !got["a"] || got["b"] {
		t.Fatalf("at 90 s: %v, want a and not b", got)
	}
	// Within the band (0.8 of NeighbourRate 1) a's episode goes on; below
	// it, it ends, and the next one (long after the region was hot) is not
	// passed.
	if got := fill(100*time.Second, nil, map[string]float64{"a": 0.85}); !got["a"] {
		t.Fatalf("at 100 s: %v, want a still passed", got)
	}
	fill(110*time.Second, nil, map[string]float64{"a": 0.5})
	if got := fill(120*time.Second, nil, map[string]float64{"a": 1.5}); got["a"] {
		t.Fatalf("at 120 s: %v, want a's new episode not passed", got)
	}
	if len(p.hot) != 0 {
		t.Fatalf("remembers %v, hot over a minute before and no episode", p.hot)
	}
	// A deleted model (no facts) is forgotten with its episode.
	fill(130*time.Second, map[string]float64{"c": 2}, map[string]float64{"c": 2})
	in := Input{Nodes: []Node{node("n1", "s", 100, 100, nil)}, Models: map[string]Model{}}
	p.Fill(cfg, t0.Add(140*time.Second), &in)
	if len(p.next) != 0 || in.Passed != nil {
		t.Fatalf("after deletion: episodes %v, passed %v", p.next, in.Passed)
	}
}

// TestPassedOffWithoutNeighbourHints: with NeighbourRate 0 nothing is
// remembered or marked.
func TestPassedOffWithoutNeighbourHints(t *testing.T) {
	cfg := DefaultPlanConfig()
	cfg.NeighbourRate = 0
	p := NewPassed()
	in := passedInput(map[string]float64{"a": 5}, map[string]float64{"a": 5})
	in.Passed = map[string]bool{"stale": true}
	p.Fill(cfg, time.Unix(1, 0), &in)
	if in.Passed != nil || len(p.hot)+len(p.next) != 0 {
		t.Fatalf("passed %v, memory %v %v", in.Passed, p.hot, p.next)
	}
}
