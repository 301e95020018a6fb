package e2e

import (
	"testing"
	"time"
)

// chaosRegions are the regions of the chaos scenarios: three of three
// nodes each.
var chaosRegions = []string{"eu", "us", "ap"}

// TestChaosKillNodeThenLeader: three regions of three nodes under a
// replayed window of the Azure sample (clients at each region's site).
// First a follower of the second busiest region is killed with kill -9,
// then the Raft leader of the busiest. The clients of the dead nodes fail
// over to other nodes (the replay's retries): at least 99.9% of the
// requests are answered. The busiest region elects a new leader, which
// commits hints again: the surviving nodes report the new leader and a
// newer generation (the time it took is logged, against the 5 s
// target: the test asserts behaviour, not time).
func TestChaosKillNodeThenLeader(t *testing.T) {
	long(t)
	c := startChaosCluster(t, chaosOptions{regions: chaosRegions, perRegion: 3})
	models := c.pushLoadModels()
	reqs := azureLoad(t, models, c.regions, 10, 0.1, 0)
	busiest := bySiteCount(reqs, c.regions)
	t.Logf("requests by region, busiest first: %v", busiest)
	l := startLoad(t, c.replayNodes(c.nodes), reqs, 0.08)

	l.waitEnded(t, len(reqs)/5)
	second, first := busiest[1].site, busiest[0].site
	follower := except(c.inRegion(second), c.leaderOf(second))[0]
	follower.kill(t)
	t.Logf("killed %s (a follower of %s) after %d requests", follower.name, second, l.ended.Load())

	l.waitEnded(t, 2*len(reqs)/5)
	leader := c.leaderOf(first)
	survivors := except(c.inRegion(first), leader)
	before := c.placement(survivors[0])
	if before == nil {
		t.Fatalf("%s does not answer", survivors[0].name)
	}
	leader.kill(t)
	killed := time.Now()
	t.Logf("killed %s (leader of %s, term %d, hints generation %d) after %d requests",
		leader.name, first, before.GetTerm(), before.GetGeneration(), l.ended.Load())
	var took time.Duration
	var newLeader string
	eventuallyWithin(t, time.Minute, "a new leader of "+first+" that commits hints", func() bool {
		for _, p := range survivors {
			st := c.placement(p)
			if st != nil && st.GetLeader() != "" && st.GetLeader() != leader.name &&
				st.GetTerm() > before.GetTerm() && st.GetGeneration() > before.GetGeneration() {
				took, newLeader = time.Since(killed), st.GetLeader()
				return true
			}
		}
		return false
	})
	t.Logf("%s: %s leads and committed hints %v after the kill (target: within 5 s)", first, newLeader, took.Round(time.Millisecond))

	rep := l.wait(t)
	logReport(t, "replay", rep)
	if rep.Sent != rep.Planned || rep.Stopped != "" || rep.SuccessRate < 0.999 || rep.Recovered == 0 {
		t.Fatalf("replay: %+v; want every request sent and at least 99.9%% answered, retries included", rep)
	}
	for i, p := range c.nodes {
		if (p == follower || p == leader) && rep.Nodes[i].Failed == 0 {
			t.Errorf("%s: no failed attempt after its kill: %+v", p.name, rep.Nodes[i])
		}
	}
	checkRoutes(t, rep, c.nodes)
	c.waitConverged(except(c.nodes, follower, leader))
}
