package policy

import (
	"fmt"
	"math"
	"time"
)

// EdgeServe is EdgeServe's own policy. See the package comment of this
// file's design notes in doc.go.
type EdgeServe struct {
	cfg    EdgeServeConfig
	t      table
	logCnt []float64
	last   []int64
	// adj is each model's log utility adjustment from hints and peers.
	adj []float64
	h   *keyHeap
}

// EdgeServeConfig tunes the EdgeServe policy.
type EdgeServeConfig struct {
	// HalfLife is the half-life of the decayed request counts.
	HalfLife time.Duration
}

// DefaultEdgeServeConfig is tuned on the Azure Functions sample.
func DefaultEdgeServeConfig() EdgeServeConfig {
	return EdgeServeConfig{HalfLife: 10 * time.Minute}
}

// NewEdgeServe returns the policy over models.
func NewEdgeServe(cfg EdgeServeConfig, models []Entry) (*EdgeServe, error) {
	if cfg.HalfLife <= 0 {
		return nil, fmt.Errorf("policy: edgeserve half-life %v must be positive: %w", cfg.HalfLife, ErrBadConfig)
	}
	t, err := newTable(models)
	if err != nil {
		return nil, err
	}
	n := len(models)
	p := &EdgeServe{cfg: cfg, t: t, logCnt: make([]float64, n), last: make([]int64, n), adj: make([]float64, n), h: newKeyHeap(n)}
	for i := range p.logCnt {
		p.logCnt[i] = math.Inf(-1)
	}
	return p, nil
}

// Name implements Policy.
func (p *EdgeServe) Name() string { return "edgeserve" }

// OnAccess counts the request.
func (p *EdgeServe) OnAccess(e Entry, now time.Duration, _ bool) {
	k := e.Key
	p.logCnt[k] = logAddExp(p.logCnt[k], math.Ln2*float64(now)/float64(p.cfg.HalfLife))
	p.last[k] = int64(now)
	if p.h.contains(k) {
		p.refresh(k)
	}
}

// OnInsert makes e a candidate for eviction.
func (p *EdgeServe) OnInsert(e Entry, _ time.Duration) {
	p.t.learn(e)
	p.refresh(e.Key)
}

// OnRemove forgets k's residency.
func (p *EdgeServe) OnRemove(k Key) { p.h.remove(k) }

// Victims evicts the lowest utility first.
func (p *EdgeServe) Victims(need int64, _ time.Duration, evictable func(Key) bool) []Key {
	return p.h.victims(need, p.t.size, evictable)
}

func (p *EdgeServe) refresh(k Key) {
	u := p.logCnt[k] + math.Log(p.t.cost[k].Seconds()) - p.t.logSize(k) + p.adj[k]
	p.h.set(k, u, p.last[k])
}
