package sim

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// The loads nobody waits for in a task replay: upgrades to a task's
// preferred variant, its fallback, the policy's preloads; and what the
// policy is told about substitutes.

// upgrade offers the policy task's preferred variant, when v, which
// served, is less accurate and the preferred one is not resident: as a
// request for it that missed (OnAccess, then Victims), so that the
// policy's own measure decides whether it is worth what it would displace
// (EdgeServe's admission control), and it loads in the background. The
// request is not delayed.
func (r *taskRun) upgrade(task, v int) {
	u := r.preferred[task]
	if u < 0 || r.w.Family[u].Accuracy <= r.w.Family[v].Accuracy {
		return
	}
	e := r.entries[r.w.Key(task, u)]
	if r.resident[e.Key] {
		return
	}
	r.p.OnAccess(e, r.now, false)
	if e.SizeBytes <= r.capBytes && r.makeRoom(e.SizeBytes) {
		r.load(e)
		r.tally.upgrades++
	}
}

// reserveFallbacks marks every task's fallback as reserved and takes
// their memory from the policy's share (Fallbacks).
func (r *taskRun) reserveFallbacks() error {
	r.capBytes = r.cfg.CapacityBytes
	r.reserved = make([]bool, len(r.entries))
	if !r.con.Fallbacks || r.con.Variant != ByTask {
		return nil
	}
	for task, f := range r.fallback {
		if f >= 0 {
			k := r.w.Key(task, f)
			r.reserved[k] = true
			r.capBytes -= r.entries[k].SizeBytes
		}
	}
	if r.capBytes < 0 {
		return fmt.Errorf("%w: capacity %d bytes is below the fallbacks' reserve of %d", ErrInvalidEval,
			r.cfg.CapacityBytes, r.cfg.CapacityBytes-r.capBytes)
	}
	return nil
}

// keepFallback starts loading task's fallback into the reserve, in the
// background, when it is not resident.
func (r *taskRun) keepFallback(task int) {
	if f := r.fallback[task]; f >= 0 && !r.resident[r.w.Key(task, f)] {
		r.loadFallback(r.entries[r.w.Key(task, f)])
		r.tally.fallbacks++
	}
}

// serveFallback serves a request for a fallback from the reserve and
// returns how long it waited for a load.
func (r *taskRun) serveFallback(e policy.Entry) time.Duration {
	if !r.resident[e.Key] {
		r.loadFallback(e)
		r.tally.loads++
		return r.readyAt[e.Key] - r.now
	}
	wait := max(r.readyAt[e.Key]-r.now, 0)
	r.tally.hit(wait)
	return wait
}

// loadFallback makes a fallback resident in the reserve.
func (r *taskRun) loadFallback(e policy.Entry) {
	r.resident[e.Key] = true
	r.readyAt[e.Key] = r.slots.start(r.now, e.LoadCost) + e.LoadCost
}

// preload starts the loads the policy asks for that fit in free memory.
func (r *taskRun) preload() {
	for _, k := range r.pre.Preload(r.now, r.capBytes-r.used, r.isResident) {
		if int(k) < 0 || int(k) >= len(r.resident) || r.resident[k] {
			continue
		}
		if e := r.entries[k]; r.used+e.SizeBytes <= r.capBytes {
			r.load(e)
			r.tally.preloads++
		}
	}
}

// tellSubstitutes tells the policy, for each of task's variants, the
// cheapest loaded equivalent that could serve its requests within the
// task's budget (policy.NoSubstitute: none). It runs at each of the
// task's requests and whenever one of its models leaves, so a load that
// completed between two requests is seen at the next.
func (r *taskRun) tellSubstitutes(task int) {
	budget := r.w.Budgets[task]
	for v := range r.w.Family {
		best := policy.NoSubstitute
		for e, fam := range r.w.Family {
			k := r.w.Key(task, e)
			if e == v || !r.resident[k] || r.readyAt[k] > r.now || fam.RunTime > budget {
				continue
			}
			if c := r.subCost[v][e]; best < 0 || c < best {
				best = c
			}
		}
		r.sub.SetSubstitute(r.w.Key(task, v), best)
	}
}

// substituteCosts is policy.SubstituteCost for every pair of variants.
func substituteCosts(family []Variant, perPoint time.Duration) [][]time.Duration {
	out := make([][]time.Duration, len(family))
	for v, missed := range family {
		out[v] = make([]time.Duration, len(family))
		for e, sub := range family {
			out[v][e] = policy.SubstituteCost(policy.Equivalent{RunTime: missed.RunTime, Accuracy: missed.Accuracy},
				policy.Equivalent{RunTime: sub.RunTime, Accuracy: sub.Accuracy}, perPoint)
		}
	}
	return out
}

// preferredVariants is, per task, the most accurate variant whose run
// meets the task's budget (what a hit would serve), or -1.
func preferredVariants(w *TaskWorkload) []int {
	out := make([]int, len(w.Tasks))
	for t, budget := range w.Budgets {
		out[t] = -1
		for v, fam := range w.Family {
			if fam.RunTime <= budget && (out[t] < 0 || fam.Accuracy > w.Family[out[t]].Accuracy) {
				out[t] = v
			}
		}
	}
	return out
}

// fallbackVariants is, per task, the smallest variant whose run meets
// the task's budget, or -1.
func fallbackVariants(w *TaskWorkload) []int {
	out := make([]int, len(w.Tasks))
	for t, budget := range w.Budgets {
		out[t] = -1
		for v, fam := range w.Family {
			if fam.RunTime <= budget && (out[t] < 0 || fam.SizeBytes < w.Family[out[t]].SizeBytes) {
				out[t] = v
			}
		}
	}
	return out
}
