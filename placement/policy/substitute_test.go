package policy_test

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// TestSubstituteCost: the extra run time plus the points given up, never
// below zero.
func TestSubstituteCost(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name        string
		missed, sub policy.Equivalent
		want        time.Duration
	}{
		{"slower and less accurate", policy.Equivalent{RunTime: 30 * ms, Accuracy: 0.90}, policy.Equivalent{RunTime: 50 * ms, Accuracy: 0.88}, 20*ms + 2*50*ms},
		{"faster and less accurate", policy.Equivalent{RunTime: 50 * ms, Accuracy: 0.938}, policy.Equivalent{RunTime: 28 * ms, Accuracy: 0.906}, 160 * ms},
		{"dominating", policy.Equivalent{RunTime: 50 * ms, Accuracy: 0.856}, policy.Equivalent{RunTime: 28 * ms, Accuracy: 0.906}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.SubstituteCost(tc.missed, tc.sub, policy.DefaultAccuracyPointCost); got != tc.want {
				t.Fatalf("SubstituteCost = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEdgeServeSubstitutes: A and B are equivalents, C is unrelated; all
// three are requested in turn, as busy as each other, and memory holds
// two. The driver tells the policy, after every request, which of A and B
// can stand in for the other (the one that is resident, at 100 ms, far
// below the 1 s load). With substitutes the unrelated C stays once loaded
// and A and B are never both kept; without them, C is evicted like any
// other model.
func TestEdgeServeSubstitutes(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000}, [2]int64{1, 1000})
	const sub = 100 * time.Millisecond
	for _, substitutes := range []bool{false, true} {
		p := newEdgeServe(t, models, func(c *policy.EdgeServeConfig) {
			*c = policy.FixedEdgeServeConfig()
			c.Preload = false
		})
		var _ policy.Substitutable = p
		dr := newDriver(t, p, models, 2)
		bothKept, cEvicted := 0, 0
		for i := 0; i < 30; i++ {
			dr.now += time.Second
			dr.serve(policy.Key(i % 3))
			if substitutes {
				p.SetSubstitute(a, substituteIf(dr.resident[b], sub))
				p.SetSubstitute(b, substituteIf(dr.resident[a], sub))
			}
			if dr.resident[a] && dr.resident[b] && i >= 3 {
				bothKept++
			}
		}
		for _, k := range dr.evicted {
			if k == c {
				cEvicted++
			}
		}
		if substitutes && (cEvicted != 0 || bothKept != 0 || !dr.resident[c]) {
			t.Errorf("with substitutes: C evicted %d times, A and B both kept after %d requests, resident %v; want C kept and one of A, B",
				cEvicted, bothKept, dr.resident)
		}
		if !substitutes && cEvicted == 0 {
			t.Errorf("without substitutes C was never evicted (evicted %v): the test no longer shows what substitutes change", dr.evicted)
		}
	}
}

// TestEdgeServeSubstituteCleared: NoSubstitute (any negative cost) makes
// a model as dear to miss as before.
func TestEdgeServeSubstituteCleared(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000})
	p := newEdgeServe(t, models, func(c *policy.EdgeServeConfig) { *c = policy.FixedEdgeServeConfig() })
	dr := newDriver(t, p, models, 1)
	dr.run(a, a, a)
	p.SetSubstitute(a, time.Millisecond)
	p.SetSubstitute(a, -5*time.Second)
	p.SetSubstitute(policy.Key(7), time.Millisecond) // unknown key: ignored
	dr.run(b)
	if len(dr.evicted) != 0 {
		t.Fatalf("evicted %v after the substitute was cleared, want none (B declined)", dr.evicted)
	}
}

func substituteIf(ok bool, cost time.Duration) time.Duration {
	if ok {
		return cost
	}
	return policy.NoSubstitute
}
