package gossip

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
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
