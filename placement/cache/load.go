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
	e := &entry[M]{name: name, info: info, ctx: ctx, cancel: cancel, done: make(chan struct{})}
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
func (c *Cache[M]) runLoad(e *entry[M], est usage) (m M, took time.Duration, err error) {
	select {
	case c.slots <- struct{}{}:
	case <-e.ctx.Done():
		return m, 0, context.Cause(e.ctx)
	}
	defer func() { <-c.slots }()
	if err := c.reserve(e, est); err != nil {
		return m, 0, err
	}
	m, took, err = c.callLoader(e)
	if err != nil {
		return m, took, err
	}
	if err := c.settle(e, measure(m)); err != nil {
		c.closeModel(e.name, m)
		return m, took, err
	}
	return m, took, nil
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

// settle replaces the reservation with the measured size, evicting more
// when the measurement overflows the budget.
//
// A measurement of 0 or less (a runtime measuring resident-memory growth
// can see none for a tiny model) is no measurement: the model keeps its
// reservation as its charge.
func (c *Cache[M]) settle(e *entry[M], measured usage) error {
	c.mu.Lock()
	if measured.host > 0 {
		e.info.measured, e.info.wasMeasured = measured, true
	} else {
		measured = e.charged
	}
	c.mu.Unlock()
	if err := c.checkSize(e.name, measured, true); err != nil {
		return err
	}
	for {
		c.mu.Lock()
		over := c.used.minus(e.charged).plus(measured).excess(c.cfg.capacity())
		if over == (usage{}) {
			c.used = c.used.minus(e.charged).plus(measured)
			e.charged = measured
			c.signalRoomLocked()
			c.mu.Unlock()
			return nil
		}
		victims, err := c.victimsLocked(over)
		c.mu.Unlock()
		if err != nil {
			return fmt.Errorf("%w: model %s measured %v, more than the %v reserved, and no more can be evicted",
				err, e.name, measured, e.charged)
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
	c.deps.Policy.OnInsert(c.policyEntry(e.info, e.charged), c.since(now))
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
	return !errors.Is(err, ErrNoCapacity) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrClosed)
}

// closeModel closes a model that never served; errors are only logged.
func (c *Cache[M]) closeModel(name string, m M) {
	if err := m.Close(); err != nil {
		c.deps.Logger.Warn("closing model", zap.String("model", name), zap.Error(err))
	}
}
