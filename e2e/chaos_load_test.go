package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// loadModels are the models the chaos scenarios' load asks for: small, so
// that nine nodes on two shared cores keep up.
var loadModels = []string{"add_fp32", "tiny_mlp", "add_int64", "mobilenet_v1_0.25"}

// pushLoadModels pushes loadModels, each at a node of another region, and
// waits until every node's catalog lists them.
func (c *chaosCluster) pushLoadModels() []string {
	c.t.Helper()
	for i, m := range loadModels {
		c.push(c.nodes[(i*(len(c.nodes)/len(c.regions)+1))%len(c.nodes)], m, testnode.ZooFile(c.t, m))
	}
	c.waitCatalog(c.nodes, len(loadModels))
	return loadModels
}

// waitCatalog waits until each of nodes lists n models in its catalog.
func (c *chaosCluster) waitCatalog(nodes []*proc, n int) {
	c.t.Helper()
	for _, p := range nodes {
		eventuallyWithin(c.t, time.Minute, p.name+" lists the models", func() bool {
			st := c.clusterView(p)
			return st != nil && int(st.GetCatalogModels()) == n
		})
	}
}

// azureLoad is a window of the shared Azure Functions sample, from minute
// start (1 is the first) for minutes, its functions dealt onto models by
// the simulator's shared mapping (seed 1) and its clients spread over
// sites by function (function i at site i mod len(sites)), so that each
// site has its own mix. At most max requests (0: all).
func azureLoad(t *testing.T, models, sites []string, start int, minutes float64, max int) []replay.Request {
	t.Helper()
	dir, err := trace.FindAzureSample()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, trace.SampleFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := trace.DefaultAzureConfig()
	cfg.FirstMinute, cfg.Minutes = start, int(math.Ceil(minutes))
	tr, err := trace.ReadAzure(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tr, err = replay.Window(tr, 0, time.Duration(minutes*float64(time.Minute)), max); err != nil {
		t.Fatal(err)
	}
	tr.Sites = sites
	for i := range tr.Requests {
		tr.Requests[i].Site = tr.Requests[i].Model % int32(len(sites))
	}
	w, err := replay.Map(tr, models, replay.MapShared, 1)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := replay.Plan(w, tr.Sites)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// bySite splits reqs into those of sites and the rest.
func bySite(reqs []replay.Request, sites ...string) (in, out []replay.Request) {
	for _, r := range reqs {
		if slices.Contains(sites, r.Site) {
			in = append(in, r)
		} else {
			out = append(out, r)
		}
	}
	return in, out
}

// siteCount is how many requests come from a site.
type siteCount struct {
	site string
	n    int
}

// bySiteCount counts reqs by site, busiest first.
func bySiteCount(reqs []replay.Request, sites []string) []siteCount {
	out := make([]siteCount, len(sites))
	for i, s := range sites {
		out[i].site = s
		for _, r := range reqs {
			if r.Site == s {
				out[i].n++
			}
		}
	}
	slices.SortStableFunc(out, func(a, b siteCount) int { return b.n - a.n })
	return out
}

// replayNodes are nodes as a replay's targets, each at its region's site.
func (c *chaosCluster) replayNodes(nodes []*proc) []replay.Node {
	out := make([]replay.Node, len(nodes))
	for i, p := range nodes {
		out[i] = replay.Node{Site: c.regionOf[p.name], Addr: p.grpc}
	}
	return out
}

// load is a replay running in the background (internal/replay, in this
// process).
type load struct {
	ended  atomic.Int64 // requests that ended, answered or not
	cancel context.CancelFunc
	done   chan loadResult
}

type loadResult struct {
	report *replay.Report
	err    error
}

// startLoad replays reqs at speed against nodes, with two retries at other
// nodes, 16 requests in flight at most and a 20 s bound on each attempt.
// It stops when the test ends.
func startLoad(t *testing.T, nodes []replay.Node, reqs []replay.Request, speed float64) *load {
	t.Helper()
	cfg := replay.DefaultConfig()
	cfg.Nodes, cfg.Speed, cfg.Concurrency, cfg.Retries, cfg.RequestTimeout = nodes, speed, 16, 2, 20*time.Second
	l := &load{done: make(chan loadResult, 1)}
	s, err := replay.Open(cfg, replay.Deps{Progress: func(n int) { l.ended.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	l.cancel = cancel
	go func() {
		defer s.Close()
		rep, err := s.Run(ctx, reqs)
		l.done <- loadResult{rep, err}
	}()
	t.Cleanup(func() {
		cancel()
		l.done <- <-l.done
	})
	return l
}

// waitEnded waits until n requests ended.
func (l *load) waitEnded(t *testing.T, n int) {
	t.Helper()
	eventuallyWithin(t, 10*time.Minute, "the replay to end requests", func() bool { return l.ended.Load() >= int64(n) })
}

// wait waits for the end of the replay and returns its report.
func (l *load) wait(t *testing.T) *replay.Report {
	t.Helper()
	res := <-l.done
	l.done <- res
	if res.err != nil {
		t.Fatalf("replay: %v", res.err)
	}
	return res.report
}

// stop ends the replay now (requests in flight are abandoned) and
// returns its report.
func (l *load) stop(t *testing.T) *replay.Report {
	t.Helper()
	l.cancel()
	return l.wait(t)
}

// logReport logs a replay's outcome in one line.
func logReport(t *testing.T, what string, rep *replay.Report) {
	t.Helper()
	t.Logf("%s: %d of %d sent in %.1fs; success %.4f (%d of %d; first try %.4f), retried %d, recovered %d; routes %v; latency %v; errors %v",
		what, rep.Sent, rep.Planned, rep.WallSeconds, rep.SuccessRate, rep.OK, rep.OK+rep.Failed, rep.FirstTrySuccessRate,
		rep.Retried, rep.Recovered, rep.Routes, rep.Latency, rep.Errors)
	var b strings.Builder
	for _, n := range rep.Nodes {
		fmt.Fprintf(&b, " %s@%s first %d attempts %d failed %d;", n.Site, n.Addr, n.First, n.Attempts, n.Failed)
	}
	t.Logf("%s by node:%s", what, b.String())
}
