package gossip

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/memberlist"
	"google.golang.org/protobuf/proto"
)

// A push/pull re-delivers each node's last state, with the coordinate it
// had when it was published; that must not replace the fresher coordinate
// learned since (from a probe or a newer state).
func TestStaleStateDoesNotRewindACoordinate(t *testing.T) {
	g := bareGossip("self")
	st := validState()
	old := proto.Clone(st.Coordinate).(*gossippb.Coordinate)
	g.applyState(st)
	fresh := validCoordinate()
	fresh.Vec[0] = 0.050
	if err := g.coords.observe("n1", fromWire(fresh), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	before, _ := g.coords.rtt("n1")
	g.handleSnapshot(mustEncode(t, &gossippb.Snapshot{States: []*gossippb.NodeState{st}})) // the same (stale) state again
	after, _ := g.coords.rtt("n1")
	if after != before {
		t.Fatalf("predicted RTT %v after a stale state, %v before: the stale coordinate %v replaced the probe's", after, before, old.Vec[:2])
	}
	newer := validState()
	newer.Seq++
	newer.Coordinate.Vec[0] = 0.1
	g.applyState(newer)
	if got, _ := g.coords.rtt("n1"); got == before {
		t.Fatal("a newer state's coordinate was not taken")
	}
}

// A node declared failed that refutes (it was only slow) must be whole
// again at once: its state is kept while it is failed, though not passed
// on in push/pull; a node that left is forgotten.
func TestFailedNodesStateIsKeptForItsReturn(t *testing.T) {
	g := bareGossip("self")
	n1 := &memberlist.Node{Name: "n1", Meta: mustEncode(t, &gossippb.NodeMeta{Region: "r0"})}
	eventDelegate{g}.NotifyJoin(n1)
	g.applyState(validState())
	eventDelegate{g}.NotifyLeave(n1) // failed: no leaving state came first
	if st, _, _ := g.states.get("n1"); st == nil || len(st.Loaded) != 2 {
		t.Fatal("a failed node's state was dropped: it would be missing until the next push/pull if it refutes")
	}
	if s, _ := decodeSnapshot(g.snapshot()); len(s.States) != 0 {
		t.Fatal("a failed node's state went into push/pull")
	}
	eventDelegate{g}.NotifyJoin(n1) // it refuted
	if s, _ := decodeSnapshot(g.snapshot()); len(s.States) != 1 {
		t.Fatal("the returned node's state is not passed on")
	}
	leaving := validState()
	leaving.Seq, leaving.Leaving = 9, true
	g.applyState(leaving)
	eventDelegate{g}.NotifyLeave(n1)
	if st, _, _ := g.states.get("n1"); st != nil {
		t.Fatal("a node that left is still in the table")
	}
}
