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
// (sampleModels) are counted and scored: a request for one costs one
// count update and one score term per half-life, O(len(halfLives)).
type ladder struct {
	halfLives []time.Duration
	counts    [][]float64
	score     []float64
	// logScale is log(ln 2 / half-life): a count times it is a rate.
	logScale []float64
	active   int
	// forget multiplies the scores at every choice.
	forget     float64
	every      time.Duration
	nextChoice time.Duration
}

func newLadder(halfLives []time.Duration, n int, scoreHalfLife, every time.Duration) ladder {
	l := ladder{halfLives: halfLives, counts: make([][]float64, len(halfLives)), score: make([]float64, len(halfLives)),
		forget: math.Exp2(-every.Seconds() / scoreHalfLife.Seconds()), every: every, nextChoice: every}
	l.logScale = make([]float64, len(halfLives))
	for i := range l.counts {
		l.logScale[i] = math.Log(math.Ln2 / halfLives[i].Seconds())
		l.counts[i] = make([]float64, n)
		for k := range l.counts[i] {
			l.counts[i][k] = math.Inf(-1)
		}
	}
	// Until the first choice, the half-life in the middle of the set.
	l.active = len(halfLives) / 2
	return l
}

func (l *ladder) on() bool { return l.counts != nil }

// observe scores every half-life on a request for k at now (k's previous
// request was at last, if any) and then counts it.
func (l *ladder) observe(k Key, last, now time.Duration, weight float64) {
	for i, h := range l.halfLives {
		c := l.counts[i][k]
		lw := logWeightAt(now, h)
		if math.IsInf(c, -1) {
			l.counts[i][k] = lw
			continue
		}
		// Decayed counts just after the previous request and just before
		// this one; their difference is the integral of the rate estimate
		// in between.
		after, before := math.Exp(c-logWeightAt(last, h)), math.Exp(c-lw)
		logRate := c - lw + l.logScale[i]
		l.score[i] += weight * (logRate - (after - before))
		l.counts[i][k] = logAddExp(c, lw)
	}
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
	return best, changed
}
