package policy_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

const (
	a policy.Key = iota
	b
	c
	d
)

// TestHandTraces checks each policy's victims on traces worked by hand.
func TestHandTraces(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		models   []policy.Entry
		capBytes int64
		trace    []policy.Key
		evicted  []policy.Key
	}{
		{
			// A B A C: C evicts B, the least recent; B then evicts A.
			name: "lru evicts least recent", policy: "lru",
			models: entries([2]int64{1, 1}, [2]int64{1, 1}, [2]int64{1, 1}), capBytes: 2,
			trace: []policy.Key{a, b, a, c, b}, evicted: []policy.Key{b, a},
		},
		{
			// Counts A2 B1 when C arrives: B goes. Then A2 B2 C1: C goes,
			// though it is the most recent.
			name: "lfu evicts least frequent", policy: "lfu",
			models: entries([2]int64{1, 1}, [2]int64{1, 1}, [2]int64{1, 1}), capBytes: 2,
			trace: []policy.Key{a, a, b, c, b}, evicted: []policy.Key{b, c},
		},
		{
			// cost/size: A 1, B 0.5, C 3, D 0.1 (ms per byte; H in those units).
			// C: H_A=1, H_B=0.5 -> evict B, L=0.5, H_C=3.5. A hit: H_A=0.5+2=2.5.
			// B (needs 1): evict A (2.5), L=2.5, H_B=3.0. D: evict B (3.0 < 3.5).
			name: "gdsf inflates L", policy: "gdsf",
			models: entries([2]int64{1, 1}, [2]int64{2, 1}, [2]int64{1, 3}, [2]int64{1, 0}), capBytes: 3,
			trace: []policy.Key{a, b, c, a, b, d}, evicted: []policy.Key{b, a, b},
		},
		{
			// Utilities (count x cost / size): A 3, B 0.4, C 0.5. D needs 2
			// bytes: lowest first picks B then C (3 bytes), then the largest
			// of those, C, already frees enough, so B stays.
			name: "cremebrulee frees largest chosen first", policy: "cremebrulee",
			models: entries([2]int64{1, 1000}, [2]int64{1, 400}, [2]int64{2, 1000}, [2]int64{2, 10000}), capBytes: 4,
			trace: []policy.Key{a, a, a, b, c, d}, evicted: []policy.Key{c},
		},
		{
			// Counts change the order: A 1, B 0.4, C (3 requests) 1.5. D
			// needs 2 bytes: B then A are chosen and both are needed.
			name: "cremebrulee counts requests so far", policy: "cremebrulee",
			models: entries([2]int64{1, 1000}, [2]int64{1, 400}, [2]int64{2, 1000}, [2]int64{2, 10000}), capBytes: 4,
			trace: []policy.Key{a, b, c, c, c, d}, evicted: []policy.Key{b, a},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dr := newDriver(t, mustNew(t, tc.policy, tc.models), tc.models, tc.capBytes)
			dr.run(tc.trace...)
			if !equalKeys(dr.evicted, tc.evicted) {
				t.Fatalf("evicted %v, want %v", dr.evicted, tc.evicted)
			}
		})
	}
}

// TestCremeBruleeDecay shows the decayed variant forgetting old demand:
// A was popular long ago, B is requested now; the plain policy keeps A,
// the decayed one keeps B.
func TestCremeBruleeDecay(t *testing.T) {
	models := entries([2]int64{1, 1000}, [2]int64{1, 1000}, [2]int64{1, 1000})
	for _, tc := range []struct {
		cfg  policy.CremeBruleeConfig
		want policy.Key
	}{
		{policy.DefaultCremeBruleeConfig(), b},
		{policy.CremeBruleeConfig{B: 1, C: 1, HalfLife: 10 * time.Second}, a},
	} {
		p, err := policy.NewCremeBrulee(tc.cfg, models)
		if err != nil {
			t.Fatal(err)
		}
		dr := newDriver(t, p, models, 2)
		dr.run(a, a, a, a)
		dr.now += time.Hour
		dr.run(b, b, c)
		if !equalKeys(dr.evicted, []policy.Key{tc.want}) {
			t.Errorf("%s evicted %v, want [%d]", p.Name(), dr.evicted, tc.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	want := []string{"cremebrulee", "cremebrulee-decay", "edgeserve", "edgeserve-cv-long", "edgeserve-cv-noknap", "edgeserve-cv-wide", "edgeserve-fixed", "gdsf", "lfu", "lru"}
	if got := policy.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	models := entries([2]int64{1, 1}, [2]int64{2, 2})
	for _, name := range want {
		if p := mustNew(t, name, models); p.Name() != name {
			t.Errorf("New(%q).Name() = %q", name, p.Name())
		}
	}
	if _, err := policy.New("belady", models); !errors.Is(err, policy.ErrUnknownPolicy) {
		t.Errorf("New(belady) error = %v, want ErrUnknownPolicy", err)
	}
	bad := map[string][]policy.Entry{
		"gap in keys":   {{Key: 0, SizeBytes: 1}, {Key: 2, SizeBytes: 1}},
		"repeated key":  {{Key: 0, SizeBytes: 1}, {Key: 0, SizeBytes: 1}},
		"negative size": {{Key: 0, SizeBytes: -1}},
		"negative cost": {{Key: 0, SizeBytes: 1, LoadCost: -time.Second}},
	}
	for what, m := range bad {
		for _, name := range want {
			if _, err := policy.New(name, m); !errors.Is(err, policy.ErrBadModels) {
				t.Errorf("%s with %s: error = %v, want ErrBadModels", name, what, err)
			}
		}
	}
}

func TestConfigValidation(t *testing.T) {
	models := entries([2]int64{1, 1})
	if _, err := policy.NewCremeBrulee(policy.CremeBruleeConfig{B: -1, C: 1}, models); !errors.Is(err, policy.ErrBadConfig) {
		t.Errorf("negative B: %v", err)
	}
	for name, mutate := range map[string]func(*policy.EdgeServeConfig){
		"zero half-life":   func(c *policy.EdgeServeConfig) { c.HalfLife = 0 },
		"zero ratio":       func(c *policy.EdgeServeConfig) { c.AdmitRatio = 0 },
		"negative preload": func(c *policy.EdgeServeConfig) { c.PreloadCandidates = -1 },
		"zero period":      func(c *policy.EdgeServeConfig) { c.MinPeriod = 0 },
		"inverted memory":  func(c *policy.EdgeServeConfig) { c.LongAfter = time.Second },
		"NaN size power":   func(c *policy.EdgeServeConfig) { c.SizeExponent = math.NaN() },
	} {
		cfg := policy.DefaultEdgeServeConfig()
		mutate(&cfg)
		if _, err := policy.NewEdgeServe(cfg, models); !errors.Is(err, policy.ErrBadConfig) {
			t.Errorf("%s: error = %v, want ErrBadConfig", name, err)
		}
	}
}

// TestVictimsRespectEvictable checks every policy skips models the caller
// pins (in use, or still loading).
func TestVictimsRespectEvictable(t *testing.T) {
	models := entries([2]int64{1, 1}, [2]int64{1, 1}, [2]int64{1, 1})
	for _, name := range policy.Names() {
		t.Run(name, func(t *testing.T) {
			p := mustNew(t, name, models)
			for i, k := range []policy.Key{a, b} {
				now := time.Duration(i+1) * time.Second
				p.OnAccess(models[k], now, false)
				p.OnInsert(models[k], now)
			}
			p.OnAccess(models[c], 3*time.Second, false)
			got := p.Victims(1, 3*time.Second, func(k policy.Key) bool { return k == b })
			if len(got) > 1 || (len(got) == 1 && got[0] != b) {
				t.Fatalf("victims %v, want [b] or none", got)
			}
			if got := p.Victims(1, 3*time.Second, func(policy.Key) bool { return false }); len(got) != 0 {
				t.Fatalf("victims %v with nothing evictable", got)
			}
		})
	}
}
