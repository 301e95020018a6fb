package cache

import (
	"errors"
	"fmt"
	"time"
)

// Errors callers branch on; the serving layer maps them to gRPC codes.
var (
	// ErrTooLarge: the model does not fit the whole budget.
	ErrTooLarge = errors.New("cache: model larger than the memory budget")
	// ErrNoCapacity: room could not be made because the resident models
	// are in use or pinned.
	ErrNoCapacity = errors.New("cache: no capacity")
	// ErrDeclined: the policy's admission control declined to evict idle
	// models for this model (it also matches ErrNoCapacity). The node
	// serves the request elsewhere (a peer) rather than wait.
	ErrDeclined = errors.New("cache: policy declined to make room")
	// ErrBackoff: the model's last load failed and it is backing off.
	ErrBackoff = errors.New("cache: model load backing off")
	// ErrTooManyModels: a new model name would exceed Config.MaxModels.
	ErrTooManyModels = errors.New("cache: too many distinct models")
	// ErrClosed: the cache is closed.
	ErrClosed = errors.New("cache: closed")
	// errRetryRoom: a load measured more than it reserved and nothing more
	// could be evicted at once; it is loaded again after waiting for room.
	errRetryRoom = errors.New("cache: load measured over its reservation")
	// errAbandoned cancels a load whose waiters all left.
	errAbandoned = errors.New("cache: load abandoned by every waiter")
)

// TooLargeError says which size was refused. It matches ErrTooLarge.
type TooLargeError struct {
	Model         string
	Bytes         int64
	CapacityBytes int64
	// Measured is true when Bytes was measured after a load, false when it
	// is the caller's hint.
	Measured bool
	// GPU is true when the GPU budget is the one exceeded.
	GPU bool
}

func (e *TooLargeError) Error() string {
	kind := "estimated"
	if e.Measured {
		kind = "measured"
	}
	pool := "memory"
	if e.GPU {
		pool = "GPU memory"
	}
	return fmt.Sprintf("cache: model %s needs %d bytes of %s (%s), budget is %d bytes", e.Model, e.Bytes, pool, kind, e.CapacityBytes)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// BackoffError is returned while a model backs off after a failed load. It
// matches ErrBackoff and unwraps to the last load error.
type BackoffError struct {
	Model string
	// Until is when the next load may be tried.
	Until time.Time
	// Failures is the number of consecutive failed loads.
	Failures int
	Err      error
}

// Error says what failed and when the next load may be tried, without
// promising that it will succeed: the serving layer tells clients from the
// wrapped error whether retrying can help (a model that cannot be loaded
// fails the same way every time).
func (e *BackoffError) Error() string {
	return fmt.Sprintf("cache: model %s: its last %d loads failed, no new load before %s: %v",
		e.Model, e.Failures, e.Until.Format(time.RFC3339Nano), e.Err)
}

// Unwrap returns ErrBackoff and the last load error.
func (e *BackoffError) Unwrap() []error { return []error{ErrBackoff, e.Err} }
