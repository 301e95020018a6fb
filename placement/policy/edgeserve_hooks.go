package policy

import (
	"math"
	"time"
)

// SetPeerCopy tells the policy that a peer holds a loaded copy of k that a
// request can be forwarded to in about rtt; rtt <= 0 says none does. A miss
// on k then costs at most rtt, so k is worth less here.
func (p *EdgeServe) SetPeerCopy(k Key, rtt time.Duration) {
	if !p.valid(k) {
		return
	}
	p.peerRTT[k] = max(rtt, 0)
	p.refreshIfSeen(k)
}

// SetHint weighs k by a placement hint: weight 0 is neutral, weight w
// multiplies k's expected savings by 1+w. Negative weights count as 0.
func (p *EdgeServe) SetHint(k Key, weight float64) {
	if !p.valid(k) || math.IsNaN(weight) {
		return
	}
	p.logHint[k] = math.Log1p(max(weight, 0))
	p.refreshIfSeen(k)
}

// Preload returns the non-resident models most worth loading that fit in
// freeBytes, among the PreloadCandidates most useful ones; a model
// qualifies once its decayed request count reaches PreloadMinRequests.
func (p *EdgeServe) Preload(now time.Duration, freeBytes int64, resident func(Key) bool) []Key {
	if !p.cfg.Preload {
		return nil
	}
	if p.shadows.knapsackChosen() {
		return p.preloadKnapsack(freeBytes, resident)
	}
	if !p.coldChanged && freeBytes == p.preloadFree {
		return nil
	}
	var out, popped []Key
	for len(popped) < p.cfg.PreloadCandidates && p.cold.Len() > 0 {
		k := p.cold.pop()
		popped = append(popped, k)
		if p.t.size[k] <= freeBytes && !resident(k) && p.count(k, now) >= p.cfg.PreloadMinRequests {
			out = append(out, k)
			freeBytes -= p.t.size[k]
		}
	}
	for _, k := range popped {
		p.cold.set(k, p.cold.prio[k], p.cold.tie[k])
	}
	p.coldChanged, p.preloadFree = false, -1
	if len(out) == 0 {
		p.preloadFree = freeBytes
	}
	return out
}

// preloadKnapsack returns the knapsack set's models that are not resident
// and fit in freeBytes, when the set or the free memory changed since the
// last call: O(n), n being at most sampleTarget.
func (p *EdgeServe) preloadKnapsack(freeBytes int64, resident func(Key) bool) []Key {
	if !p.knap.changed && freeBytes == p.knapFree {
		return nil
	}
	p.knap.changed = false
	var out []Key
	for k, in := range p.knap.in {
		if in && p.t.size[k] <= freeBytes && !resident(Key(k)) {
			out = append(out, Key(k))
			freeBytes -= p.t.size[k]
		}
	}
	p.knapFree = freeBytes
	return out
}

func (p *EdgeServe) valid(k Key) bool { return k >= 0 && int(k) < len(p.last) }

// refreshIfSeen recomputes k's utility; its decay shift makes any instant
// do, so k's last request time is used.
func (p *EdgeServe) refreshIfSeen(k Key) {
	if !math.IsInf(p.logCnt[k], -1) {
		p.refresh(k, time.Duration(p.last[k]))
	}
}
