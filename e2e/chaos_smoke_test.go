package e2e

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/internal/testnode"
)

// TestChaosSmoke (also in `make test`): one region of three nodes under
// a short replayed load (300 requests in 7.5 s from the region's site);
// its Raft leader is killed with kill -9. The requests sent to it fail
// there and are answered by another node (the replay's retry): every
// request is answered, and the two survivors elect a new leader that
// commits hints. The full scenarios are in make e2e (chaos_*_test.go).
func TestChaosSmoke(t *testing.T) {
	c := startChaosCluster(t, chaosOptions{regions: []string{"eu"}, perRegion: 3})
	for i, m := range []string{"add_fp32", "tiny_mlp"} {
		c.push(c.nodes[i], m, testnode.ZooFile(t, m))
	}
	c.waitCatalog(c.nodes, 2)
	var reqs []replay.Request
	for i := range 300 {
		reqs = append(reqs, replay.Request{At: time.Duration(i) * 25 * time.Millisecond, Model: []string{"add_fp32", "tiny_mlp"}[i%2], Site: "eu"})
	}
	l := startLoad(t, c.replayNodes(c.nodes), reqs, 1)
	l.waitEnded(t, 100)
	leader := c.leaderOf("eu")
	survivors := except(c.nodes, leader)
	before := c.placement(survivors[0])
	leader.kill(t)
	killed := time.Now()
	eventuallyWithin(t, time.Minute, "a new leader of eu that commits hints", func() bool {
		for _, p := range survivors {
			st := c.placement(p)
			if st != nil && st.GetLeader() != "" && st.GetLeader() != leader.name && st.GetGeneration() > before.GetGeneration() {
				return true
			}
		}
		return false
	})
	t.Logf("killed the leader %s; a new leader committed hints %v later", leader.name, time.Since(killed).Round(time.Millisecond))
	rep := l.wait(t)
	logReport(t, "replay", rep)
	k := 0
	for i, p := range c.nodes {
		if p == leader {
			k = i
		}
	}
	if rep.Sent != 300 || rep.OK != 300 || rep.Nodes[k].Failed == 0 || rep.Recovered != rep.Retried {
		t.Fatalf("replay: %+v; want all 300 answered, the killed leader's failures retried elsewhere", rep)
	}
	checkRoutes(t, rep, c.nodes)
}
