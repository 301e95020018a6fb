package policy

import (
	"math"
	"time"
)

// shadows make EdgeServe's admission ratio adaptive, as ARC and LeCaR
// adapt online: each ratio of a small set runs a shadow cache, a replay of
// the same requests with the same utilities (the policy's own) in the same
// capacity, that admits a missed model when ratio x its expected savings
// reach those of its victims; each shadow's load delay is charged as the
// cache charges it (a miss costs the model's load time; with loads that
// take time, a request for a model still loading waits for the rest), with
// a forgetting half-life; every choice interval the cheapest shadow's
// ratio becomes the policy's. A shadow holds only which models it keeps
// and when their loads end: one heap update per request and shadow, and
// victims chosen from its own heap on its misses. Shadows replay only the
// requests for the sampled models (sampleModels), in the capacity scaled
// by their share of the model bytes, as miniature simulations do
// (SHARDS, Waldspurger et al., FAST 2015), so that their cost per request
// does not grow with the number of models. The capacity is learned from
// the policy's own evictions (the bytes resident plus the bytes free when
// a miss needs room); until the first, shadows keep everything.
type shadows struct {
	ratios []float64
	// caches holds one shadow per ratio and, with knap, the knapsack's
	// shadow last.
	caches []shadowCache
	knap   *knapsack
	// cost is each shadow's decayed load delay in seconds.
	cost       []float64
	forget     float64
	every      time.Duration
	nextChoice time.Duration
	best       int
	capBytes   int64
	// memo holds expected savings computed during the current access,
	// which the shadows' victim sets share: memo[k] is valid while
	// memoAt[k] is memoGen.
	memo    []float64
	memoAt  []uint64
	memoGen uint64
	// out is access's buffer of victims.
	out []Key
}

type shadowCache struct {
	heap      *keyHeap
	readyAt   []time.Duration
	used      int64
	now       time.Duration
	evictable func(Key) bool
}

func newShadows(ratios []float64, n int, scoreHalfLife, every time.Duration) shadows {
	s := shadows{ratios: ratios, caches: make([]shadowCache, len(ratios)), cost: make([]float64, len(ratios)),
		forget: math.Exp2(-every.Seconds() / scoreHalfLife.Seconds()), every: every, nextChoice: every, best: len(ratios) / 2,
		memo: make([]float64, n), memoAt: make([]uint64, n)}
	s.initCaches(n)
	return s
}

// initCaches makes every shadow empty, over n models.
func (s *shadows) initCaches(n int) {
	for i := range s.caches {
		c := &s.caches[i]
		c.heap, c.readyAt = newKeyHeap(n), make([]time.Duration, n)
		c.evictable = func(k Key) bool { return c.readyAt[k] <= c.now }
	}
}

// addKnapsack adds the knapsack's shadow; only before the first request,
// since every shadow starts again empty.
func (s *shadows) addKnapsack(knap *knapsack, n int) {
	s.knap = knap
	s.caches = make([]shadowCache, len(s.caches)+1)
	s.cost = make([]float64, len(s.caches))
	s.initCaches(n)
}

func (s *shadows) on() bool { return s.caches != nil }

// ratio is the admission ratio in use (1 while the knapsack's shadow is
// the cheapest: the ratio of a miss the knapsack's set does not decide).
func (s *shadows) ratio() float64 {
	if s.best < len(s.ratios) {
		return s.ratios[s.best]
	}
	return 1
}

// knapsackChosen says the knapsack's shadow is the cheapest and its set
// is chosen.
func (s *shadows) knapsackChosen() bool { return s.best >= len(s.ratios) && s.knap.ready() }

// access replays a request for k at now, whose utility is u, in every
// shadow.
func (s *shadows) access(p *EdgeServe, k Key, now time.Duration, u float64) {
	size, load := p.t.size[k], p.t.cost[k]
	s.memoGen++
	for i := range s.caches {
		c := &s.caches[i]
		c.now = now
		if c.heap.contains(k) {
			c.heap.set(k, u, p.last[k])
			if wait := c.readyAt[k] - now; wait > 0 && !p.instant {
				s.cost[i] += wait.Seconds()
			}
			continue
		}
		s.cost[i] += load.Seconds()
		if s.capBytes > 0 && c.used+size > s.capBytes {
			need := c.used + size - s.capBytes
			out, ok := s.victims(p, i, k, need, now)
			if !ok {
				continue
			}
			for _, v := range out {
				c.heap.remove(v)
				c.used -= p.t.size[v]
			}
		}
		c.heap.set(k, u, p.last[k])
		c.used += size
		c.readyAt[k] = now
		if !p.instant {
			c.readyAt[k] += load
		}
	}
}

// victims chooses shadow i's victims to make need bytes of room for k at
// now, and whether k is admitted: a ratio's shadow admits k when its
// ratio x k's expected savings reach the victims'; the knapsack's admits
// only the models of its set and evicts models outside it first (then, if
// that is not room enough, as ratio 1 does).
func (s *shadows) victims(p *EdgeServe, i int, k Key, need int64, now time.Duration) ([]Key, bool) {
	c := &s.caches[i]
	ratio := 1.0
	if i < len(s.ratios) {
		ratio = s.ratios[i]
	} else if s.knap.ready() {
		if !s.knap.in[k] {
			return nil, false
		}
		s.out = c.heap.appendVictims(s.out[:0], need, p.t.size, s.knap.restrict(c.evictable))
		if sumSizes(s.out, p.t.size) >= need {
			return s.out, true
		}
	}
	s.out = c.heap.appendVictims(s.out[:0], need, p.t.size, c.evictable)
	var lost float64
	for _, v := range s.out {
		lost += s.expected(p, v, now)
	}
	return s.out, sumSizes(s.out, p.t.size) >= need && ratio*s.expected(p, k, now) >= lost
}

func sumSizes(keys []Key, size []int64) int64 {
	var sum int64
	for _, k := range keys {
		sum += size[k]
	}
	return sum
}

// expected is p.expected(k, now), computed once per access.
func (s *shadows) expected(p *EdgeServe, k Key, now time.Duration) float64 {
	if s.memoAt[k] != s.memoGen {
		s.memo[k], s.memoAt[k] = p.expected(k, now), s.memoGen
	}
	return s.memo[k]
}

// learnCapacity records the capacity a miss revealed (used bytes are
// resident and need more must be freed for size) and trims any shadow
// above it, least useful models first.
func (s *shadows) learnCapacity(p *EdgeServe, used, size, need int64) {
	if s.capBytes = int64(float64(used+size-need) * p.sampledShare); s.capBytes <= 0 {
		s.capBytes = 0
		return
	}
	for i := range s.caches {
		c := &s.caches[i]
		if c.used <= s.capBytes {
			continue
		}
		for _, v := range c.heap.victims(c.used-s.capBytes, p.t.size, nil) {
			c.heap.remove(v)
			c.used -= p.t.size[v]
		}
	}
}

// choose, once per choice interval, makes the cheapest shadow's ratio the
// one in use.
func (s *shadows) choose(now time.Duration) {
	if now < s.nextChoice {
		return
	}
	s.nextChoice = now + s.every
	for i, c := range s.cost {
		if c < s.cost[s.best] {
			s.best = i
		}
	}
	for i := range s.cost {
		s.cost[i] *= s.forget
	}
}

// rekey re-ranks every shadow's models after the policy's utilities all
// changed (a new half-life or memory).
func (s *shadows) rekey(p *EdgeServe, now time.Duration) {
	for i := range s.caches {
		h := s.caches[i].heap
		for _, k := range append([]Key(nil), h.keys...) {
			h.set(k, p.utility(k, now), p.last[k])
		}
	}
}

// sampleTarget is about how many models the online tuning follows.
const sampleTarget = 64

// sampleModels chooses the models the ladder and the shadows follow: all
// of them up to sampleTarget, else about sampleTarget by a hash of the
// key (1 in ceil(n/sampleTarget)). It returns them and their share of the
// model bytes.
func sampleModels(t table) ([]bool, float64) {
	n := len(t.size)
	stride := uint64(max(1, (n+sampleTarget-1)/sampleTarget))
	in := make([]bool, n)
	var all, kept float64
	for k := range in {
		in[k] = (uint64(k)*0x9e3779b97f4a7c15>>32)%stride == 0
		all += float64(max(t.size[k], 1))
		if in[k] {
			kept += float64(max(t.size[k], 1))
		}
	}
	if all == 0 || kept == 0 {
		return in, 1
	}
	return in, kept / all
}
