package policy

import (
	"math"
	"time"
)

// ladder makes EdgeServe's short half-life adaptive. It keeps each
// model's decayed request count for every half-life of a small set and
// scores each half-life by how well its rate estimates predicted the
// requests that came: the log-likelihood of the arrivals under a Poisson
// process whose intensity is the estimate (the estimate just before each
// request, log rate, minus the estimate's integral since the model's
// previous request), each request weighted by its model's load cost, since
// a rate matters to the policy in proportion to the delay a miss costs.
// Scores forget with a half-life of their own; every choice interval the
// best-scoring half-life becomes the one in use. Only the sampled models
// (sampleModels) are counted and scored.
//
// The log terms, one logarithm per half-life, are what a request costs;
// where requests come faster than scoreTarget a choice interval, each is
// taken on a random sample of about scoreTarget requests, each weighted
// by the inverse of its sampling probability (the integral terms, cheap,
// are taken on every request): the sum stays unbiased, and a minute of the
// shared Azure mapping still contributes thousands of terms.
//
// A count is kept as its value just after the model's latest request, so
// a request decays it by one factor, 2^(-gap/half-life), and adds one: no
// reference time to renormalise and no log-add-exp. Where one half-life
// is twice the next shorter one, its factor squared is the shorter one's,
// so the usual doubling ladder costs one exponential and one logarithm
// per half-life per request.
type ladder struct {
	halfLives []time.Duration
	// counts[i][k] is k's decayed count under halfLives[i] just after
	// its latest request; 0 before its first.
	counts [][]float64
	score  []float64
	// perNs[i] is ln 2 / halfLives[i] in ns: a gap times it is the log
	// of the decay over the gap.
	perNs []float64
	// logScale is log(ln 2 / half-life in s): a count times it is a rate.
	logScale []float64
	// halves[i] says halfLives[i] is half of halfLives[i+1].
	halves []bool
	active int
	// forget multiplies the scores at every choice.
	forget     float64
	every      time.Duration
	nextChoice time.Duration
	// seen counts the observed requests since the last choice; below
	// sampleBelow (a uint64 threshold on rng's draws) a request's log
	// terms are taken, each weighted by sampleWeight.
	seen         int
	sampleBelow  uint64
	sampleWeight float64
	rng          uint64
}

// scoreTarget is about how many requests a choice interval takes log
// terms on.
const scoreTarget = 4096

func newLadder(halfLives []time.Duration, n int, scoreHalfLife, every time.Duration) ladder {
	m := len(halfLives)
	l := ladder{halfLives: halfLives, counts: make([][]float64, m), score: make([]float64, m),
		perNs: make([]float64, m), logScale: make([]float64, m), halves: make([]bool, m),
		forget: math.Exp2(-every.Seconds() / scoreHalfLife.Seconds()), every: every, nextChoice: every,
		sampleBelow: math.MaxUint64, sampleWeight: 1, rng: 0x9e3779b97f4a7c15}
	for i, h := range halfLives {
		l.perNs[i] = math.Ln2 / float64(h)
		l.logScale[i] = math.Log(math.Ln2 / h.Seconds())
		l.counts[i] = make([]float64, n)
		l.halves[i] = i+1 < m && 2*h == halfLives[i+1]
	}
	// Until the first choice, the half-life in the middle of the set.
	l.active = m / 2
	return l
}

func (l *ladder) on() bool { return l.counts != nil }

// observe scores every half-life on a request for k at now (k's previous
// request was at last, if any) and then counts it.
func (l *ladder) observe(k Key, last, now time.Duration, weight float64) {
	gap := float64(now - last)
	l.seen++
	// xorshift64: a fast draw, enough to pick a sample.
	l.rng ^= l.rng << 13
	l.rng ^= l.rng >> 7
	l.rng ^= l.rng << 17
	logs := l.rng <= l.sampleBelow
	var decay float64
	for i := len(l.halfLives) - 1; i >= 0; i-- {
		if l.halves[i] {
			decay *= decay
		} else {
			decay = math.Exp(-gap * l.perNs[i])
		}
		c := l.counts[i][k]
		if c == 0 {
			l.counts[i][k] = 1
			continue
		}
		// The count just before this request; the difference from the
		// one just after the previous request is the integral of the rate
		// estimate in between. Its log is taken from c, since before may
		// underflow after a long gap.
		before := c * decay
		l.score[i] -= weight * (c - before)
		if logs {
			logRate := math.Log(c) - gap*l.perNs[i] + l.logScale[i]
			l.score[i] += weight * l.sampleWeight * logRate
		}
		l.counts[i][k] = before + 1
	}
}

// logCount is k's count under half-life i in EdgeServe's log domain,
// log(sum_j 2^(t_j/h)), given k's latest request at last (-Inf before its
// first).
func (l *ladder) logCount(i int, k Key, last time.Duration) float64 {
	return math.Log(l.counts[i][k]) + logWeightAt(last, l.halfLives[i])
}

// choose, once per choice interval, makes the best-scoring half-life the
// active one; it returns the active index and whether it changed.
func (l *ladder) choose(now time.Duration) (int, bool) {
	if now < l.nextChoice {
		return l.active, false
	}
	l.nextChoice = now + l.every
	best := l.active
	for i, s := range l.score {
		if s > l.score[best] {
			best = i
		}
	}
	for i := range l.score {
		l.score[i] *= l.forget
	}
	changed := best != l.active
	l.active = best
	l.resample()
	return best, changed
}

// resample sets the sampling probability of the next choice interval's
// log terms from the requests seen in the last one.
func (l *ladder) resample() {
	if l.seen <= scoreTarget {
		l.sampleBelow, l.sampleWeight = math.MaxUint64, 1
	} else {
		q := float64(scoreTarget) / float64(l.seen)
		l.sampleBelow, l.sampleWeight = uint64(q*math.MaxUint64), 1/q
	}
	l.seen = 0
}
