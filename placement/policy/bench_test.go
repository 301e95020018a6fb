package policy_test

import (
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
