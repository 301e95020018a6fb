package offline

import (
	"errors"
	"fmt"
)

// ErrInfeasible is returned when a plan's kept intervals exceed the
// capacity.
var ErrInfeasible = errors.New("offline: infeasible schedule")

// plan is a set of kept reuse intervals: keep[i] keeps request i's model
// resident until its next request.
type plan []bool

// check verifies that, after every request, the kept intervals covering
// it fit in capacityBytes.
func (p plan) check(r *reuse, capacityBytes int64) error {
	delta := make([]int64, r.n()+1)
	for i, kept := range p {
		if !kept {
			continue
		}
		if !r.hasNext(i) {
			return fmt.Errorf("%w: request %d is kept but has no next request", ErrInfeasible, i)
		}
		delta[i] += r.size[r.model(i)]
		delta[r.next[i]] -= r.size[r.model(i)]
	}
	var used int64
	for i := 0; i < r.n(); i++ {
		used += delta[i]
		if used > capacityBytes {
			return fmt.Errorf("%w: %d bytes of %d kept after request %d", ErrInfeasible, used, capacityBytes, i)
		}
	}
	return nil
}
