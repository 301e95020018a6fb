package node

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// rates turns cumulative request counts into per-second rates, smoothed
// exponentially with a half-life.
type rates struct {
	halfLife time.Duration
	last     map[string]uint64
	at       time.Time
	perSec   map[string]float64
}

// newRates starts counting at start: the first update's counts arrived
// since then (requests served before the first publication count).
func newRates(halfLife time.Duration, start time.Time) *rates {
	return &rates{halfLife: halfLife, last: map[string]uint64{}, at: start, perSec: map[string]float64{}}
}

// update folds in the counts at now and returns the rates (a fresh map).
// Only the publishing loop calls it.
func (r *rates) update(counts map[string]uint64, now time.Time) map[string]float64 {
	if !r.at.IsZero() {
		dt := now.Sub(r.at).Seconds()
		if dt > 0 {
			keep := math.Exp2(-dt / r.halfLife.Seconds())
			for k, c := range counts {
				var inst float64
				if last := r.last[k]; c >= last { // a count that went down (a reset) adds nothing
					inst = float64(c-last) / dt
				}
				r.perSec[k] = keep*r.perSec[k] + (1-keep)*inst
			}
			for k, v := range r.perSec {
				if _, ok := counts[k]; !ok || v < 1e-3 {
					delete(r.perSec, k)
				}
			}
		}
	}
	r.last, r.at = counts, now
	out := make(map[string]float64, len(r.perSec))
	for k, v := range r.perSec {
		out[k] = math.Round(v*1000) / 1000 // gossip only what changes
	}
	return out
}

// splitRef splits "name:version".
func splitRef(ref string) (string, int64, error) {
	i := strings.LastIndex(ref, ":")
	if i < 0 {
		return "", 0, fmt.Errorf("%w: model reference %q", ErrBadRequest, ref)
	}
	v, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%w: model reference %q", ErrBadRequest, ref)
	}
	return ref[:i], v, nil
}
