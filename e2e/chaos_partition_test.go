package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// TestChaosPartitionHeal: three regions of three nodes; every region
// stores every model of the load (a node of each loads each). Region ap
// is cut off from eu and us (gossip and Raft cut in the netem files of
// both sides, the peer links' proxies disabled) under a replayed load in
// which each side's clients send only to that side's nodes. Each side
// sees only its own nodes alive, keeps its regions' Raft leaders, and
// serves what it holds: at least 99.9% of each side's requests are
// answered. A model pushed in eu during the partition is listed only on
// the majority side and is unknown in ap. After the heal, every node sees
// all nine alive, every node reports the same leader and hint generation
// of every region, every catalog lists the late model, and ap serves it.
func TestChaosPartitionHeal(t *testing.T) {
	long(t)
	c := startChaosCluster(t, chaosOptions{regions: chaosRegions, perRegion: 3})
	models := c.pushLoadModels()
	for _, r := range c.regions {
		p := c.inRegion(r)[0]
		for _, m := range models {
			if err := c.load(p, m); err != nil {
				t.Fatalf("load %s at %s: %v", m, p.name, err)
			}
		}
	}
	const cut = "ap"
	minority := c.inRegion(cut)
	majority := except(c.nodes, minority...)
	reqs := azureLoad(t, models, c.regions, 20, 0.1, 0)
	inCut, rest := bySite(reqs, cut)
	minLoad := startLoad(t, c.replayNodes(minority), inCut, 0.08)
	majLoad := startLoad(t, c.replayNodes(majority), rest, 0.08)

	majLoad.waitEnded(t, len(rest)/5)
	c.partition(cut)
	t.Logf("partitioned %s after %d + %d requests", cut, majLoad.ended.Load(), minLoad.ended.Load())
	split := time.Now()
	c.waitConverged(majority)
	c.waitConverged(minority)
	t.Logf("each side sees only itself, with its regions' leaders, %v after the cut", time.Since(split).Round(time.Millisecond))

	// A model pushed on the majority side reaches only that side.
	late, lateFile := "late_mlp", zooFileSeed(t, "tiny_mlp", 7)
	c.push(majority[0], late, lateFile)
	c.waitCatalog(majority, len(models)+1)
	for _, p := range minority {
		st := c.clusterView(p)
		if st == nil || int(st.GetCatalogModels()) != len(models) {
			t.Fatalf("%s lists %v models during the partition; want the %d of before", p.name, st, len(models))
		}
		if _, err := inferSeeded(c.admin[p.name], late); status.Code(err) != codes.NotFound {
			t.Fatalf("%s answered %s, a model pushed on the other side, with %v; want NotFound", p.name, late, err)
		}
	}

	majLoad.waitEnded(t, 3*len(rest)/5)
	c.heal()
	healed := time.Now()
	t.Logf("healed after %v of partition; %d + %d requests ended by then", healed.Sub(split).Round(time.Millisecond), majLoad.ended.Load(), minLoad.ended.Load())
	c.waitConverged(c.nodes)
	converged := time.Since(healed)
	c.waitCatalog(c.nodes, len(models)+1)
	t.Logf("after the heal: views and hints agree in %v, catalogs in %v", converged.Round(time.Millisecond), time.Since(healed).Round(time.Millisecond))
	for _, p := range minority {
		if _, err := inferSeeded(c.admin[p.name], late); err != nil {
			t.Fatalf("%s after the heal: %s: %v", p.name, late, err)
		}
	}

	for _, side := range []struct {
		what  string
		l     *load
		nodes []*proc
	}{{"majority (eu, us)", majLoad, majority}, {"minority (ap)", minLoad, minority}} {
		rep := side.l.wait(t)
		logReport(t, side.what, rep)
		if rep.Sent != rep.Planned || rep.Stopped != "" || rep.SuccessRate < 0.999 {
			t.Errorf("%s: %+v; want every request sent and at least 99.9%% answered", side.what, rep)
		}
		checkRoutes(t, rep, side.nodes)
	}
}

// inferSeeded sends one request for model with seeded inputs.
func inferSeeded(c *client.Client, model string) (*client.InferResponse, error) {
	return call(func(ctx context.Context) (*client.InferResponse, error) {
		md, err := c.Metadata(ctx, model, "")
		if err != nil {
			return nil, err
		}
		in, err := client.SeededInputs(md.GetInputs(), 1, 1)
		if err != nil {
			return nil, err
		}
		return c.Infer(ctx, client.InferRequest{Model: model, Inputs: in})
	})
}

// zooFileSeed writes zoo model name with weights drawn from seed (a blob
// of its own) and returns its path.
func zooFileSeed(t *testing.T, name string, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	m, err := zoo.Write(dir, name, zoo.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, m.File)
}
