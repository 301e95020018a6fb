package zoo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReluMoments compares the closed form with a Monte Carlo estimate.
func TestReluMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tt := range []struct{ mu, sd float64 }{{0, 1}, {1, 1}, {-1, 2}, {3, 0.5}, {0.2, 4}} {
		const n = 200000
		var mean, ms float64
		for range n {
			z := max(tt.mu+tt.sd*r.NormFloat64(), 0)
			mean += z / n
			ms += z * z / n
		}
		gotMu, gotMS := reluMoments(tt.mu, tt.mu*tt.mu+tt.sd*tt.sd)
		if math.Abs(gotMu-mean) > 0.02*(1+mean) || math.Abs(gotMS-ms) > 0.02*(1+ms) {
			t.Errorf("N(%v, %v²): moments (%.4f, %.4f), sampled (%.4f, %.4f)", tt.mu, tt.sd, gotMu, gotMS, mean, ms)
		}
	}
}
