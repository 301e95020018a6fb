package sim

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// azureCluster is the Azure sample (seed 1) spread over topo's sites
// (DefaultSpreadConfig) and mapped to the poster's models with seed 1 by
// mapping (MapShared: the poster's 11 models; MapRoundRobin: each
// function its own model).
func azureCluster(b testing.TB, topo *Topology, mapping func(*trace.Trace, []profile.Model, uint64) (*Workload, error)) *Workload {
	b.Helper()
	dir, err := trace.FindAzureSample()
	if err != nil {
		b.Skip(err)
	}
	f, err := os.Open(filepath.Join(dir, trace.SampleFile))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tr, err := trace.ReadAzure(f, trace.DefaultAzureConfig())
	if err != nil {
		b.Fatal(err)
	}
	if tr, err = SpreadSites(tr, topo, DefaultSpreadConfig()); err != nil {
		b.Fatal(err)
	}
	w, err := mapping(tr, profile.Poster(), 1)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// cpuRate reports, besides req/s, requests per second of the process's
// CPU time since start (req/cpu-s): on a machine shared with other jobs
// the wall clock counts their time too, the CPU time mostly does not.
func cpuRate(b *testing.B, requests int, start time.Duration) {
	reportRate(b, requests)
	if used := cpuTime() - start; start > 0 && used > 0 {
		b.ReportMetric(float64(requests)*float64(b.N)/used.Seconds(), "req/cpu-s")
	}
}

// planeTopology is a plane topology of regions x sites x nodes per site
// with the default placement and seed.
func planeTopology(tb testing.TB, regions, sites, nodes int) *Topology {
	tb.Helper()
	cfg := DefaultPlaneConfig()
	cfg.Regions, cfg.SitesPerRegion, cfg.NodesPerSite = regions, sites, nodes
	topo, err := NewPlaneTopology(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return topo
}

// BenchmarkCluster replays the Azure sample on 100 sites x 4 nodes (5
// regions of 20 sites) at a quarter of the model bytes per node, for each
// contender, in requests per second; baseline-one-node is the
// single-node replay (Run, EdgeServe) of the same requests in the same
// run, for the ratio. The quarter-trace runs show that what a run
// allocates does not grow with the trace.
func BenchmarkCluster(b *testing.B) {
	topo := planeTopology(b, 5, 20, 4)
	w := azureCluster(b, topo, MapShared)
	budget := w.TotalBytes() / 4
	b.Run("baseline-one-node", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime()
		for b.Loop() {
			p, err := policy.New("edgeserve", w.Entries())
			if err != nil {
				b.Fatal(err)
			}
			Run(w, p, budget, Options{})
		}
		cpuRate(b, len(w.Requests), start)
	})
	// The nodes' policy costs most of a request: the same replays with
	// LRU nodes show what the cluster replay itself costs.
	for _, con := range []ClusterContender{Forwarding, Alone} {
		b.Run(string(con)+"-lru", func(b *testing.B) {
			cfg := DefaultClusterConfig(topo, budget)
			cfg.Policy = "lru"
			start := cpuTime()
			for b.Loop() {
				if _, err := RunCluster(w, cfg, con); err != nil {
					b.Fatal(err)
				}
			}
			cpuRate(b, len(w.Requests), start)
		})
	}
	quarter := &Workload{Models: w.Models, Requests: w.Requests[:len(w.Requests)/4]}
	for _, con := range ClusterContenders() {
		for _, part := range []struct {
			name string
			w    *Workload
		}{{"", w}, {"-quarter-trace", quarter}} {
			b.Run(string(con)+part.name, func(b *testing.B) {
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					if _, err := RunCluster(part.w, DefaultClusterConfig(topo, budget), con); err != nil {
						b.Fatal(err)
					}
				}
				cpuRate(b, len(part.w.Requests), start)
			})
		}
	}
}

// BenchmarkClusterPerFunction is BenchmarkCluster's replay with each of
// the sample's 796 functions its own model, where the hint planner has
// the most models to weigh: the full system against forward (the same
// without the planner) in the same run, and full-whole-input, the full
// system with an adapter that gives hints.Plan every model, rate and
// loaded copy (wholeInputPlanner), which HintsPlanner leaves out when
// they cannot be hinted.
func BenchmarkClusterPerFunction(b *testing.B) {
	topo := planeTopology(b, 5, 20, 4)
	w := azureCluster(b, topo, MapRoundRobin)
	results := map[ClusterContender]ClusterResult{} // both full runs must agree
	for _, run := range []struct {
		name    string
		con     ClusterContender
		planner HintPlanner
	}{{"forward", Forwarding, nil}, {"full", Full, nil}, {"full-whole-input", Full, (&wholeInputPlanner{}).Fresh()}} {
		b.Run(run.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				cfg := DefaultClusterConfig(topo, w.TotalBytes()/4)
				if run.planner != nil {
					cfg.Planner = run.planner
				}
				r, err := RunCluster(w, cfg, run.con)
				if err != nil {
					b.Fatal(err)
				}
				if prev, ok := results[run.con]; ok && r != prev {
					b.Fatalf("%s: %+v, the other full run: %+v", run.name, r, prev)
				}
				results[run.con] = r
			}
			cpuRate(b, len(w.Requests), start)
		})
	}
}

// BenchmarkClusterLiveHeap measures what a replay holds, rather than
// what it allocates (B/op counts garbage too): the most live heap (after
// a collection, sampled every 2^19 requests) above the heap before the
// replay, for the whole Azure sample and its first quarter, on
// BenchmarkCluster's 100 x 4 nodes. It grows with models x nodes, not
// with the trace, when the two agree.
func BenchmarkClusterLiveHeap(b *testing.B) {
	topo := planeTopology(b, 5, 20, 4)
	for _, m := range []struct {
		name    string
		mapping func(*trace.Trace, []profile.Model, uint64) (*Workload, error)
	}{{"shared", MapShared}, {"per-function", MapRoundRobin}} {
		w := azureCluster(b, topo, m.mapping)
		quarter := &Workload{Models: w.Models, Requests: w.Requests[:len(w.Requests)/4]}
		for _, part := range []struct {
			name string
			w    *Workload
		}{{"", w}, {"-quarter-trace", quarter}} {
			b.Run(m.name+"-full"+part.name, func(b *testing.B) {
				var peak uint64
				for b.Loop() {
					peak = max(peak, liveHeap(b, part.w, DefaultClusterConfig(topo, w.TotalBytes()/4)))
				}
				b.ReportMetric(float64(peak)/1e6, "live-MB")
			})
		}
	}
}

// liveHeap replays w as the full system and returns the most live heap
// above the heap before it.
func liveHeap(b *testing.B, w *Workload, cfg ClusterConfig) uint64 {
	var ms runtime.MemStats
	sample := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base, peak := sample(), uint64(0)
	cfg.Observe = func(i int, _ time.Duration, _ Served) {
		if i&(1<<19-1) != 0 {
			return
		}
		if h := sample(); h > base {
			peak = max(peak, h-base)
		}
	}
	if _, err := RunCluster(w, cfg, Full); err != nil {
		b.Fatal(err)
	}
	return peak
}

// wholeInputPlanner is the plain adapter: hints.Plan from every model,
// rate and loaded copy (fullInput), with the default rules. It hints what
// HintsPlanner hints (TestHintsPlannerSameAsPlan).
type wholeInputPlanner struct {
	prev   map[string]*hints.Set
	passed map[string]*hints.Passed
}

func (p *wholeInputPlanner) Fresh() HintPlanner {
	return &wholeInputPlanner{prev: map[string]*hints.Set{}, passed: map[string]*hints.Passed{}}
}

func (p *wholeInputPlanner) Plan(now time.Duration, v *RegionView) []NodeHints {
	in := fullInput(v)
	if p.passed[v.Region] == nil {
		p.passed[v.Region] = hints.NewPassed()
	}
	p.passed[v.Region].Fill(hints.DefaultPlanConfig(), SimTime(now), &in)
	set := hints.Plan(hints.DefaultPlanConfig(), p.prev[v.Region], in)
	p.prev[v.Region] = set
	byName := map[string]int{}
	for _, n := range v.Nodes {
		byName[n.Name] = n.Node
	}
	var out []NodeHints
	for _, h := range set.Hints {
		k, _ := strconv.Atoi(strings.TrimPrefix(h.Model, "m"))
		for _, name := range h.Nodes {
			out = append(out, NodeHints{Node: byName[name], Models: []int32{int32(k)}})
		}
	}
	return out
}
