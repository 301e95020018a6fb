package sim

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/route"
	"github.com/edgeserve/edgeserve/placement/variant"
)

// ByTask is TaskContender.Variant for choosing a variant per request.
const ByTask = -1

// TaskContender is one way of serving a TaskWorkload.
type TaskContender struct {
	Name string
	// Policy names the cache policy (policy.New, with admission control
	// where the policy has it, as Run's contenders).
	Policy string
	// NewPolicy, when set, builds the policy instead (tests).
	NewPolicy func(models []policy.Entry) (policy.Policy, error)
	// Variant >= 0 serves every request with that variant of the family
	// (the baselines: always the most accurate, always the fastest);
	// ByTask chooses per request with variant.Choose.
	Variant int
	// Substitutes keeps a policy.Substitutable policy told, for every
	// model, what serving its requests with a loaded equivalent within
	// the task's budget costs (policy.SubstituteCost).
	Substitutes bool
	// Upgrades offers the policy, after a request that a less accurate
	// variant served, the task's preferred variant (the most accurate one
	// whose run meets the budget) as a missed request, so that it loads in
	// the background when the policy finds it room (ByTask only).
	Upgrades bool
	// Fallbacks keeps each task's fallback, its smallest variant whose
	// run meets the budget, loaded from the task's first request on, in
	// memory reserved for every task's fallback up front and taken from
	// the capacity (the policy manages the rest and never sees the
	// fallbacks), so that a task whose accurate variant was evicted still
	// answers within its budget. The reserve is at most the memory that
	// always serving the smallest model takes (ByTask only).
	Fallbacks bool
}

// TaskConfig holds the settings every contender of a comparison shares.
type TaskConfig struct {
	// CapacityBytes is the memory budget.
	CapacityBytes int64
	// AccuracyPointCost is what a percentage point of accuracy is worth
	// in substitute costs (default policy.DefaultAccuracyPointCost).
	AccuracyPointCost time.Duration
	// LoadSlots bounds the loads in progress at once; a load waits for a
	// free slot, and a miss's predicted latency includes that wait
	// (0: unlimited, as Run).
	LoadSlots int
	// Progress, when set, is called with the requests replayed so far
	// every ProgressEvery requests (default 1<<16) and at the end.
	Progress      func(done int)
	ProgressEvery int
}

// taskRun is one replay of a TaskWorkload: the node's memory, as in Run,
// and the choice among each task's variants.
type taskRun struct {
	w   *TaskWorkload
	con TaskContender
	cfg TaskConfig
	p   policy.Policy
	sub policy.Substitutable // nil unless the contender keeps it told
	pre Preloader
	// entries, resident and readyAt are per model (Key); used is the
	// bytes of the policy's resident models, capBytes the policy's share
	// of the capacity (all of it but the fallbacks' reserve).
	entries  []policy.Entry
	resident []bool
	readyAt  []time.Duration
	used     int64
	capBytes int64
	now      time.Duration
	slots    slots
	// subCost[v][e] is what serving v's requests with e costs;
	// preferred[t] is task t's most accurate variant whose run meets its
	// budget (-1: none does).
	subCost   [][]time.Duration
	preferred []int
	// fallback[t] is task t's smallest variant whose run meets its
	// budget (-1: none does).
	fallback []int
	// reserved marks the fallbacks, which live in the reserve, outside
	// the policy (Fallbacks).
	reserved []bool
	cands    []variant.Candidate
	tally    taskTally
	// evictable and isResident are built once, as in Run.
	evictable, isResident func(policy.Key) bool
}

// RunTasks replays w under con at cfg.CapacityBytes. Each request's
// variant is con.Variant's, or the one variant.Choose picks among the
// task's variants with their predicted latencies: a resident, ready model
// its run time; a loading one the rest of its load and the run; any other
// the wait for a load slot, its load and the run. The chosen model is then
// served as Run serves a request (a miss loads it, the policy naming the
// victims, or serves it from a transient load when the policy declines).
func RunTasks(w *TaskWorkload, con TaskContender, cfg TaskConfig) (TaskResult, error) {
	r, err := newTaskRun(w, con, cfg)
	if err != nil {
		return TaskResult{}, err
	}
	every := cmp0(cfg.ProgressEvery, 1<<16)
	for i, req := range w.Requests {
		r.now = req.Time
		r.request(int(req.Model))
		if cfg.Progress != nil && (i+1)%every == 0 {
			cfg.Progress(i + 1)
		}
	}
	if cfg.Progress != nil {
		cfg.Progress(len(w.Requests))
	}
	return r.result(), nil
}

func newTaskRun(w *TaskWorkload, con TaskContender, cfg TaskConfig) (*taskRun, error) {
	if con.Variant < ByTask || con.Variant >= len(w.Family) {
		return nil, fmt.Errorf("%w: contender %s serves variant %d of %d", ErrInvalidEval, con.Name, con.Variant, len(w.Family))
	}
	if cfg.CapacityBytes < 0 || cfg.LoadSlots < 0 || cfg.AccuracyPointCost < 0 {
		return nil, fmt.Errorf("%w: capacity %d, load slots %d, accuracy point cost %v", ErrInvalidEval, cfg.CapacityBytes, cfg.LoadSlots, cfg.AccuracyPointCost)
	}
	if cfg.AccuracyPointCost == 0 {
		cfg.AccuracyPointCost = policy.DefaultAccuracyPointCost
	}
	entries := w.Entries()
	build := con.NewPolicy
	if build == nil {
		build = func(m []policy.Entry) (policy.Policy, error) { return policy.New(con.Policy, m) }
	}
	p, err := build(entries)
	if err != nil {
		return nil, err
	}
	r := &taskRun{
		w: w, con: con, cfg: cfg, p: p, entries: entries,
		resident: make([]bool, len(entries)), readyAt: make([]time.Duration, len(entries)),
		slots: newSlots(cfg.LoadSlots), cands: make([]variant.Candidate, len(w.Family)),
		tally: newTaskTally(len(w.Requests), len(w.Family)),
	}
	if con.Substitutes {
		if r.sub, _ = p.(policy.Substitutable); r.sub == nil {
			return nil, fmt.Errorf("%w: policy %s takes no substitutes", ErrInvalidEval, con.Policy)
		}
	}
	r.pre, _ = p.(Preloader)
	r.subCost, r.preferred, r.fallback = substituteCosts(w.Family, cfg.AccuracyPointCost), preferredVariants(w), fallbackVariants(w)
	if err := r.reserveFallbacks(); err != nil {
		return nil, err
	}
	r.evictable = func(k policy.Key) bool { return r.resident[k] && r.readyAt[k] <= r.now }
	r.isResident = func(k policy.Key) bool { return r.resident[k] }
	return r, nil
}

// request serves one request of task.
func (r *taskRun) request(task int) {
	if r.sub != nil {
		r.tellSubstitutes(task)
	}
	v := r.con.Variant
	if v == ByTask {
		v = r.choose(task)
	}
	wait := r.serve(task, v)
	r.tally.served(v, r.w.Family[v], wait, r.w.Budgets[task], r.bound(task))
	if r.con.Variant == ByTask {
		if r.con.Fallbacks {
			r.keepFallback(task)
		}
		if r.con.Upgrades {
			r.upgrade(task, v)
		}
	}
	if r.pre != nil && r.used < r.capBytes {
		r.preload()
	}
}

// bound is the accuracy of task's preferred variant (0: none).
func (r *taskRun) bound(task int) float64 {
	if u := r.preferred[task]; u >= 0 {
		return r.w.Family[u].Accuracy
	}
	return 0
}

// choose returns the variant variant.Choose picks for task now.
func (r *taskRun) choose(task int) int {
	for v, fam := range r.w.Family {
		lat, where := r.predict(r.w.Key(task, v), fam)
		r.cands[v] = variant.Candidate{Name: fam.Name, Accuracy: fam.Accuracy, Latency: lat, Where: where}
	}
	c, err := variant.Choose(r.cands, variant.Request{Budget: r.w.Budgets[task]})
	if err != nil {
		panic(fmt.Sprintf("sim: no variant for task %d: %v", task, err)) // the family is never empty
	}
	for v, fam := range r.w.Family {
		if fam.Name == c.Name {
			return v
		}
	}
	panic("sim: variant.Choose returned a model not offered")
}

// predict is k's predicted latency now and where it would run.
func (r *taskRun) predict(k policy.Key, fam Variant) (time.Duration, route.Kind) {
	if !r.resident[k] {
		return r.slots.wait(r.now) + fam.LoadTime + fam.RunTime, route.Load
	}
	if wait := r.readyAt[k] - r.now; wait > 0 {
		return wait + fam.RunTime, route.Load
	}
	return fam.RunTime, route.Hit
}

// serve handles a request of task for its variant v, as Run serves one,
// and returns how long it waited for a load.
func (r *taskRun) serve(task, v int) time.Duration {
	e := r.entries[r.w.Key(task, v)]
	if r.reserved[e.Key] {
		return r.serveFallback(e)
	}
	if r.resident[e.Key] {
		r.p.OnAccess(e, r.now, true)
		wait := max(r.readyAt[e.Key]-r.now, 0)
		r.tally.hit(wait)
		return wait
	}
	r.p.OnAccess(e, r.now, false)
	if e.SizeBytes <= r.capBytes && r.makeRoom(e.SizeBytes) {
		r.load(e)
		r.tally.loads++
		return r.readyAt[e.Key] - r.now
	}
	r.tally.transient++
	return e.LoadCost
}

// makeRoom evicts the policy's victims until size bytes are free and
// reports whether they are (the victims chosen stay evicted, as in Run).
func (r *taskRun) makeRoom(size int64) bool {
	need := size - (r.capBytes - r.used)
	if need <= 0 {
		return true
	}
	for _, k := range r.p.Victims(need, r.now, r.evictable) {
		if int(k) < 0 || int(k) >= len(r.resident) || !r.evictable(k) {
			panic(fmt.Sprintf("sim: policy %s chose victim %d, which is not an evictable resident model", r.p.Name(), k))
		}
		r.resident[k] = false
		r.used -= r.entries[k].SizeBytes
		r.p.OnRemove(k)
		if r.sub != nil {
			r.tellSubstitutes(int(k) / len(r.w.Family))
		}
	}
	return r.used+size <= r.capBytes
}

// load makes e resident; it is ready when a load slot has loaded it.
func (r *taskRun) load(e policy.Entry) {
	r.resident[e.Key] = true
	r.readyAt[e.Key] = r.slots.start(r.now, e.LoadCost) + e.LoadCost
	r.used += e.SizeBytes
	r.p.OnInsert(e, r.now)
}
