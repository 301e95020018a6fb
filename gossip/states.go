package gossip

import (
	"slices"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"google.golang.org/protobuf/proto"
)

// applyResult is what became of a received node state.
type applyResult int

const (
	applied applyResult = iota // it replaced what was known
	stale                      // it was no newer than what was known
	gap                        // a delta whose base was not known: the node's loaded set waits for a full state
)

// states is every node's latest state as this node knows it, in full form.
type states struct {
	mu     sync.Mutex
	byNode map[string]*nodeEntry // guarded by mu
}

type nodeEntry struct {
	state *gossippb.NodeState // full form
	// behind is set when a delta could not be applied: the loaded set is
	// older than the node's sequence want, until a full state at least that
	// new arrives.
	behind  bool
	want    uint64
	updated time.Time
}

func newStates() *states { return &states{byNode: map[string]*nodeEntry{}} }

// after reports whether (epoch, seq) of a is past b's.
func after(a, b *gossippb.NodeState) bool {
	if a.Epoch != b.Epoch {
		return a.Epoch > b.Epoch
	}
	return a.Seq > b.Seq
}

// apply merges a received state.
func (s *states) apply(in *gossippb.NodeState, now time.Time) applyResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.byNode[in.Node]
	if cur != nil && !after(in, cur.state) {
		return stale
	}
	if !in.Delta {
		e := &nodeEntry{state: proto.Clone(in).(*gossippb.NodeState), updated: now}
		if cur != nil && cur.behind && cur.state.Epoch == in.Epoch && in.Seq < cur.want {
			e.behind, e.want = true, cur.want
		}
		s.byNode[in.Node] = e
		return applied
	}
	if cur == nil || cur.state.Epoch != in.Epoch || cur.state.Seq != in.BaseSeq {
		if cur != nil && (cur.state.Epoch == in.Epoch || in.Epoch > cur.state.Epoch) {
			if in.Epoch > cur.state.Epoch {
				// A new run: what the previous run's deltas wanted is moot.
				cur.state = &gossippb.NodeState{Node: in.Node, Epoch: in.Epoch, Seq: in.BaseSeq}
				cur.want = 0
			}
			cur.behind, cur.want = true, max(cur.want, in.Seq)
		}
		return gap
	}
	cur.state = applyDelta(cur.state, in)
	cur.updated = now
	if cur.behind && cur.state.Seq >= cur.want {
		// The missed delta arrived after all: the chain is whole again.
		cur.behind, cur.want = false, 0
	}
	return applied
}

// applyDelta is base with the delta's changes to the loaded and stored
// sets and the delta's other fields.
func applyDelta(base, d *gossippb.NodeState) *gossippb.NodeState {
	out := proto.Clone(d).(*gossippb.NodeState)
	out.Delta, out.BaseSeq, out.Removed, out.Unstored = false, 0, nil, nil
	out.Loaded = applySet(base.Loaded, d.Loaded, d.Removed)
	out.Stored = applySet(base.Stored, d.Stored, d.Unstored)
	return out
}

// applySet is base without removed, with added, sorted.
func applySet(base, added, removed []string) []string {
	gone := make(map[string]bool, len(removed))
	for _, m := range removed {
		gone[m] = true
	}
	out := make([]string, 0, len(base)+len(added))
	for _, m := range base {
		if !gone[m] {
			out = append(out, m)
		}
	}
	out = append(out, added...)
	slices.Sort(out)
	return slices.Compact(out)
}

// get returns a copy of a node's state and whether its loaded set is behind.
func (s *states) get(node string) (*gossippb.NodeState, bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byNode[node]
	if e == nil {
		return nil, false, time.Time{}
	}
	return proto.Clone(e.state).(*gossippb.NodeState), e.behind, e.updated
}

// drop forgets a node (it failed or left); its models leave every view.
func (s *states) drop(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byNode, node)
}

// dropBefore forgets a node's state from an earlier run (epoch).
func (s *states) dropBefore(node string, epoch int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.byNode[node]; e != nil && e.state.Epoch < epoch {
		delete(s.byNode, node)
	}
}

// all returns every full state that is not behind.
func (s *states) all() []*gossippb.NodeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*gossippb.NodeState, 0, len(s.byNode))
	for _, e := range s.byNode {
		if !e.behind {
			out = append(out, proto.Clone(e.state).(*gossippb.NodeState))
		}
	}
	slices.SortFunc(out, func(a, b *gossippb.NodeState) int {
		if a.Node < b.Node {
			return -1
		}
		if a.Node > b.Node {
			return 1
		}
		return 0
	})
	return out
}
