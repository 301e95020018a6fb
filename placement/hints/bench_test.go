package hints

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkPlan is one plan of a large region: 1,000 models (Zipf-like
// demand) on 20 nodes in 4 sites, re-planned from its own previous set as
// the leader does every interval.
func BenchmarkPlan(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	in := Input{Models: map[string]Model{}}
	for i := range 1000 {
		in.Models[fmt.Sprintf("m%04d", i)] = Model{SizeBytes: 10 + rng.Int64N(500), WarmRun: time.Duration(1+rng.Int64N(200)) * time.Millisecond,
			FastLoad: time.Duration(10+rng.Int64N(2000)) * time.Millisecond}
	}
	for n := range 20 {
		rates := map[string]float64{}
		for i := range 1000 {
			rates[fmt.Sprintf("m%04d", i)] = 200 / float64(i+1) * rng.Float64()
		}
		in.Nodes = append(in.Nodes, Node{Name: fmt.Sprintf("n%02d", n), Site: fmt.Sprintf("s%d", n%4), BudgetBytes: 20000, FreeBytes: rng.Int64N(20000), Rates: rates})
	}
	prev := Plan(DefaultPlanConfig(), nil, in)
	b.ResetTimer()
	for range b.N {
		prev = Plan(DefaultPlanConfig(), prev, in)
	}
	b.ReportMetric(float64(len(prev.Hints)), "hints")
}
