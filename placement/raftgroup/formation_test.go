package raftgroup

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/hashicorp/raft"
	prom "github.com/prometheus/client_golang/prometheus/testutil"
)

// firstConfiguration is the configuration at index 1 of a node's log:
// the one bootstrapped. Two bootstraps of different configurations leave
// nodes whose first entries differ, which Raft never repairs.
func firstConfiguration(t *testing.T, g *Group) []string {
	t.Helper()
	var l raft.Log
	if err := g.bolt.GetLog(1, &l); err != nil {
		return nil
	}
	if l.Type != raft.LogConfiguration {
		t.Fatalf("index 1 is a %v", l.Type)
	}
	var names []string
	for _, s := range raft.DecodeConfiguration(l.Data).Servers {
		names = append(names, string(s.ID))
	}
	slices.Sort(names)
	return names
}

func bootstraps(g *Group) int { return int(prom.ToFloat64(g.metrics.bootstraps)) }

// Five nodes start at the same moment with BootstrapExpect 3: the three
// lowest-named bootstrap one configuration, the others are added, and
// every log starts with that configuration.
func TestSimultaneousStartBootstrapsOnce(t *testing.T) {
	r := newRegion(t, "eu", 5, 3)
	r.startTogether()
	l := r.leader()
	want := r.names()[:3]
	testutil.Eventually(t, "all five in the configuration", func() bool { return len(servers(l.g)) == 5 })
	for i, n := range r.nodes {
		testutil.Eventually(t, n.name+"'s log", func() bool { return firstConfiguration(t, n.g) != nil })
		if got := firstConfiguration(t, n.g); !slices.Equal(got, want) {
			t.Errorf("%s's log starts with %v, want %v", n.name, got, want)
		}
		if b := bootstraps(n.g); b > 0 && i >= 3 {
			t.Errorf("%s, not among the three lowest, bootstrapped", n.name)
		}
	}
}

// Views that differ at the start: eu-4 does not see eu-1 yet, so its
// three lowest are eu-2..4 while everyone else's are eu-1..3. Without the
// promises eu-4 would bootstrap a second configuration; with them it
// gets none and is added by the leader of the one configuration.
func TestDivergentViewsBootstrapOnce(t *testing.T) {
	r := newRegion(t, "eu", 4, 3)
	late := r.nodes[3]
	late.disc = DiscoveryFunc(func() []Member {
		return slices.DeleteFunc(r.reg.Members(), func(m Member) bool { return m.Name == "eu-1" })
	})
	r.startTogether()
	l := r.leader()
	testutil.Eventually(t, "all four in the configuration", func() bool { return len(servers(l.g)) == 4 })
	for _, n := range r.nodes {
		testutil.Eventually(t, n.name+"'s log", func() bool { return firstConfiguration(t, n.g) != nil })
		if got := firstConfiguration(t, n.g); !slices.Equal(got, r.names()[:3]) {
			t.Errorf("%s's log starts with %v", n.name, got)
		}
	}
	if bootstraps(late.g) != 0 {
		t.Error("eu-4 bootstrapped its own view")
	}
}

// A region whose group exists: a newcomer that would be among the lowest
// names (and that the others do not see yet, so nobody adds it) finds
// members with state and waits to be added.
func TestLateLowNodeJoinsInsteadOfBootstrapping(t *testing.T) {
	r := newRegion(t, "eu", 4, 3)
	first := r.nodes[0]
	var hide atomic.Bool
	hide.Store(true)
	for _, n := range r.nodes[1:] {
		n.disc = DiscoveryFunc(func() []Member {
			return slices.DeleteFunc(r.reg.Members(), func(m Member) bool { return hide.Load() && m.Name == "eu-1" })
		})
	}
	r.nodes = r.nodes[1:]
	r.startAll()
	l := r.leader()
	r.nodes = append([]*testNode{first}, r.nodes...)
	r.start(first)
	// eu-1 tries for a few bootstrap waits, then the others see it.
	time.Sleep(5 * first.g.cfg.BootstrapWait)
	hide.Store(false)
	testutil.Eventually(t, "eu-1 added", func() bool { return slices.Contains(servers(l.g), "eu-1") })
	if bootstraps(first.g) != 0 {
		t.Error("the late eu-1 bootstrapped")
	}
	testutil.Eventually(t, "eu-1's log", func() bool { return firstConfiguration(t, first.g) != nil })
	if got := firstConfiguration(t, first.g); !slices.Equal(got, []string{"eu-2", "eu-3", "eu-4"}) {
		t.Errorf("eu-1's log starts with %v", got)
	}
}

// The leader adds voters up to MaxVoters, then non-voters; removes a
// member that left at once and promotes a non-voter; removes a failed
// member only after DeadServerCleanup.
func TestMembership(t *testing.T) {
	r := newRegion(t, "eu", 5, 1)
	r.tune = func(c *Config) { c.MaxVoters, c.DeadServerCleanup = 3, time.Second }
	r.startTogether()
	l := r.leader()
	if l.name != "eu-1" {
		t.Fatalf("%s leads; with BootstrapExpect 1 the lowest name bootstraps alone", l.name)
	}
	check := func(what string, voters, nonvoters int) {
		t.Helper()
		testutil.Eventually(t, what, func() bool {
			v, nv := voterNames(l.g)
			return len(v) == voters && len(nv) == nonvoters
		})
	}
	check("3 voters and 2 non-voters", 3, 2)
	v, _ := voterNames(l.g)
	gone := r.nodes[slices.Index(r.names(), v[2])]
	r.reg.health(gone.name, Left)
	check("the leaver removed and a non-voter promoted", 3, 1)

	v, _ = voterNames(l.g)
	dead := r.nodes[slices.Index(r.names(), v[1])]
	marked := time.Now()
	r.kill(dead)
	if !slices.Contains(servers(l.g), dead.name) {
		t.Fatalf("%s removed before DeadServerCleanup", dead.name)
	}
	check("the dead voter removed and the last non-voter promoted", 3, 0)
	if since := time.Since(marked); since < time.Second {
		t.Fatalf("the dead voter was removed after %v, before DeadServerCleanup", since)
	}
}
