package node

import (
	"reflect"
	"testing"

	"github.com/edgeserve/edgeserve/gossip"
)

// TestRegionInput: the planner of region "m" gets its live members as
// nodes, the other regions' rates summed, the models they hold, and as
// kept next door only those held in a named region that sorts before "m";
// dead members and members without state count for nothing.
func TestRegionInput(t *testing.T) {
	st := func(loaded []string, rates ...gossip.Rate) *gossip.State {
		return &gossip.State{Loaded: loaded, Rates: rates, MemoryBudgetBytes: 100, MemoryHeadroomBytes: 40}
	}
	members := []gossip.Member{
		{Name: "m1", Region: "m", Site: "s1", Health: gossip.Alive, State: st([]string{"a:1"}, gossip.Rate{Model: "a:1", PerSecond: 2})},
		{Name: "m2", Region: "m", Health: gossip.Suspect, State: st(nil)},
		{Name: "m3", Region: "m", Health: gossip.Failed, State: st([]string{"z:1"})},
		{Name: "m4", Region: "m", Health: gossip.Alive},
		{Name: "e1", Region: "e", Health: gossip.Alive, State: st([]string{"b:1", "c:1"}, gossip.Rate{Model: "a:1", PerSecond: 0.5})},
		{Name: "x1", Region: "x", Health: gossip.Alive, State: st([]string{"c:1", "d:1"}, gossip.Rate{Model: "a:1", PerSecond: 0.25}, gossip.Rate{Model: "d:1", PerSecond: 1})},
		{Name: "n1", Health: gossip.Alive, State: st([]string{"f:1"})},
		{Name: "e2", Region: "e", Health: gossip.Left, State: st([]string{"g:1"})},
	}
	in := regionInput("m", members)
	var names []string
	for _, n := range in.Nodes {
		names = append(names, n.Name)
	}
	if !reflect.DeepEqual(names, []string{"m1", "m2"}) {
		t.Fatalf("nodes %v, want m1 and m2 (alive or suspect, with state, in m)", names)
	}
	if n := in.Nodes[0]; n.Site != "s1" || n.BudgetBytes != 100 || n.FreeBytes != 40 || n.Rates["a:1"] != 2 || !reflect.DeepEqual(n.Loaded, []string{"a:1"}) {
		t.Fatalf("m1 as planned: %+v", n)
	}
	if want := map[string]float64{"a:1": 0.75, "d:1": 1}; !reflect.DeepEqual(in.Neighbours, want) {
		t.Fatalf("neighbours %v, want %v", in.Neighbours, want)
	}
	if want := map[string]bool{"b:1": true, "c:1": true, "d:1": true, "f:1": true}; !reflect.DeepEqual(in.HeldNextDoor, want) {
		t.Fatalf("held next door %v, want %v", in.HeldNextDoor, want)
	}
	if want := map[string]bool{"b:1": true, "c:1": true}; !reflect.DeepEqual(in.KeptNextDoor, want) {
		t.Fatalf("kept next door %v, want %v (held in e, which sorts before m)", in.KeptNextDoor, want)
	}
}
