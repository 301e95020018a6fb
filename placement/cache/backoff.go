package cache

import "time"

// backoffLocked fails fast while name backs off after a failed load.
func (c *Cache[M]) backoffLocked(name string, info *modelInfo, now time.Time) error {
	if info.failures == 0 || !now.Before(info.retryAt) {
		return nil
	}
	return &BackoffError{Model: name, Until: info.retryAt, Failures: info.failures, Err: info.lastErr}
}

// backOffLocked records a failed load and schedules the earliest retry:
// BackoffBase doubled per consecutive failure, capped at BackoffMax.
func (c *Cache[M]) backOffLocked(info *modelInfo, err error) {
	info.failures++
	info.lastErr = err
	info.retryAt = c.deps.Clock.Now().Add(backoffDelay(c.cfg.BackoffBase, c.cfg.BackoffMax, info.failures))
}

// backoffDelay is base * 2^(failures-1), capped at limit.
func backoffDelay(base, limit time.Duration, failures int) time.Duration {
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
