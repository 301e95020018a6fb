package policy

import (
	"math"
	"time"
)

// Substitutable is implemented by policies that value a model less when a
// loaded functionally-equivalent model (one of the same task) can serve
// its requests: the poster's utility of a model of a task.
type Substitutable interface {
	// SetSubstitute records that a request for k, were k missing, could
	// be served by a loaded equivalent at about cost (SubstituteCost);
	// cost < 0 (NoSubstitute) says no loaded equivalent can serve it.
	SetSubstitute(k Key, cost time.Duration)
}

// NoSubstitute is the cost SetSubstitute takes to say that no loaded
// equivalent can serve a model's requests. A cost of 0 is a free
// substitute: an equivalent at least as accurate and as fast.
const NoSubstitute time.Duration = -1

// DefaultAccuracyPointCost is the time one percentage point of accuracy
// is worth in SubstituteCost: 50 ms, about two runs of the fastest
// image classifier of the poster's Table I (MobileNetV1-0.25, 25.7 ms).
// It is a choice, not a measurement: it says how much answering late is
// worse than answering less accurately, which only the application knows.
const DefaultAccuracyPointCost = 50 * time.Millisecond

// Equivalent describes a model as SubstituteCost compares it with another
// of its task.
type Equivalent struct {
	// RunTime is one warm inference.
	RunTime time.Duration
	// Accuracy is a fraction in [0, 1], as in variant.Candidate.
	Accuracy float64
}

// SubstituteCost is what serving a request for missed with sub instead
// costs, as a time: sub's extra run time plus perPoint for each
// percentage point of accuracy given up. Neither part is negative: a
// faster or more accurate substitute earns nothing back, so a substitute
// is never cheaper than a hit on missed itself.
func SubstituteCost(missed, sub Equivalent, perPoint time.Duration) time.Duration {
	extra := max(sub.RunTime-missed.RunTime, 0)
	points := max(missed.Accuracy-sub.Accuracy, 0) * 100
	if math.IsNaN(points) {
		points = 0
	}
	return extra + time.Duration(math.Round(points*float64(perPoint)))
}

// SetSubstitute records that a request for k can be served by a loaded
// equivalent at about cost (cost < 0: none can). A miss on k then costs at
// most cost, so k is worth less here, and one of several loaded
// equivalents is evicted before an unrelated model as busy. The caller
// keeps it current as equivalents load and leave.
func (p *EdgeServe) SetSubstitute(k Key, cost time.Duration) {
	if !p.valid(k) {
		return
	}
	if cost < 0 {
		cost = NoSubstitute
	}
	if p.subCost[k] == cost {
		return
	}
	p.subCost[k] = cost
	p.refreshIfSeen(k)
}
