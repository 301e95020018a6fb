package policy_test

import (
	"testing"

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
	} {
		cfg := policy.DefaultEdgeServeConfig()
		mutate(&cfg)
		if _, err := policy.NewEdgeServe(cfg, models); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
