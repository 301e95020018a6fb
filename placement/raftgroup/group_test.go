package raftgroup

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/hints"
)

// hinted reports whether s hints model on exactly nodes.
func hinted(s *hints.Set, model string, nodes ...string) bool {
	h, ok := s.Hint(model)
	return ok && slices.Equal(h.Nodes, nodes)
}

// Three regions of three nodes each form three groups: each elects its
// own leader, holds its own three nodes, and commits hints that all of
// its nodes apply.
func TestRegionsElectTheirOwnLeaders(t *testing.T) {
	var regions []*region
	for _, name := range []string{"eu", "us", "ap"} {
		r := newRegion(t, name, 3, 3)
		r.src.setInput(demand("model-"+name, 12, r.names()...)) // 12*0.1/0.6 = 2 copies
		regions = append(regions, r)
	}
	for _, r := range regions {
		r.startAll()
	}
	for _, r := range regions {
		l := r.leader()
		testutil.Eventually(t, r.name+"'s configuration", func() bool { return slices.Equal(servers(l.g), r.names()) })
		model := "model-" + r.name
		r.waitHints("hints of "+model, func(s *hints.Set) bool {
			h, ok := s.Hint(model)
			return ok && h.Copies == 2 && len(h.Nodes) == 2 && len(s.Hints) == 1
		})
		st := l.g.Status()
		if st.State != "Leader" || st.Leader != l.name || st.Term == 0 || st.Hints.Leader != l.name || len(st.Servers) != 3 {
			t.Errorf("%s leader's status: %+v", r.name, st)
		}
	}
}

// Killing a leader: another node takes office and commits hints (under
// the 5 s; the measured figure is in docs/raft.md).
func TestLeaderKilledNewLeaderCommits(t *testing.T) {
	r := newRegion(t, "eu", 3, 3)
	r.src.setInput(demand("m", 3, r.names()...))
	r.startAll()
	old := r.leader()
	r.waitHints("first hints", func(s *hints.Set) bool { return s.Leader == old.name })
	killed := time.Now()
	r.kill(old)
	l := r.leader()
	r.waitHints("hints by the new leader", func(s *hints.Set) bool { return s.Leader == l.name })
	took := time.Since(killed)
	t.Logf("leader killed -> new leader %s committed hints in %v", l.name, took)
	if took > 5*time.Second {
		t.Errorf("the new leader took %v to commit hints, the issue allows 5 s", took)
	}
}

// A node restarted from its files has its hints at once (from the
// snapshot Close took), before it reaches anyone, and catches up once it
// does; a region killed whole recovers its hints from the log.
func TestRestartRecoversHints(t *testing.T) {
	r := newRegion(t, "eu", 3, 3)
	r.src.setInput(demand("a", 3, r.names()...))
	r.startAll()
	l := r.leader()
	r.waitHints("hints of a", func(s *hints.Set) bool { _, ok := s.Hint("a"); return ok })
	var f *testNode
	for _, n := range r.nodes {
		if n != l {
			f = n
		}
	}
	before := f.g.Hints()
	if err := f.g.Close(); err != nil {
		t.Fatal(err)
	}
	f.g = nil
	r.src.setInput(demand("b", 3, r.names()...))
	r.waitHints("hints of b", func(s *hints.Set) bool { _, ok := s.Hint("b"); return ok })

	f.net.setCut(true)
	r.start(f)
	if got := f.g.Hints(); got.Generation != before.Generation || !got.SameHints(before) {
		t.Fatalf("restarted with %+v, had %+v", got, before)
	}
	f.net.setCut(false)
	r.waitHints("the restarted node to catch up", func(s *hints.Set) bool { _, ok := s.Hint("b"); return ok })

	last := l.g.Hints().Generation
	for _, n := range r.nodes {
		r.kill(n)
	}
	for _, n := range r.nodes {
		r.start(n)
	}
	r.leader()
	r.waitHints("hints recovered from the log", func(s *hints.Set) bool { _, ok := s.Hint("b"); return ok && s.Generation > last })
}

// A node cut off from its region keeps serving its last hints; the rest
// commit new ones; after the heal it catches up. A region without quorum
// commits nothing new and still answers reads.
func TestPartitionKeepsHintsAndCatchesUp(t *testing.T) {
	r := newRegion(t, "eu", 3, 3)
	r.src.setInput(demand("a", 3, r.names()...))
	r.startAll()
	l := r.leader()
	r.waitHints("hints of a", func(s *hints.Set) bool { _, ok := s.Hint("a"); return ok })
	var cut *testNode
	for _, n := range r.nodes {
		if n != l {
			cut = n
			break
		}
	}
	cut.net.setCut(true)
	r.src.setInput(demand("b", 3, r.names()...))
	testutil.Eventually(t, "the majority to commit b", func() bool { _, ok := l.g.Hints().Hint("b"); return ok })
	if _, ok := cut.g.Hints().Hint("a"); !ok {
		t.Fatalf("the cut node lost its hints: %+v", cut.g.Hints())
	}
	cut.net.setCut(false)
	r.waitHints("the healed node to catch up", func(s *hints.Set) bool { _, ok := s.Hint("b"); return ok })

	// Quorum lost: both followers cut.
	for _, n := range r.nodes {
		if n != l {
			n.net.setCut(true)
		}
	}
	testutil.Eventually(t, "the leader to step down", func() bool { return !l.g.IsLeader() })
	gen := l.g.Hints().Generation
	r.src.setInput(demand("c", 3, r.names()...))
	// An absence needs a window: three plan intervals.
	time.Sleep(3 * l.g.cfg.PlanInterval)
	for _, n := range r.nodes {
		if s := n.g.Hints(); s.Generation > gen {
			t.Fatalf("%s: generation %d after quorum loss", n.name, s.Generation)
		}
		if _, ok := n.g.Hints().Hint("b"); !ok {
			t.Fatalf("%s lost its hints without quorum", n.name)
		}
	}
}

// regionWithMEverywhere starts three nodes of eu whose demand for m wants
// five busy copies (so a copy on each node), and waits for those hints;
// it returns the region, its node names and its leader.
func regionWithMEverywhere(t *testing.T) (*region, []string, *testNode) {
	t.Helper()
	r := newRegion(t, "eu", 3, 3)
	names := r.names()
	r.src.setInput(demand("m", 30, names...))
	r.startAll()
	l := r.leader()
	r.waitHints("m on every node", func(s *hints.Set) bool { return hinted(s, "m", names...) })
	return r, names, l
}

// Handover moves the node's copies to the others and takes it out of the
// configuration; a leader first hands leadership over.
func TestHandover(t *testing.T) {
	r, names, l := regionWithMEverywhere(t)
	var f *testNode
	for _, n := range r.nodes {
		if n != l {
			f = n
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.g.Handover(ctx); err != nil {
		t.Fatal(err)
	}
	rest := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == f.name })
	if s := l.g.Hints(); !hinted(s, "m", rest...) {
		t.Fatalf("after %s handed over: %+v", f.name, s.Hints)
	}
	if slices.Contains(servers(l.g), f.name) {
		t.Fatalf("%s is still in the configuration %v", f.name, servers(l.g))
	}
	// It stays out while gossip still shows it alive (an absence needs a
	// window: five reconcile intervals).
	time.Sleep(5 * l.g.cfg.ReconcileInterval)
	if slices.Contains(servers(l.g), f.name) || !hinted(l.g.Hints(), "m", rest...) {
		t.Fatalf("%s came back: %v, %+v", f.name, servers(l.g), l.g.Hints().Hints)
	}
	f.g.Close()
	f.g = nil
	r.reg.health(f.name, Left)

	if err := l.g.Handover(ctx); err != nil {
		t.Fatal(err)
	}
	other := slices.DeleteFunc(slices.Clone(rest), func(n string) bool { return n == l.name })
	r.waitHints("the old leader's copies moved", func(s *hints.Set) bool { return hinted(s, "m", other...) })
	if l.g.IsLeader() {
		t.Fatal("the node that handed over still leads")
	}
}

// A node that handed over and was started again before the leader saw it
// gone (a quick restart: gossip shows it alive again, joined after the
// hand-over) is a new run: the leader adds it to the configuration and
// its plans again at once, not after DrainHold.
func TestQuickRestartAfterHandover(t *testing.T) {
	r, names, l := regionWithMEverywhere(t)
	f := r.nodes[0]
	if f == l {
		f = r.nodes[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.g.Handover(ctx); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(servers(l.g), f.name) {
		t.Fatalf("%s is still in the configuration %v", f.name, servers(l.g))
	}
	f.g.Close()
	f.g = nil
	r.start(f)
	r.reg.rejoined(f.name)
	testutil.Eventually(t, f.name+" back in the configuration", func() bool { return slices.Contains(servers(l.g), f.name) })
	r.waitHints("m on every node again", func(s *hints.Set) bool { return hinted(s, "m", names...) })
}

// A follower's subscription sees each new set; Status reports how far
// each node follows; ForgetModel (on the leader) drops a deleted model at
// once and a follower refuses it.
func TestSubscribeStatusForget(t *testing.T) {
	r := newRegion(t, "eu", 3, 3)
	in := demand("a", 3, r.names()...)
	r.src.setInput(in)
	r.startAll()
	l := r.leader()
	var f *testNode
	for _, n := range r.nodes {
		if n != l {
			f = n
			break
		}
	}
	sub, cancel := f.g.Subscribe()
	next := func(what string, ok func(*hints.Set) bool) *hints.Set {
		t.Helper()
		for {
			select {
			case s := <-sub:
				if ok(s) {
					return s
				}
			case <-time.After(testutil.EventuallyTimeout):
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	s := next("hints of a", func(s *hints.Set) bool { _, ok := s.Hint("a"); return ok })
	holder := s.Hints[0].Nodes[0]

	// The holder loads a; the follow state says so.
	in.Nodes = slices.Clone(in.Nodes) // the source holds the old slice
	for i := range in.Nodes {
		if in.Nodes[i].Name == holder {
			in.Nodes[i].Loaded = []string{"a"}
		}
	}
	r.src.setInput(in)
	st := f.g.Status()
	if st.State != "Follower" || st.Leader != l.name || len(st.Follow) != 1 || st.Follow[0].Node != holder ||
		len(st.Follow[0].Hinted) != 1 || len(st.Follow[0].Missing) != 0 || st.Hints.Generation != s.Generation {
		t.Fatalf("status %+v", st)
	}

	// The model is deleted: gone from the facts, and forgotten at once.
	in.Models = nil
	r.src.setInput(in)
	if err := f.g.ForgetModel(t.Context(), "a"); err != ErrNotLeader {
		t.Fatalf("a follower forgot a model: %v", err)
	}
	if err := l.g.ForgetModel(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	next("a forgotten", func(s *hints.Set) bool { _, ok := s.Hint("a"); return !ok })
	cancel()
	if _, open := <-sub; open {
		for range sub {
		}
	}
}
