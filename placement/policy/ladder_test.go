package policy

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestLadderChoosesMemory: for steady Poisson arrivals the longest
// half-life predicts best (least noise); for a rate that jumps between
// 10/s and 0.1/s every 20 s, the shortest does (it follows the jumps).
// The same at 40 times the rates, where the log terms are sampled
// (scoreTarget).
func TestLadderChoosesMemory(t *testing.T) {
	halfLives := []time.Duration{time.Second, 10 * time.Second, 100 * time.Second}
	for _, tc := range []struct {
		name  string
		rate  func(now time.Duration) float64
		scale float64
		want  int
	}{
		{"steady", func(time.Duration) float64 { return 2 }, 1, 2},
		{"jumping", func(now time.Duration) float64 {
			if (now/(20*time.Second))%2 == 0 {
				return 10
			}
			return 0.1
		}, 1, 0},
		{"steady, sampled", func(time.Duration) float64 { return 2 }, 40, 2},
		{"jumping, sampled", func(now time.Duration) float64 {
			if (now/(20*time.Second))%2 == 0 {
				return 10
			}
			return 0.1
		}, 40, 0},
	} {
		l := newLadder(halfLives, 1, 10*time.Minute, time.Minute)
		rng := rand.New(rand.NewPCG(1, 2))
		var now, last time.Duration
		for now < 2*time.Hour {
			// Thinning: candidates at 10/s, kept with probability rate/10.
			now += time.Duration(rng.ExpFloat64() / 10 / tc.scale * float64(time.Second))
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
		if sampled := l.sampleWeight > 1; sampled != (tc.scale > 1) {
			t.Errorf("%s: log terms sampled %v (weight %v)", tc.name, sampled, l.sampleWeight)
		}
	}
}

// TestLadderMatchesDirectSums: the counts and scores kept incrementally
// equal their definitions summed over every request, for a doubling ladder
// (decays by squaring) and an uneven one, including gaps long enough for
// the shortest half-life's count to underflow.
func TestLadderMatchesDirectSums(t *testing.T) {
	for _, halfLives := range [][]time.Duration{
		{time.Second, 2 * time.Second, 4 * time.Second},
		{time.Second, 3 * time.Second, 10 * time.Second},
	} {
		l := newLadder(halfLives, 2, time.Hour, time.Hour)
		rng := rand.New(rand.NewPCG(3, 4))
		var times [2][]time.Duration
		want := make([]float64, len(halfLives))
		var now time.Duration
		for range 400 {
			gap := rng.ExpFloat64() * float64(time.Second)
			if rng.IntN(50) == 0 {
				gap = 2000 * float64(time.Second) // 2^-2000 underflows
			}
			now += time.Duration(gap)
			k := Key(rng.IntN(2))
			if n := len(times[k]); n > 0 {
				for i, h := range halfLives {
					hs := h.Seconds()
					before, after := 0.0, 0.0
					for _, tj := range times[k] {
						before += math.Exp2(-(now - tj).Seconds() / hs)
						after += math.Exp2(-(times[k][n-1] - tj).Seconds() / hs)
					}
					logBefore := math.Log(after) - (now-times[k][n-1]).Seconds()/hs*math.Ln2
					want[i] += 2 * (logBefore + math.Log(math.Ln2/hs) - (after - before))
				}
			}
			last := time.Duration(0)
			if n := len(times[k]); n > 0 {
				last = times[k][n-1]
			}
			l.observe(k, last, now, 2)
			times[k] = append(times[k], now)
		}
		for i, h := range halfLives {
			if d := math.Abs(l.score[i] - want[i]); d > 1e-6*math.Abs(want[i]) {
				t.Errorf("half-lives %v: score of %v = %v, want %v", halfLives, h, l.score[i], want[i])
			}
			for k := range Key(2) {
				ts := times[k]
				sum := 0.0
				for _, tj := range ts {
					sum += math.Exp2(-(ts[len(ts)-1] - tj).Seconds() / h.Seconds())
				}
				want := math.Log(sum) + logWeightAt(ts[len(ts)-1], h)
				if got := l.logCount(i, k, ts[len(ts)-1]); math.Abs(got-want) > 1e-9*math.Abs(want) {
					t.Errorf("half-lives %v: log count of %d under %v = %v, want %v", halfLives, k, h, got, want)
				}
			}
		}
	}
}
