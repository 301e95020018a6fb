// Package variant chooses, for a request that names a task rather than a
// model, which of the task's functionally-equivalent models serves it:
// the most accurate one whose predicted latency meets the request's
// budget, the prediction including where it would run (a hit here, a
// forward to a peer, a load). It is pure, so the node and the simulator
// choose alike.
package variant

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/route"
)

// ErrNoVariant is returned (wrapped) when no model of the task qualifies.
var ErrNoVariant = errors.New("variant: no model of the task qualifies")

// Candidate is one model of the task with its predicted latency.
type Candidate struct {
	Name    string
	Version string
	// Accuracy is the model's accuracy, a fraction in [0, 1] (0: unknown,
	// ranked below every known accuracy).
	Accuracy float64
	// Latency is the predicted time to the answer at the cheapest place
	// the model could run (Where, on Node: "" for this node).
	Latency time.Duration
	Where   route.Kind
	Node    string
}

// Request is what the client asked of the choice.
type Request struct {
	// MinAccuracy excludes less accurate models (0: no bound).
	MinAccuracy float64
	// Budget is the latency the answer should arrive within (0: none).
	Budget time.Duration
}

// Choice is the model chosen. BudgetMissed says no model could meet the
// budget, so the fastest one was chosen.
type Choice struct {
	Candidate
	BudgetMissed bool
}

// Choose picks among cands: the most accurate one whose latency meets
// req.Budget (every one when there is no budget); when none does, the
// fastest, with BudgetMissed set. Ties in accuracy go to what is loaded
// nearest (a hit here, then a loaded peer, then a load), then to the
// lower latency, then to the name. Models below req.MinAccuracy never
// qualify; with none left Choose returns ErrNoVariant.
func Choose(cands []Candidate, req Request) (Choice, error) {
	ok := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if c.Accuracy >= req.MinAccuracy {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		if len(cands) == 0 {
			return Choice{}, fmt.Errorf("%w: the task has no model", ErrNoVariant)
		}
		return Choice{}, fmt.Errorf("%w: none of its %d models reaches accuracy %g", ErrNoVariant, len(cands), req.MinAccuracy)
	}
	within := ok[:0:0]
	for _, c := range ok {
		if req.Budget <= 0 || c.Latency <= req.Budget {
			within = append(within, c)
		}
	}
	if len(within) == 0 {
		return Choice{Candidate: slices.MinFunc(ok, faster), BudgetMissed: true}, nil
	}
	return Choice{Candidate: slices.MinFunc(within, better)}, nil
}

// better orders candidates best first: more accurate, then nearer, then
// faster, then by name and version.
func better(a, b Candidate) int {
	if c := cmp.Compare(b.Accuracy, a.Accuracy); c != 0 {
		return c
	}
	if c := cmp.Compare(nearness(a.Where), nearness(b.Where)); c != 0 {
		return c
	}
	return faster(a, b)
}

// faster orders candidates by latency, then by name and version.
func faster(a, b Candidate) int {
	if c := cmp.Compare(a.Latency, b.Latency); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Version, b.Version)
}

// nearness ranks where a model would run: loaded here, loaded on a peer,
// loaded nowhere.
func nearness(k route.Kind) int {
	switch k {
	case route.Hit:
		return 0
	case route.ForwardHit:
		return 1
	}
	return 2
}
