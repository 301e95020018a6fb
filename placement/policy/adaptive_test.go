package policy_test

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// TestEdgeServeShadowsAdmission: A is requested every other second and
// one of 30 rarely requested models in between, in room for one model.
// Admitting those models evicts A each time; the shadow of the low ratio
// sees it and, from the first choice (a minute in), the policy declines
// them. With the high ratio fixed, A keeps being evicted.
func TestEdgeServeShadowsAdmission(t *testing.T) {
	sc := make([][2]int64, 31)
	for i := range sc {
		sc[i] = [2]int64{1, 1000}
	}
	models := entries(sc...)
	for _, tc := range []struct {
		name   string
		ratios []float64
		wantA  bool // whether A is still evicted after the first choice
	}{{"shadows", []float64{0.01, 100}, false}, {"fixed high ratio", nil, true}} {
		p := newEdgeServe(t, models, func(c *policy.EdgeServeConfig) {
			c.AdmitRatio, c.AdmitRatios, c.Periodic = 100, tc.ratios, false
		})
		dr := newDriver(t, p, models, 1)
		evictedLate := 0
		for i := range 120 {
			dr.run(a, policy.Key(1+i%30))
			if dr.now > 70e9 {
				for _, v := range dr.evicted {
					if v == a {
						evictedLate++
					}
				}
			}
			dr.evicted = dr.evicted[:0]
		}
		if got := evictedLate > 0; got != tc.wantA {
			t.Errorf("%s: A evicted %d times after the first choice, want evictions %v", tc.name, evictedLate, tc.wantA)
		}
	}
}

// TestEdgeServeAdaptiveConfig: ladders need positive entries and a
// scoring half-life and choice interval.
func TestEdgeServeAdaptiveConfig(t *testing.T) {
	models := entries([2]int64{1, 1})
	for name, mutate := range map[string]func(*policy.EdgeServeConfig){
		"zero half-life in ladder": func(c *policy.EdgeServeConfig) { c.HalfLives[0] = 0 },
		"negative ratio":           func(c *policy.EdgeServeConfig) { c.AdmitRatios[0] = -1 },
		"no score half-life":       func(c *policy.EdgeServeConfig) { c.ScoreHalfLife = 0 },
		"no choice interval":       func(c *policy.EdgeServeConfig) { c.ChooseEvery = 0 },
		"no knapsack interval":     func(c *policy.EdgeServeConfig) { c.KnapsackEvery = 0 },
	} {
		cfg := policy.DefaultEdgeServeConfig()
		mutate(&cfg)
		if _, err := policy.NewEdgeServe(cfg, models); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEdgeServeKnapsackShadow: A (6 bytes, 7 s loads) and B and C (5
// bytes, 5 s loads each) are requested in turn, in room for 10 bytes. A
// comes first and is kept: B's and C's savings are below A's, so both
// admission ratios decline them, and every B and C misses. The knapsack's
// set is B and C (worth 10 s per round against A's 7), so once its shadow
// is chosen (a minute in) the policy keeps B and C and declines A. Without
// instant loads the knapsack is off and A stays.
func TestEdgeServeKnapsackShadow(t *testing.T) {
	models := entries([2]int64{6, 7000}, [2]int64{5, 5000}, [2]int64{5, 5000})
	for _, instant := range []bool{true, false} {
		p := newEdgeServe(t, models, func(c *policy.EdgeServeConfig) {
			c.AdmitRatios, c.Periodic, c.Knapsack, c.KnapsackEvery = []float64{0.5, 1}, false, true, time.Second
		})
		p.SetInstantLoads(instant)
		dr := newDriver(t, p, models, 10)
		for range 40 {
			dr.run(a, b, c)
		}
		dr.misses = 0
		for range 20 {
			dr.run(a, b, c)
		}
		want := map[policy.Key]bool{b: instant, c: instant, a: !instant}
		for k, in := range want {
			if dr.resident[k] != in {
				t.Errorf("instant %v: model %d resident %v, want %v", instant, k, dr.resident[k], in)
			}
		}
		// The last 20 rounds: A misses, or B and C do.
		if wantMisses := map[bool]int{true: 20, false: 40}[instant]; dr.misses != wantMisses {
			t.Errorf("instant %v: %d misses in the last 20 rounds, want %d", instant, dr.misses, wantMisses)
		}
	}
}
