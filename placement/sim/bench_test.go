package sim

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// azureWorkload converts the Azure sample (seed 1) and deals it the
// poster's profiles (seed 1).
func azureWorkload(b *testing.B) *Workload {
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
	w, err := MapRoundRobin(tr, profile.Poster(), 1)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkReplay compares replays (under the test-only LRU and under
// every registered policy) with a plain loop that only sums a field of the
// same requests, in the same run; all report requests per second.
func BenchmarkReplay(b *testing.B) {
	w := azureWorkload(b)
	capacity := w.TotalBytes() / 4
	b.Run("baseline-sum", func(b *testing.B) {
		var sum time.Duration
		for b.Loop() {
			for _, r := range w.Requests {
				sum += r.Time
			}
		}
		reportRate(b, len(w.Requests))
		if sum == 0 {
			b.Fatal("empty trace")
		}
	})
	b.Run("test-lru", func(b *testing.B) {
		for b.Loop() {
			Run(w, newTestLRU(len(w.Models)), capacity, Options{})
		}
		reportRate(b, len(w.Requests))
	})
	for _, name := range policy.Names() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := policy.New(name, w.Entries())
				if err != nil {
					b.Fatal(err)
				}
				Run(w, p, capacity, Options{})
			}
			reportRate(b, len(w.Requests))
		})
	}
}

func reportRate(b *testing.B, requests int) {
	b.ReportMetric(float64(requests)*float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
