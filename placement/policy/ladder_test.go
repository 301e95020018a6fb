package policy

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestLadderChoosesMemory: for steady Poisson arrivals the longest
// half-life predicts best (least noise); for a rate that jumps between
// 10/s and 0.1/s every 20 s, the shortest does (it follows the jumps).
func TestLadderChoosesMemory(t *testing.T) {
	halfLives := []time.Duration{time.Second, 10 * time.Second, 100 * time.Second}
	for _, tc := range []struct {
		name string
		rate func(now time.Duration) float64
		want int
	}{
		{"steady", func(time.Duration) float64 { return 2 }, 2},
		{"jumping", func(now time.Duration) float64 {
			if (now/(20*time.Second))%2 == 0 {
				return 10
			}
			return 0.1
		}, 0},
	} {
		l := newLadder(halfLives, 1, 10*time.Minute, time.Minute)
		rng := rand.New(rand.NewPCG(1, 2))
		var now, last time.Duration
		for now < 2*time.Hour {
			// Thinning: candidates at 10/s, kept with probability rate/10.
			now += time.Duration(rng.ExpFloat64() / 10 * float64(time.Second))
			if rng.Float64() >= tc.rate(now)/10 {
				continue
			}
			l.observe(0, last, now, 1)
			l.choose(now)
			last = now
		}
		if l.active != tc.want {
			t.Errorf("%s: chose half-life %v (scores %v), want %v", tc.name, halfLives[l.active], l.score, halfLives[tc.want])
		}
	}
}
