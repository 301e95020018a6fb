package route

import (
	"iter"
	"slices"
	"testing"
	"time"
)

// models yields (bytes, idle) pairs.
func models(pairs ...int64) iter.Seq2[int64, time.Duration] {
	return func(yield func(int64, time.Duration) bool) {
		for i := 0; i+1 < len(pairs); i += 2 {
			if !yield(pairs[i], time.Duration(pairs[i+1])*time.Second) {
				return
			}
		}
	}
}

func TestEvictsHot(t *testing.T) {
	const w = DefaultHotWindow
	for _, tt := range []struct {
		name       string
		need, free int64
		loaded     iter.Seq2[int64, time.Duration]
		want       bool
	}{
		{"fits in free memory", 50, 50, models(100, 0), false},
		{"nothing to evict", 60, 50, models(), true},
		{"an idle model covers the deficit", 60, 50, models(100, 1, 10, 40), false},
		{"idle models cover it together", 100, 50, models(30, 30, 100, 5, 20, 31), false},
		{"idle models fall short", 100, 50, models(30, 30, 100, 5, 19, 31), true},
		{"used just inside the window is hot", 60, 50, models(10, 29), true},
		{"idle for exactly the window is not", 60, 50, models(10, 30), false},
		{"a full node, only hot models", 40, 0, models(40, 0, 40, 29), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := EvictsHot(tt.need, tt.free, w, tt.loaded); got != tt.want {
				t.Fatalf("EvictsHot(%d, %d) = %v, want %v", tt.need, tt.free, got, tt.want)
			}
		})
	}
}

// TestEvictsHotStopsEarly: once idle models cover the deficit the rest
// are not asked for.
func TestEvictsHotStopsEarly(t *testing.T) {
	asked := 0
	loaded := func(yield func(int64, time.Duration) bool) {
		for range 10 {
			asked++
			if !yield(100, time.Hour) {
				return
			}
		}
	}
	if EvictsHot(150, 0, DefaultHotWindow, loaded) || asked != 2 {
		t.Fatalf("asked for %d models", asked)
	}
}

func victims(vs ...Victim) iter.Seq[Victim] { return slices.Values(vs) }

// worthCase is one case of TestWorthEvicting and TestWorthACopy.
type worthCase struct {
	name       string
	need, free int64
	d          Demand
	vs         []Victim
	want       bool
}

// A tail model used 20 s ago, whose misses cost little, and a head model
// used a second ago, whose misses cost a load.
var (
	hotTail = Victim{Bytes: 10, Idle: 20 * time.Second, Rate: 0.02, MissCost: 5 * ms}
	hotHead = Victim{Bytes: 10, Idle: time.Second, Rate: 1, MissCost: 300 * ms}
)

func TestWorthEvicting(t *testing.T) {
	const w = DefaultHotWindow
	sec := time.Second
	for _, tt := range []worthCase{
		{"fits in free memory", 10, 10, Demand{}, []Victim{hotHead}, true},
		{"an idle model makes the room, whatever the demand", 10, 0, Demand{}, []Victim{{Bytes: 10, Idle: w}, hotHead}, true},
		{"no demand yet: a hot model stays", 10, 0, Demand{Load: ms}, []Victim{hotTail}, false},
		// 0.5/s x 30 s x 60 ms = 0.9 s of forwards against a 5 ms load and
		// 0.02/s x 30 s x 5 ms of the tail model's misses.
		{"a model in demand takes a cold-ish model's place", 10, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 5 * ms}, []Victim{hotTail}, true},
		// 0.3 s of forwards against a 300 ms load and 3 ms of misses.
		{"a costly load is not worth a little demand", 10, 0, Demand{Rate: 0.5, Saved: 20 * ms, Load: 300 * ms}, []Victim{hotTail}, false},
		// The head model's misses: 1/s x 30 s x 300 ms = 9 s.
		{"a victim that would itself be missed stays", 10, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 5 * ms}, []Victim{hotHead}, false},
		{"the least recently used hot model goes first", 10, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 5 * ms}, []Victim{hotHead, hotTail}, true},
		{"both hot models needed: the head's misses count", 20, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 5 * ms}, []Victim{hotHead, hotTail}, false},
		{"not enough to evict", 30, 0, Demand{Rate: 100, Saved: sec}, []Victim{hotHead, hotTail}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := WorthEvicting(tt.need, tt.free, tt.d, w, victims(tt.vs...)); got != tt.want {
				t.Fatalf("WorthEvicting = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWorthACopy: a copy behind a forward pays its load even into free
// memory; otherwise it weighs the hot victims as WorthEvicting does.
func TestWorthACopy(t *testing.T) {
	const w = DefaultHotWindow
	sec := time.Second
	for _, tt := range []worthCase{
		{"no demand: no copy, even in free memory", 10, 10, Demand{Saved: 60 * ms, Load: ms}, nil, false},
		// 0.1/s x 30 s x 60 ms = 0.18 s of forwards against a 300 ms load.
		{"a little demand does not pay a costly load", 10, 10, Demand{Rate: 0.1, Saved: 60 * ms, Load: 300 * ms}, nil, false},
		// 0.5/s x 30 s x 60 ms = 0.9 s against 300 ms.
		{"demand that pays the load, free memory", 10, 10, Demand{Rate: 0.5, Saved: 60 * ms, Load: 300 * ms}, nil, true},
		{"an idle model's place is free", 10, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 300 * ms}, []Victim{{Bytes: 10, Idle: w}}, true},
		// 0.9 s against 300 ms + the tail's 3 ms.
		{"a cold-ish hot model's place", 10, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 300 * ms}, []Victim{hotTail}, true},
		// 0.9 s against 300 ms + the head's 9 s.
		{"a victim that would itself be missed stays", 10, 0, Demand{Rate: 0.5, Saved: 60 * ms, Load: 300 * ms}, []Victim{hotHead}, false},
		{"not enough to evict", 30, 0, Demand{Rate: 100, Saved: sec}, []Victim{hotHead, hotTail}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := WorthACopy(tt.need, tt.free, tt.d, w, victims(tt.vs...)); got != tt.want {
				t.Fatalf("WorthACopy = %v, want %v", got, tt.want)
			}
		})
	}
}
