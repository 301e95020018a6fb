package policy

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// CremeBrulee is the utility policy of the EdgeServe authors' follow-up
// (Ogden, Gilman, Walls, Guo, "Many Models at the Edge: Scaling Deep
// Inference via Model-Level Caching", ACSOS 2021): BeladyMIN adapted with
// model-specific factors. A resident model's utility is
//
//	p(k)^B * cost(k)^C / size(k)
//
// where p(k), the estimated likelihood that the next request is for k, is
// k's share of the requests seen so far. Models are evicted by lowest
// utility until enough room is found; among the victims so chosen the
// largest are then freed first, and only as many as needed.
//
// With HalfLife > 0 the request counts decay exponentially (a variant the
// issue measured). Shares rank like counts, so utilities live in the log
// domain, where k's decayed count is log(sum_i 2^(t_i/HalfLife)): every
// model decays by the same factor at a given instant, so nothing is ever
// rescaled and a model's utility changes only when it is requested.
type CremeBrulee struct {
	cfg    CremeBruleeConfig
	t      table
	logCnt []float64
	last   []int64
	h      *keyHeap
}

// CremeBruleeConfig holds the utility's exponents.
type CremeBruleeConfig struct {
	// B weighs the next-use likelihood (the paper's default, 1).
	B float64
	// C weighs the load cost (default 1).
	C float64
	// HalfLife decays request counts; 0 keeps them for ever (the paper).
	HalfLife time.Duration
}

// DefaultCremeBruleeConfig is the policy as published: B = C = 1, no decay.
func DefaultCremeBruleeConfig() CremeBruleeConfig { return CremeBruleeConfig{B: 1, C: 1} }

// NewCremeBrulee returns the policy over models.
func NewCremeBrulee(cfg CremeBruleeConfig, models []Entry) (*CremeBrulee, error) {
	if cfg.B < 0 || cfg.C < 0 || cfg.HalfLife < 0 || math.IsNaN(cfg.B) || math.IsNaN(cfg.C) {
		return nil, fmt.Errorf("policy: cremebrulee exponents %v, %v and half-life %v must not be negative: %w", cfg.B, cfg.C, cfg.HalfLife, ErrBadConfig)
	}
	t, err := newTable(models)
	if err != nil {
		return nil, err
	}
	n := len(models)
	p := &CremeBrulee{cfg: cfg, t: t, logCnt: make([]float64, n), last: make([]int64, n), h: newKeyHeap(n)}
	for i := range p.logCnt {
		p.logCnt[i] = math.Inf(-1)
	}
	return p, nil
}

// Name implements Policy.
func (p *CremeBrulee) Name() string {
	if p.cfg.HalfLife > 0 {
		return "cremebrulee-decay"
	}
	return "cremebrulee"
}

// OnAccess counts the request and refreshes a resident model's utility.
func (p *CremeBrulee) OnAccess(e Entry, now time.Duration, _ bool) {
	k := e.Key
	p.logCnt[k] = logAddExp(p.logCnt[k], p.logWeight(now))
	p.last[k] = int64(now)
	if p.h.contains(k) {
		p.refresh(k)
	}
}

// OnInsert makes e a candidate for eviction.
func (p *CremeBrulee) OnInsert(e Entry, _ time.Duration) {
	p.t.learn(e)
	p.refresh(e.Key)
}

// OnRemove forgets k's residency (its count stays).
func (p *CremeBrulee) OnRemove(k Key) { p.h.remove(k) }

// Victims chooses by lowest utility, then frees the largest chosen first.
func (p *CremeBrulee) Victims(need int64, _ time.Duration, evictable func(Key) bool) []Key {
	chosen := p.h.victims(need, p.t.size, evictable)
	slices.SortStableFunc(chosen, func(a, b Key) int { return cmpInt64(p.t.size[b], p.t.size[a]) })
	var freed int64
	for i, k := range chosen {
		if freed >= need {
			return chosen[:i]
		}
		freed += p.t.size[k]
	}
	return chosen
}

// logWeight is the log of a request's weight at now: 0 without decay.
func (p *CremeBrulee) logWeight(now time.Duration) float64 {
	if p.cfg.HalfLife <= 0 {
		return 0
	}
	return math.Ln2 * float64(now) / float64(p.cfg.HalfLife)
}

func (p *CremeBrulee) refresh(k Key) {
	u := weighLog(p.cfg.B, p.logCnt[k]) + weighLog(p.cfg.C, math.Log(p.t.cost[k].Seconds())) - p.t.logSize(k)
	p.h.set(k, u, p.last[k])
}

// logAddExp returns log(exp(a) + exp(b)) without overflow.
func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// weighLog returns w*x, taking x^0 = 1 even where x is zero (log -Inf).
func weighLog(w, x float64) float64 {
	if w == 0 {
		return 0
	}
	return w * x
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DecayedCremeBruleeConfig is the variant with decayed request counts
// (B = C = 1, a 10 minute half-life).
func DecayedCremeBruleeConfig() CremeBruleeConfig {
	return CremeBruleeConfig{B: 1, C: 1, HalfLife: 10 * time.Minute}
}
