package gossip

import (
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
)

func full(epoch int64, seq uint64, loaded ...string) *gossippb.NodeState {
	return &gossippb.NodeState{Node: "n", Epoch: epoch, Seq: seq, Loaded: loaded}
}

func delta(epoch int64, base, seq uint64, added, removed []string) *gossippb.NodeState {
	return &gossippb.NodeState{Node: "n", Epoch: epoch, Seq: seq, Delta: true, BaseSeq: base, Loaded: added, Removed: removed}
}

// loaded is what the table says node n has loaded, and whether it is behind.
func loaded(s *states) ([]string, bool) {
	st, behind, _ := s.get("n")
	if st == nil {
		return nil, false
	}
	return st.Loaded, behind
}

func TestStatesApplyFullAndStale(t *testing.T) {
	now := time.Now()
	s := newStates()
	if r := s.apply(full(1, 2, "a", "b"), now); r != applied {
		t.Fatalf("first full state: %v", r)
	}
	if r := s.apply(full(1, 1, "old"), now); r != stale {
		t.Fatalf("an older seq: %v, want stale", r)
	}
	if r := s.apply(full(1, 2, "same"), now); r != stale {
		t.Fatalf("the same seq: %v, want stale", r)
	}
	if l, _ := loaded(s); !slices.Equal(l, []string{"a", "b"}) {
		t.Fatalf("loaded %v", l)
	}
	if len(s.all()) != 1 {
		t.Fatal("all() must list the state")
	}
}

func TestStatesApplyDeltaOnItsBase(t *testing.T) {
	s := newStates()
	s.apply(full(1, 1, "a", "b", "c"), time.Now())
	if r := s.apply(delta(1, 1, 2, []string{"d", "0"}, []string{"b"}), time.Now()); r != applied {
		t.Fatalf("delta on its base: %v", r)
	}
	st, behind, _ := s.get("n")
	if behind || st.Delta || st.BaseSeq != 0 || len(st.Removed) != 0 || st.Seq != 2 {
		t.Fatalf("state %+v behind %v: want a full state at seq 2", st, behind)
	}
	if !slices.Equal(st.Loaded, []string{"0", "a", "c", "d"}) {
		t.Fatalf("loaded %v: want sorted a, c plus 0, d", st.Loaded)
	}
}

func TestStatesDeltaGapMarksBehindUntilAFullStateCatchesUp(t *testing.T) {
	s := newStates()
	s.apply(full(1, 1, "a"), time.Now())
	// Seq 2 was missed; 3 is a delta on 2.
	if r := s.apply(delta(1, 2, 3, []string{"c"}, nil), time.Now()); r != gap {
		t.Fatalf("delta on an unknown base: %v, want gap", r)
	}
	if _, behind := loaded(s); !behind {
		t.Fatal("after a gap the loaded set must be marked behind")
	}
	if len(s.all()) != 0 {
		t.Fatal("a behind state must not be passed on in push/pull")
	}
	// A full state older than the missed delta leaves it behind.
	s.apply(full(1, 2, "a", "b"), time.Now())
	if _, behind := loaded(s); !behind {
		t.Fatal("a full state at seq 2 cannot clear a gap at seq 3")
	}
	s.apply(full(1, 3, "a", "b", "c"), time.Now())
	if l, behind := loaded(s); behind || !slices.Equal(l, []string{"a", "b", "c"}) {
		t.Fatalf("after the full state at seq 3: %v behind %v", l, behind)
	}
	// A delta for an unknown node is a gap, and leaves no entry.
	if r := (newStates()).apply(delta(1, 1, 2, []string{"x"}, nil), time.Now()); r != gap {
		t.Fatalf("delta for an unknown node: %v", r)
	}
}

func TestStatesNewEpochWins(t *testing.T) {
	s := newStates()
	s.apply(full(1, 50, "old"), time.Now())
	// The restarted node counts from 1 again.
	if r := s.apply(full(2, 1, "fresh"), time.Now()); r != applied {
		t.Fatalf("a new epoch's first state: %v", r)
	}
	if l, behind := loaded(s); behind || !slices.Equal(l, []string{"fresh"}) {
		t.Fatalf("loaded %v behind %v", l, behind)
	}
	if r := s.apply(full(1, 51, "late"), time.Now()); r != stale {
		t.Fatalf("the previous run's state after the new one: %v, want stale", r)
	}
	// A delta of a newer epoch on an unknown base: behind, and the old
	// run's set is gone.
	if r := s.apply(delta(3, 4, 5, []string{"y"}, nil), time.Now()); r != gap {
		t.Fatalf("%v", r)
	}
	if l, behind := loaded(s); !behind || len(l) != 0 {
		t.Fatalf("loaded %v behind %v: want empty and behind", l, behind)
	}
	s.dropBefore("n", 3)
	if st, _, _ := s.get("n"); st == nil {
		t.Fatal("dropBefore dropped the current epoch")
	}
	s.dropBefore("n", 4)
	if st, _, _ := s.get("n"); st != nil {
		t.Fatal("dropBefore kept an earlier epoch")
	}
}

func TestStatesGapOfANewEpochForgetsTheOldRunsWant(t *testing.T) {
	s := newStates()
	s.apply(full(1, 1, "a"), time.Now())
	s.apply(delta(1, 40, 50, []string{"b"}, nil), time.Now()) // run 1 is behind, wanting 50
	s.apply(delta(2, 2, 3, []string{"c"}, nil), time.Now())   // run 2 starts; its seq 2 was missed
	s.apply(full(2, 3, "c"), time.Now())                      // run 2's full state at 3
	if l, behind := loaded(s); behind || !slices.Equal(l, []string{"c"}) {
		t.Fatalf("loaded %v behind %v: run 1's want (50) must not hold run 2 behind", l, behind)
	}
}

func TestStatesChainedDeltasCatchUp(t *testing.T) {
	s := newStates()
	s.apply(full(1, 1, "a"), time.Now())
	s.apply(delta(1, 2, 3, []string{"c"}, nil), time.Now()) // arrives before seq 2: gap
	s.apply(delta(1, 1, 2, []string{"b"}, nil), time.Now()) // seq 2 arrives late
	s.apply(delta(1, 2, 3, []string{"c"}, nil), time.Now()) // seq 3 again, from another member
	if l, behind := loaded(s); behind || !slices.Equal(l, []string{"a", "b", "c"}) {
		t.Fatalf("loaded %v behind %v: deltas up to the wanted seq make the set whole", l, behind)
	}
}

// TestStatesDeltaChangesStoredSet: a delta's stored and unstored models
// change the stored set as its loaded and removed ones change the loaded
// set, independently.
func TestStatesDeltaChangesStoredSet(t *testing.T) {
	s := newStates()
	base := full(1, 1, "a")
	base.Stored = []string{"a", "b", "c"}
	s.apply(base, time.Now())
	d := delta(1, 1, 2, nil, nil)
	d.Stored, d.Unstored = []string{"e"}, []string{"b"}
	if r := s.apply(d, time.Now()); r != applied {
		t.Fatalf("delta: %v", r)
	}
	st, _, _ := s.get("n")
	if !slices.Equal(st.Stored, []string{"a", "c", "e"}) || !slices.Equal(st.Loaded, []string{"a"}) || len(st.Unstored) != 0 {
		t.Fatalf("stored %v loaded %v unstored %v", st.Stored, st.Loaded, st.Unstored)
	}
}

func TestStatesDeltaCarriesTheWholeLoadingSet(t *testing.T) {
	s := newStates()
	base := full(1, 1, "a")
	base.Loading = []string{"b", "c"}
	s.apply(base, time.Now())
	d := delta(1, 1, 2, []string{"b"}, nil)
	d.Loading = []string{"x"} // b finished; x began: the set is whole, not a change
	if r := s.apply(d, time.Now()); r != applied {
		t.Fatalf("delta: %v", r)
	}
	st, _, _ := s.get("n")
	if !slices.Equal(st.Loading, []string{"x"}) || !slices.Equal(st.Loaded, []string{"a", "b"}) {
		t.Fatalf("loading %v loaded %v: want loading [x], loaded [a b]", st.Loading, st.Loaded)
	}
	if r := s.apply(delta(1, 2, 3, nil, nil), time.Now()); r != applied {
		t.Fatalf("delta: %v", r)
	}
	if st, _, _ := s.get("n"); len(st.Loading) != 0 {
		t.Fatalf("loading %v after a delta with none: want empty", st.Loading)
	}
}
