package cache

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the cache's Prometheus series, all named edgeserve_cache_*.
type metrics struct {
	hits, misses, loadFailures prometheus.Counter
	evictions, acquireErrors   *prometheus.CounterVec
	loadSeconds                *prometheus.HistogramVec // model
	inFlight                   prometheus.Gauge
}

// gaugeSource reads the resident set at scrape time: loaded models and
// their memory.
type gaugeSource func() gaugeValues

// gaugeValues is the resident set as the gauges show it.
type gaugeValues struct {
	models int
	loaded usage
	// mapped is the file-backed memory the loaded models map (MappedResident).
	mapped int64
	// held is what the runtime holds outside every charge (Deps.HeldBytes).
	held int64
}

func newMetrics(reg prometheus.Registerer, cfg Config, src gaugeSource) (*metrics, error) {
	const ns, sub = "edgeserve", "cache"
	m := &metrics{
		hits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "hits_total",
			Help: "Requests that found their model loaded (pins are not requests)."}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "misses_total",
			Help: "Requests that had to wait for their model to load (pins are not requests)."}),
		loadFailures: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "load_failures_total",
			Help: "Model loads that failed (each starts a back-off)."}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "evictions_total",
			Help: "Models unloaded, by reason (evict: policy victim; unload: asked for; close: shutdown)."}, []string{"reason"}),
		acquireErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "acquire_errors_total",
			Help: "Requests that got no model, by reason (too_large, too_many_models, backoff, declined, no_capacity, deadline, closed, load_failed)."}, []string{"reason"}),
		loadSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "load_duration_seconds",
			Help: "Wall time of successful model loads, warm-up included, by model.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)},
			[]string{"model"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "loads_in_flight",
			Help: "Model loads running now."}),
	}
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.hits, m.misses, m.loadFailures, m.evictions, m.acquireErrors, m.loadSeconds, m.inFlight,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "loaded_models",
			Help: "Models loaded and serving."}, func() float64 { return float64(src().models) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "mapped_bytes",
			Help: "File-backed memory the loaded models map (weights in the page cache, which the kernel manages), in bytes; not charged against the budget."},
			func() float64 { return float64(src().mapped) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "held_bytes",
			Help: "Host memory the runtime holds outside every model's charge (ONNX Runtime's shared arena, free for the next miss), in bytes; counted as used when a load is fitted."},
			func() float64 { return float64(src().held) }),
	}
	for _, pool := range []string{"host", "gpu"} {
		pick := func(u usage) float64 {
			if pool == "gpu" {
				return float64(u.gpu)
			}
			return float64(u.host)
		}
		labels := prometheus.Labels{"memory": pool}
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "loaded_bytes", ConstLabels: labels,
				Help: "Measured memory of the loaded models, in bytes, by pool."}, func() float64 { return pick(src().loaded) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "capacity_bytes", ConstLabels: labels,
				Help: "Memory budget of the cache, in bytes, by pool (0: no GPU budget)."},
				func() float64 { return pick(usage{cfg.CapacityBytes, cfg.GPUCapacityBytes}) }),
		)
	}
	for i, col := range cs {
		if err := reg.Register(col); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("cache: registering metrics (a registry shared by several caches needs prometheus.WrapRegistererWith): %w", err)
		}
	}
	return m, nil
}

// gauges is the cache's gaugeSource.
func (c *Cache[M]) gauges() gaugeValues {
	c.mu.Lock()
	defer c.mu.Unlock()
	var g gaugeValues
	for _, e := range c.entries {
		if e.phase == phaseLoaded {
			g.models++
			g.loaded = g.loaded.plus(e.charged)
			g.mapped += mappedBytes(e.model)
		}
	}
	g.held = c.heldLocked()
	return g
}

// errorReason is the acquire_errors_total label for err.
func errorReason(err error) string {
	switch {
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrTooManyModels):
		return "too_many_models"
	case errors.Is(err, ErrBackoff):
		return "backoff"
	case errors.Is(err, ErrDeclined):
		return "declined"
	case errors.Is(err, ErrNoCapacity):
		return "no_capacity"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "deadline"
	}
	return "load_failed"
}
