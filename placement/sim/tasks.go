package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// Variant is one model of a family of functionally-equivalent models (the
// same task, different accuracy and cost).
type Variant struct {
	profile.Model
	// Accuracy is a fraction in [0, 1], as in variant.Candidate.
	Accuracy float64
}

// TaskWorkload is what RunTasks replays: requests that name a task (a
// tenant's application, such as one Azure function) rather than a model.
// Every task has its own copy of each model of Family, so the workload's
// models are len(Tasks) x len(Family), task t's variant v being model
// t*len(Family)+v (Key). Requests[i].Model indexes Tasks; Budgets[t] is
// task t's latency budget.
type TaskWorkload struct {
	Requests []trace.Request
	Tasks    []string
	Budgets  []time.Duration
	Family   []Variant
	// Range is how MapTasks drew the budgets (zero when they were given).
	Range BudgetRange
}

// BudgetRange draws each task's latency budget uniformly between Lo and
// Hi times the family's fastest run time (its fastest hit).
type BudgetRange struct {
	Lo, Hi float64
}

// String is the range as the CLI takes it ("1.5-3").
func (b BudgetRange) String() string { return fmt.Sprintf("%g-%g", b.Lo, b.Hi) }

// MapTasks makes every model of t (an Azure function, say) a task with
// its own copy of family, and draws each task's budget from budgets: the
// tasks, sorted by name, are shuffled by a PCG generator seeded with seed,
// and take their draws in that order, so a task's budget depends only on
// the names and the seed. The requests are t's.
func MapTasks(t *trace.Trace, family []Variant, budgets BudgetRange, seed uint64) (*TaskWorkload, error) {
	if err := validateFamily(family); err != nil {
		return nil, err
	}
	if !(budgets.Lo > 0) || !(budgets.Hi >= budgets.Lo) || math.IsInf(budgets.Hi, 0) {
		return nil, fmt.Errorf("%w: budget range %v: want 0 < lo <= hi", ErrMapping, budgets)
	}
	fastest := slices.MinFunc(family, func(a, b Variant) int { return cmp.Compare(a.RunTime, b.RunTime) }).RunTime
	rng := rand.New(rand.NewPCG(seed, 0xb0d9e7))
	order := make([]int, len(t.Models))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(t.Models[a], t.Models[b]) })
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	w := &TaskWorkload{Requests: t.Requests, Tasks: t.Models, Budgets: make([]time.Duration, len(t.Models)), Family: slices.Clone(family), Range: budgets}
	for _, task := range order {
		f := budgets.Lo + rng.Float64()*(budgets.Hi-budgets.Lo)
		w.Budgets[task] = time.Duration(math.Round(f * float64(fastest)))
	}
	return w, w.Validate()
}

func validateFamily(family []Variant) error {
	if len(family) == 0 {
		return fmt.Errorf("%w: empty model family", ErrMapping)
	}
	names := make(map[string]bool, len(family))
	for _, v := range family {
		if names[v.Name] {
			return fmt.Errorf("%w: two variants named %q", ErrMapping, v.Name)
		}
		names[v.Name] = true
		if !(v.Accuracy >= 0 && v.Accuracy <= 1) || v.RunTime <= 0 || v.LoadTime < 0 || v.SizeBytes < 0 {
			return fmt.Errorf("%w: variant %s: accuracy %v (want [0, 1]), run %v (want > 0), load %v, size %d",
				ErrMapping, v.Name, v.Accuracy, v.RunTime, v.LoadTime, v.SizeBytes)
		}
	}
	return nil
}

// Validate checks the family, that there is a budget per task, that every
// request names a task and that times never go backwards.
func (w *TaskWorkload) Validate() error {
	if err := validateFamily(w.Family); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidWorkload, err)
	}
	if len(w.Budgets) != len(w.Tasks) {
		return fmt.Errorf("%w: %d budgets for %d tasks", ErrInvalidWorkload, len(w.Budgets), len(w.Tasks))
	}
	if int64(len(w.Tasks))*int64(len(w.Family)) > math.MaxInt32 {
		return fmt.Errorf("%w: %d tasks of %d models do not fit policy keys", ErrInvalidWorkload, len(w.Tasks), len(w.Family))
	}
	n := int32(len(w.Tasks))
	for i, r := range w.Requests {
		if r.Model < 0 || r.Model >= n {
			return fmt.Errorf("%w: request %d names task %d of %d", ErrInvalidWorkload, i, r.Model, n)
		}
		if r.Time < 0 || (i > 0 && r.Time < w.Requests[i-1].Time) {
			return fmt.Errorf("%w: request %d at %v is out of order", ErrInvalidWorkload, i, r.Time)
		}
	}
	return nil
}

// Key is the policy key of task's variant v.
func (w *TaskWorkload) Key(task, v int) policy.Key { return policy.Key(task*len(w.Family) + v) }

// TotalBytes is the size of every task's copy of every variant.
func (w *TaskWorkload) TotalBytes() int64 {
	var fam int64
	for _, v := range w.Family {
		fam += v.SizeBytes
	}
	return fam * int64(len(w.Tasks))
}

// Entries returns the policy's view of every model, indexed by Key.
func (w *TaskWorkload) Entries() []policy.Entry {
	n := len(w.Family)
	out := make([]policy.Entry, len(w.Tasks)*n)
	for i := range out {
		v := w.Family[i%n]
		out[i] = policy.Entry{Key: policy.Key(i), SizeBytes: v.SizeBytes, LoadCost: v.LoadTime}
	}
	return out
}
