package offline

import (
	"errors"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// ErrInfeasible is returned when a schedule's kept intervals exceed the
// capacity.
var ErrInfeasible = errors.New("offline: infeasible schedule")

// schedule is a set of kept reuse intervals: keep[i] keeps request i's
// model resident until its next request.
type schedule struct {
	name string
	keep []bool
}

// check verifies that, after every request, the kept intervals covering
// it fit in capacityBytes.
func (s schedule) check(r *reuse, capacityBytes int64) error {
	delta := make([]int64, r.n()+1)
	for i, kept := range s.keep {
		if !kept {
			continue
		}
		if !r.hasNext(i) {
			return fmt.Errorf("%w: %s keeps request %d, which has no next request", ErrInfeasible, s.name, i)
		}
		delta[i] += r.size[r.model(i)]
		delta[r.next[i]] -= r.size[r.model(i)]
	}
	var used int64
	for i := 0; i < r.n(); i++ {
		used += delta[i]
		if used > capacityBytes {
			return fmt.Errorf("%w: %s holds %d bytes of %d after request %d", ErrInfeasible, s.name, used, capacityBytes, i)
		}
	}
	return nil
}

// evaluate replays the schedule with the simulator's accounting: a request
// whose preceding interval was kept is a hit, or a delayed hit while its
// model is still loading; any other request waits a whole load.
func (s schedule) evaluate(r *reuse, capacityBytes int64) sim.Result {
	var t sim.Tally
	kept := make([]bool, len(r.w.Models))
	readyAt := make([]time.Duration, len(r.w.Models))
	for i, req := range r.w.Requests {
		k, size := req.Model, r.size[req.Model]
		switch {
		case !kept[k]:
			t.Miss(size, r.cost[k])
			readyAt[k] = req.Time + r.cost[k]
		case readyAt[k] > req.Time:
			t.DelayedHit(size, readyAt[k]-req.Time)
		default:
			t.Hit(size)
		}
		kept[k] = s.keep[i]
	}
	return t.Result(s.name, capacityBytes)
}

// run checks and evaluates s; an infeasible schedule is a bug here.
func (s schedule) run(r *reuse, capacityBytes int64) sim.Result {
	if err := s.check(r, capacityBytes); err != nil {
		panic(err)
	}
	return s.evaluate(r, capacityBytes)
}
