package policy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// BenchmarkReplay replays a synthetic trace (1000 models, Zipf with
// bursts) through every policy at a quarter of the model bytes; compare
// each policy's ns/req with lru's from the same run.
func BenchmarkReplay(b *testing.B) {
	cfg := trace.DefaultSyntheticConfig()
	cfg.Models = 1000
	tr, err := trace.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	w, err := sim.MapRoundRobin(tr, profile.Poster(), 1)
	if err != nil {
		b.Fatal(err)
	}
	capBytes := w.TotalBytes() / 4
	for _, name := range policy.Names() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := policy.New(name, w.Entries())
				if err != nil {
					b.Fatal(err)
				}
				sim.Run(w, p, capBytes, sim.Options{})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(w.Requests)), "ns/req")
		})
	}
}

// BenchmarkReplayAzureShared replays the first 30 minutes of the Azure
// sample mapped onto the poster's 11 models at a quarter of their bytes
// (skipped without the sample): with so few models the online tuning
// follows every request (no sampling). Compare edgeserve's ns/req with
// edgeserve-fixed's from the same run.
func BenchmarkReplayAzureShared(b *testing.B) {
	replayAzureShared(b, sim.Options{}, "lru", "edgeserve-fixed", "edgeserve")
}

// BenchmarkReplayAzureSharedInstant is BenchmarkReplayAzureShared with
// the classic accounting (instant loads), where edgeserve runs its
// knapsack shadow (edgeserve-cv-noknap does not).
func BenchmarkReplayAzureSharedInstant(b *testing.B) {
	replayAzureShared(b, sim.Options{InstantLoads: true}, "lru", "edgeserve-fixed", "edgeserve", "edgeserve-cv-noknap")
}

func replayAzureShared(b *testing.B, opts sim.Options, names ...string) {
	dir, err := trace.FindAzureSample()
	if err != nil {
		b.Skip(err)
	}
	f, err := os.Open(filepath.Join(dir, trace.SampleFile))
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	cfg := trace.DefaultAzureConfig()
	cfg.Minutes = 30
	tr, err := trace.ReadAzure(f, cfg)
	if err != nil {
		b.Fatal(err)
	}
	w, err := sim.MapShared(tr, profile.Poster(), 1)
	if err != nil {
		b.Fatal(err)
	}
	capBytes := w.TotalBytes() / 4
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := policy.New(name, w.Entries())
				if err != nil {
					b.Fatal(err)
				}
				sim.Run(w, p, capBytes, opts)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(w.Requests)), "ns/req")
		})
	}
}
