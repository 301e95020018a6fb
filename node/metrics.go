package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the request-level series; the cache registers its own
// (loads, evictions, resident bytes) on the same registry.
type metrics struct {
	requests *prometheus.CounterVec   // model, cache ("hit" or "miss")
	failures *prometheus.CounterVec   // model, reason
	latency  *prometheus.HistogramVec // model: whole request
	queue    *prometheus.HistogramVec // model: resolve + acquire (+ load)
	compute  *prometheus.HistogramVec // model: run
	inFlight prometheus.Gauge
	refused  prometheus.Counter     // requests refused over MaxInFlightRequests
	fetches  *prometheus.CounterVec // result: model bytes fetched from peers
	routes   *prometheus.CounterVec // route: how requests were served
	tasks    *prometheus.CounterVec // task, model, budget: task requests
	preloads prometheus.Counter     // hinted models preloaded
	copies   prometheus.Counter     // copies loaded behind a forward
}

// latencyBuckets span 50 µs to ~26 s.
var latencyBuckets = prometheus.ExponentialBuckets(50e-6, 2, 20)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_requests_total",
			Help: "Inference requests that reached a model, by cache outcome."}, []string{"model", "cache"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_request_failures_total",
			Help: "Failed inference requests by reason."}, []string{"model", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "edgeserve_request_duration_seconds",
			Help: "Inference request latency inside the node.", Buckets: latencyBuckets}, []string{"model"}),
		queue: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "edgeserve_queue_duration_seconds",
			Help: "Time from arrival to a loaded model (includes a miss's load).", Buckets: latencyBuckets}, []string{"model"}),
		compute: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "edgeserve_compute_duration_seconds",
			Help: "Model run time.", Buckets: latencyBuckets}, []string{"model"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "edgeserve_requests_in_flight",
			Help: "Inference requests being served."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgeserve_requests_refused_total",
			Help: "Requests (of any kind but health probes) refused because MaxInFlightRequests were being served."}),
	}
	m.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_peer_fetches_total",
		Help: "Attempts to fetch a model's bytes from a peer, by result (ok, failed)."}, []string{"result"})
	m.routes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_routes_total",
		Help: "Inference requests by how they were served: hit, load, forward-hit, forward-load, fallback (here, after a forward failed), hedge (here, loaded while a forward was slow), forward-failed (attempts)."}, []string{"route"})
	m.tasks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgeserve_task_requests_total",
		Help: "Requests that named a task, by task, the model chosen, and budget (met, missed: no model could meet it, none: no budget given)."},
		[]string{"task", "model", "budget"})
	m.preloads = prometheus.NewCounter(prometheus.CounterOpts{Name: "edgeserve_hint_preloads_total",
		Help: "Models loaded because the region's placement hints asked this node to keep them."})
	m.copies = prometheus.NewCounter(prometheus.CounterOpts{Name: "edgeserve_copies_behind_forward_total",
		Help: "Models loaded in the background while their requests were forwarded, because the demand here paid for a copy."})
	reg.MustRegister(m.requests, m.failures, m.latency, m.queue, m.compute, m.inFlight, m.refused, m.fetches, m.routes, m.tasks, m.preloads, m.copies)
	return m
}

// acquired records a request that got its model.
func (m *metrics) acquired(model string, hit bool, queued time.Duration) {
	outcome := "miss"
	if hit {
		outcome = "hit"
	}
	m.requests.WithLabelValues(model, outcome).Inc()
	m.queue.WithLabelValues(model).Observe(queued.Seconds())
}

// computed records a model run.
func (m *metrics) computed(model string, d time.Duration) {
	m.compute.WithLabelValues(model).Observe(d.Seconds())
}

// done records a request's end.
func (m *metrics) done(model string, d time.Duration, err error) {
	m.latency.WithLabelValues(model).Observe(d.Seconds())
	if err != nil {
		m.fail(model, err)
	}
}

// fail counts a failure of a request for model, which must be a resolved
// catalog name: requests that fail before their model is resolved pass ""
// (unresolvedModel), so that clients cannot grow the series without bound.
func (m *metrics) fail(model string, err error) {
	m.failures.WithLabelValues(model, classify(err).reason).Inc()
}

// unresolvedModel is the model label of failures before the model is
// resolved in the catalog.
const unresolvedModel = ""

// peerFetch counts one attempt to fetch a model's bytes from a peer.
func (m *metrics) peerFetch(result string) { m.fetches.WithLabelValues(result).Inc() }

// chose counts a task request's choice; task and model are catalog names.
func (m *metrics) chose(task, model, budget string) {
	m.tasks.WithLabelValues(task, model, budget).Inc()
}

// preloaded counts a hinted model loaded ahead of requests.
func (m *metrics) preloaded() { m.preloads.Inc() }

// copiedBehind counts a copy loaded behind a forward.
func (m *metrics) copiedBehind() { m.copies.Inc() }

// routed counts a request served by route (or a failed forward).
func (m *metrics) routed(route string) { m.routes.WithLabelValues(route).Inc() }
