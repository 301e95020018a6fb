package sim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// azureCluster is the Azure sample (seed 1) spread over topo's sites
// (DefaultSpreadConfig) and mapped to the poster's models (MapShared,
// seed 1).
func azureCluster(b *testing.B, topo *Topology) *Workload {
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
	w, err := MapShared(tr, profile.Poster(), 1)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkCluster replays the Azure sample on 100 sites x 4 nodes (5
// regions of 20 sites) at a quarter of the model bytes per node, for each
// contender, in requests per second; baseline-one-node is the
// single-node replay (Run, EdgeServe) of the same requests in the same
// run, for the ratio. The quarter-trace runs show that what a run
// allocates does not grow with the trace.
func BenchmarkCluster(b *testing.B) {
	cfg := DefaultPlaneConfig()
	cfg.Regions, cfg.SitesPerRegion, cfg.NodesPerSite = 5, 20, 4
	topo, err := NewPlaneTopology(cfg)
	if err != nil {
		b.Fatal(err)
	}
	w := azureCluster(b, topo)
	budget := w.TotalBytes() / 4
	b.Run("baseline-one-node", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := policy.New("edgeserve", w.Entries())
			if err != nil {
				b.Fatal(err)
			}
			Run(w, p, budget, Options{})
		}
		reportRate(b, len(w.Requests))
	})
	// The nodes' policy costs most of a request: the same replays with
	// LRU nodes show what the cluster replay itself costs.
	for _, con := range []ClusterContender{Forwarding, Alone} {
		b.Run(string(con)+"-lru", func(b *testing.B) {
			cfg := DefaultClusterConfig(topo, budget)
			cfg.Policy = "lru"
			for b.Loop() {
				if _, err := RunCluster(w, cfg, con); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, len(w.Requests))
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
				for b.Loop() {
					if _, err := RunCluster(part.w, DefaultClusterConfig(topo, budget), con); err != nil {
						b.Fatal(err)
					}
				}
				reportRate(b, len(part.w.Requests))
			})
		}
	}
}
