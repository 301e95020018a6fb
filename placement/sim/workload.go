package sim

import (
	"errors"
	"fmt"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// ErrInvalidWorkload is returned (wrapped) when a Workload is inconsistent.
var ErrInvalidWorkload = errors.New("sim: invalid workload")

// Workload is what Run replays: time-ordered requests over a set of models
// with known costs. Requests[i].Model indexes Models.
type Workload struct {
	Requests []trace.Request
	Models   []profile.Model
}

// Validate checks that every request names a model, that times never go
// backwards and that model costs are not negative. Run assumes a valid
// Workload.
func (w *Workload) Validate() error {
	for i, m := range w.Models {
		if m.SizeBytes < 0 || m.LoadTime < 0 || m.RunTime < 0 {
			return fmt.Errorf("%w: model %d (%s) has a negative cost", ErrInvalidWorkload, i, m.Name)
		}
	}
	n := int32(len(w.Models))
	for i, r := range w.Requests {
		if r.Model < 0 || r.Model >= n {
			return fmt.Errorf("%w: request %d names model %d of %d", ErrInvalidWorkload, i, r.Model, n)
		}
		if r.Time < 0 || (i > 0 && r.Time < w.Requests[i-1].Time) {
			return fmt.Errorf("%w: request %d at %v is out of order", ErrInvalidWorkload, i, r.Time)
		}
	}
	return nil
}

// TotalBytes is the sum of all models' sizes; capacities are often given
// as fractions of it.
func (w *Workload) TotalBytes() int64 {
	var sum int64
	for _, m := range w.Models {
		sum += m.SizeBytes
	}
	return sum
}

// Entries returns the policy's view of every model, indexed by model.
func (w *Workload) Entries() []policy.Entry {
	out := make([]policy.Entry, len(w.Models))
	for i, m := range w.Models {
		out[i] = policy.Entry{Key: policy.Key(i), SizeBytes: m.SizeBytes, LoadCost: m.LoadTime}
	}
	return out
}
