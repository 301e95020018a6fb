package runtime

import (
	"sync"
	"time"
)

// EWMA is an exponentially weighted moving average of durations, the warm
// run estimate a Profile reports. The first observation seeds the average;
// each later one moves it by Alpha of the difference. It is safe for
// concurrent use.
type EWMA struct {
	alpha float64

	mu    sync.Mutex // guards value and count
	value float64
	count int64
}

// NewEWMA returns an estimator that weights each new observation by alpha,
// which must be in (0, 1]; values outside are clamped to that range.
func NewEWMA(alpha float64) *EWMA {
	if alpha <= 0 || alpha > 1 {
		alpha = 1
	}
	return &EWMA{alpha: alpha}
}

// Observe adds one measurement.
func (e *EWMA) Observe(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.count == 0 {
		e.value = float64(d)
	} else {
		e.value += e.alpha * (float64(d) - e.value)
	}
	e.count++
}

// Value is the current estimate, 0 before the first observation.
func (e *EWMA) Value() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Duration(e.value)
}

// Count is the number of observations so far.
func (e *EWMA) Count() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}
