package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// startLoadLocked creates the entry of a miss and starts its load; request
// says whether a request (not a pin) starts it (ForRequest).
func (c *Cache[M]) startLoadLocked(name string, info *modelInfo, est usage, request bool) *entry[M] {
	ctx, cancel := context.WithCancelCause(withLoadKind(c.base, request))
	e := &entry[M]{name: name, info: info, ctx: ctx, cancel: cancel, done: make(chan struct{}), cached: c.pageCachedLocked(name)}
	c.entries[name] = e
	go c.load(e, est)
	return e
}

// load runs one load to its end and publishes the outcome.
func (c *Cache[M]) load(e *entry[M], est usage) {
	defer e.cancel(nil)
	m, took, err := c.runLoad(e, est)
	c.finish(e, m, took, err)
}

// runLoad takes a slot, makes room, loads, warms up and settles the charge.
// On error no model is left open.
//
// A load that measures more than it reserved when nothing more can be
// evicted must not wait for room while holding its reservation: two such
// loads would each wait for the other's. It closes its model, gives its
// reservation back and tries again from the reservation, now of the
// measured size, where loads wait for room holding nothing (up to
// RoomWait, within the request's deadline).
func (c *Cache[M]) runLoad(e *entry[M], est usage) (m M, took time.Duration, err error) {
	select {
	case c.slots <- struct{}{}:
	case <-e.ctx.Done():
		return m, 0, context.Cause(e.ctx)
	}
	defer func() { <-c.slots }()
	for retries := 0; ; retries++ {
		if err := c.reserve(e, est); err != nil {
			return m, took, err
		}
		m, took, err = c.callLoader(e)
		if err != nil {
			return m, took, err
		}
		var want usage
		if want, err = c.settle(e, measure(m)); err == nil {
			return m, took, nil
		}
		c.closeModel(e.name, m)
		if !errors.Is(err, errRetryRoom) || retries == maxRoomRetries {
			return m, took, err
		}
		c.deps.Logger.Debug("model measured more than it reserved; waiting for room to load it again",
			zap.String("model", e.name), zap.Int64("bytes", want.host))
		c.returnCharge(e)
		est = want
	}
}

// maxRoomRetries bounds the loads of one miss that measure more than they
// reserved; the measured size, remembered, makes a second one rare.
const maxRoomRetries = 3

// returnCharge gives e's charge back to the budget after its model was
// closed.
func (c *Cache[M]) returnCharge(e *entry[M]) {
	c.mu.Lock()
	c.used = c.used.minus(e.charged)
	e.charged = usage{}
	c.signalRoomLocked()
	c.mu.Unlock()
}

// callLoader runs the loader and the warm-up under LoadTimeout.
func (c *Cache[M]) callLoader(e *entry[M]) (m M, took time.Duration, err error) {
	ctx, cancel := e.ctx, context.CancelFunc(func() {})
	if c.cfg.LoadTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.cfg.LoadTimeout)
	}
	defer cancel()
	c.metrics.inFlight.Inc()
	defer c.metrics.inFlight.Dec()
	began := time.Now()
	m, err = c.deps.Loader.Load(ctx, e.name)
	if err == nil && c.deps.WarmUp != nil {
		if err = c.deps.WarmUp(ctx, e.name, m); err != nil {
			c.closeModel(e.name, m)
			err = fmt.Errorf("warm-up: %w", err)
		}
	}
	took = time.Since(began)
	if err != nil {
		return m, took, fmt.Errorf("cache: loading model %s: %w", e.name, err)
	}
	c.metrics.loadSeconds.WithLabelValues(c.deps.ModelLabel(e.name)).Observe(took.Seconds())
	return m, took, nil
}

// settle replaces the reservation with the model's measured size, evicting
// more when that overflows the budget. The size charged is the estimate
// over the model's last readings (readings.go), this load's included. When
// no more can be evicted at once it fails with errRetryRoom (wrapping
// ErrNoCapacity) and returns the size to reserve for another try
// (runLoad).
//
// A reading of 0 or less (a runtime measuring resident-memory growth can
// see none for a tiny model) is no measurement: the model keeps its
// reservation as its charge. A reading above the whole budget fails this
// load (it counts as a failure, so the model backs off and is retried) and
// is not remembered, so one outlier does not refuse the model for good.
func (c *Cache[M]) settle(e *entry[M], reading usage) (usage, error) {
	c.mu.Lock()
	measured, reserved := e.charged, e.charged
	if reading.host > 0 {
		if err := c.checkSize(e.name, reading, true); err != nil {
			c.mu.Unlock()
			return measured, err
		}
		measured = e.info.addReading(reading)
	}
	c.mu.Unlock()
	for {
		c.mu.Lock()
		over := c.used.minus(e.charged).plus(measured).excess(c.limitLocked())
		if over == (usage{}) {
			c.commitChargeLocked(e, measured)
			c.mu.Unlock()
			return measured, nil
		}
		victims, err := c.victimsLocked(over, e.evict)
		c.mu.Unlock()
		if err != nil {
			if !errors.Is(err, ErrDeclined) && c.cfg.RoomWait > 0 {
				err = fmt.Errorf("%w: %w", errRetryRoom, err)
			}
			return measured, fmt.Errorf("%w: model %s measured %v, more than the %v reserved, and no more can be evicted",
				err, e.name, measured, reserved)
		}
		c.closeAll(victims, "evict")
	}
}

// finish publishes the outcome of a load to its waiters.
func (c *Cache[M]) finish(e *entry[M], m M, took time.Duration, err error) {
	c.mu.Lock()
	if err == nil && (e.detached || c.closed) {
		err = c.lostLocked(e)
		c.mu.Unlock()
		c.closeModel(e.name, m)
		c.mu.Lock()
	}
	if err != nil {
		c.failLocked(e, err)
	} else {
		c.publishLocked(e, m, took)
	}
	close(e.done)
	c.mu.Unlock()
}

// lostLocked is the error for a load that succeeded after it was abandoned
// or after Close.
func (c *Cache[M]) lostLocked(e *entry[M]) error {
	if c.closed {
		return ErrClosed
	}
	return errAbandoned
}

// publishLocked makes a loaded model serve.
func (c *Cache[M]) publishLocked(e *entry[M], m M, took time.Duration) {
	now := c.deps.Clock.Now()
	e.model, e.phase, e.loadedAt = m, phaseLoaded, now
	e.info.loadTime, e.info.failures, e.info.lastErr = took, 0, nil
	e.info.recordLoad(e.cached, took)
	c.deps.Policy.OnInsert(c.policyEntry(e.info, e.charged, 1), c.since(now))
	c.deps.Logger.Info("model loaded", zap.String("model", e.name),
		zap.Int64("bytes", e.charged.host), zap.Int64("gpu_bytes", e.charged.gpu), zap.Duration("took", took))
}

// failLocked removes a failed load, returns its reservation and starts a
// back-off unless the failure was not the model's fault.
func (c *Cache[M]) failLocked(e *entry[M], err error) {
	if c.entries[e.name] == e {
		delete(c.entries, e.name)
	}
	e.detached = true
	c.used = c.used.minus(e.charged)
	e.charged = usage{}
	c.signalRoomLocked()
	if c.closed && !errors.Is(err, ErrClosed) {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	e.err = err
	if countsAsFailure(e, err) {
		c.backOffLocked(e.info, err)
		c.metrics.loadFailures.Inc()
		c.deps.Logger.Warn("model load failed", zap.String("model", e.name), zap.Error(err))
	}
}

// countsAsFailure: the model's own failures back off; capacity, closing and
// abandonment are not its fault.
func countsAsFailure[M Resident](e *entry[M], err error) bool {
	if e.ctx.Err() != nil {
		return false // abandoned, or the cache closed
	}
	var tl *TooLargeError
	if errors.As(err, &tl) && tl.Measured {
		return true // an outlier reading, maybe: back off, then retry
	}
	return !errors.Is(err, ErrNoCapacity) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrClosed)
}

// closeModel closes a model that never served; errors are only logged.
func (c *Cache[M]) closeModel(name string, m M) {
	if err := m.Close(); err != nil {
		c.deps.Logger.Warn("closing model", zap.String("model", name), zap.Error(err))
	}
}
