package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// handedOver is what a node logs when its hand-over at SIGTERM succeeded.
const handedOver = "placement: hinted copies handed over"

// TestChaosRollingRestart: three regions of three nodes under a replayed
// load; one node after another is stopped with SIGTERM (it hands its
// hinted copies over, logged, and leaves: every other node sees it gone)
// and started again on the same data directory, and the next waits until
// it is alive in every view and a voter of its region's group again.
// Before each stop a model of its own bytes is pushed at another node. At the end every node lists every pushed model, and each
// is stored, its bytes hashing to its digest, on at least two nodes. The
// load's success rate during the restarts is logged; the test asserts at
// least 99.9%, retries included.
func TestChaosRollingRestart(t *testing.T) {
	long(t)
	c := startChaosCluster(t, chaosOptions{regions: chaosRegions, perRegion: 3})
	models := c.pushLoadModels()
	reqs := azureLoad(t, models, c.regions, 40, 0.5, 0)
	l := startLoad(t, c.replayNodes(c.nodes), reqs, 0.08)
	l.waitEnded(t, 200)

	pushed := map[string]string{} // name -> digest
	began := time.Now()
	for i, p := range c.nodes {
		name, file := fmt.Sprintf("pushed_%d", i+1), zooFileSeed(t, "tiny_mlp", uint64(100+i))
		at := c.nodes[(i+4)%len(c.nodes)]
		storedOn := c.push(at, name, file)
		pushed[name] = fileDigest(t, file)
		handed := strings.Count(tail(p.logFile, 1<<30), handedOver)
		p.stop(t)
		stopped := time.Now()
		if strings.Count(tail(p.logFile, 1<<30), handedOver) != handed+1 {
			t.Errorf("%s stopped without handing its hinted copies over", p.name)
		}
		others := except(c.nodes, p)
		eventuallyWithin(t, time.Minute, "every other node sees "+p.name+" gone", func() bool {
			for _, q := range others {
				if slices.Contains(c.alive(q), p.name) {
					return false
				}
			}
			return true
		})
		gone := time.Since(stopped)
		p.restart(t)
		eventuallyWithin(t, 2*time.Minute, "every node sees "+p.name+" alive again", func() bool {
			for _, q := range c.nodes {
				if !slices.Contains(c.alive(q), p.name) {
					return false
				}
			}
			return true
		})
		back := time.Since(stopped)
		eventuallyWithin(t, 2*time.Minute, p.name+" votes in its region's group again", func() bool {
			st := c.placement(p)
			return st != nil && st.GetLeader() != "" && slices.ContainsFunc(st.GetServers(), func(s *adminpb.PlacementServer) bool {
				return s.GetName() == p.name && s.GetVoter()
			})
		})
		t.Logf("%s stopped; seen gone %v, alive again %v and a voter %v after the stop (%s pushed at %s, stored on %v); %d requests ended",
			p.name, gone.Round(time.Millisecond), back.Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond), name, at.name, storedOn, l.ended.Load())
	}
	rep := l.stop(t)
	t.Logf("rolling restart of %d nodes took %v", len(c.nodes), time.Since(began).Round(time.Second))
	logReport(t, "replay during the restarts", rep)

	c.waitConverged(c.nodes)
	c.waitCatalog(c.nodes, len(models)+len(pushed))
	for _, p := range c.nodes {
		list, err := call(c.admin[p.name].List)
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, m := range list {
			listed = append(listed, m.GetName())
		}
		for name := range pushed {
			if !slices.Contains(listed, name) {
				t.Errorf("%s does not list %s (lists %v)", p.name, name, listed)
			}
		}
	}
	for name, digest := range pushed {
		var holders []string
		for _, p := range c.nodes {
			if blobGood(p, digest) {
				holders = append(holders, p.name)
			}
		}
		if len(holders) < 2 {
			t.Errorf("%s is stored intact on %v; want at least two nodes", name, holders)
		}
	}
	if rep.SuccessRate < 0.999 {
		t.Fatalf("replay during the restarts: success %.4f; want at least 99.9%%, retries included", rep.SuccessRate)
	}
}
