package sim

import (
	"math"
	"time"
)

// ClusterResult summarises one contender's replay on a cluster. JSON
// durations are in nanoseconds.
type ClusterResult struct {
	Contender ClusterContender `json:"contender"`
	// MemoryFraction is each node's budget as a fraction of all model
	// bytes (set by the caller; the oracle's budget is unbounded).
	MemoryFraction  float64 `json:"memory_fraction"`
	NodeBudgetBytes int64   `json:"node_budget_bytes"`
	Nodes           int     `json:"nodes"`
	Requests        int     `json:"requests"`
	// Latencies from the client and back: percentiles (nearest rank,
	// within 1% as counted by a fixed-size histogram) and mean.
	P50  time.Duration `json:"p50_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	Mean time.Duration `json:"mean_ns"`
	// TotalLoadDelay sums the time requests waited for loads (their own
	// or one in progress), wherever they ran.
	TotalLoadDelay time.Duration `json:"total_load_delay_ns"`
	// Shares of requests served by the node they reached from a copy it
	// had (hit), after loading the model there (load), and by another
	// node (forward).
	HitShare     float64 `json:"hit_share"`
	LoadShare    float64 `json:"load_share"`
	ForwardShare float64 `json:"forward_share"`
	// DelayedHits are requests that waited for a load in progress; Loads
	// the loads requests caused (Transient of them not cached); Preloads
	// the loads no request waited for (hints, ModelMesh's extra copies).
	DelayedHits int `json:"delayed_hits"`
	Loads       int `json:"loads"`
	Transient   int `json:"transient_loads"`
	Preloads    int `json:"preloads"`
	// MeanHeldBytes and PeakHeldBytes are the memory the cluster's loaded
	// models held, averaged over the trace's time and at most;
	// HeldFraction is the mean over every model loaded on every node.
	MeanHeldBytes int64   `json:"mean_held_bytes"`
	PeakHeldBytes int64   `json:"peak_held_bytes"`
	HeldFraction  float64 `json:"held_fraction"`
	// BytesBetweenSites are model bytes fetched from another site;
	// ForwardsBetweenSites and ForwardsBetweenRegions count the
	// forwarded requests that crossed them.
	BytesBetweenSites      int64 `json:"bytes_between_sites"`
	ForwardsBetweenSites   int   `json:"forwards_between_sites"`
	ForwardsBetweenRegions int   `json:"forwards_between_regions"`
}

// clusterTally accumulates a ClusterResult in memory that does not grow
// with the trace.
type clusterTally struct {
	hist                                    histogram
	requests, delayedHits, loads, transient int
	preloads, crossSite, crossRegion        int
	served                                  [3]int
	sum, loadDelay                          time.Duration
	held, peak                              int64
	heldTime                                float64 // byte-nanoseconds
	last                                    time.Duration
	bytesBetweenSites                       int64
	nodes                                   int
	// counting is off during the warmup; from is when it started.
	counting bool
	from     time.Duration
	allBytes int64
}

func (t *clusterTally) init(nodes int, allBytes int64) { t.nodes, t.allBytes = nodes, allBytes }

// start counts from now on.
func (t *clusterTally) start(now time.Duration) {
	t.counting, t.from, t.last = true, now, now
}

func (t *clusterTally) transientLoad() {
	if t.counting {
		t.transient++
	}
}

func (t *clusterTally) preload() {
	if t.counting {
		t.preloads++
	}
}

func (t *clusterTally) moved(bytes int64) {
	if t.counting {
		t.bytesBetweenSites += bytes
	}
}

func (t *clusterTally) request(lat time.Duration, how Served) {
	if !t.counting {
		return
	}
	t.requests++
	t.served[how]++
	t.sum += lat
	t.hist.add(lat)
}

func (t *clusterTally) delayedHit(wait time.Duration) {
	if !t.counting {
		return
	}
	t.delayedHits++
	t.loadDelay += wait
}

func (t *clusterTally) load(wait time.Duration) {
	if !t.counting {
		return
	}
	t.loads++
	t.loadDelay += wait
}

func (t *clusterTally) forward(crossSite, crossRegion bool) {
	if !t.counting {
		return
	}
	if crossSite {
		t.crossSite++
	}
	if crossRegion {
		t.crossRegion++
	}
}

// hold integrates the memory held up to now (from the first counted
// request).
func (t *clusterTally) hold(now time.Duration) {
	if !t.counting {
		return
	}
	t.heldTime += float64(t.held) * float64(now-t.last)
	t.last = now
	t.peak = max(t.peak, t.held)
}

func (c *cluster) result() ClusterResult {
	t := &c.tally
	t.hold(c.now)
	r := ClusterResult{Contender: c.con, NodeBudgetBytes: c.cfg.NodeBudgetBytes, Nodes: len(c.nodes), Requests: t.requests,
		P50: t.hist.quantile(0.50), P95: t.hist.quantile(0.95), P99: t.hist.quantile(0.99),
		TotalLoadDelay: t.loadDelay, DelayedHits: t.delayedHits, Loads: t.loads, Transient: t.transient,
		Preloads: t.preloads, PeakHeldBytes: t.peak, BytesBetweenSites: t.bytesBetweenSites,
		ForwardsBetweenSites: t.crossSite, ForwardsBetweenRegions: t.crossRegion}
	if c.con == Oracle {
		r.NodeBudgetBytes = -1
	}
	if t.requests > 0 {
		n := float64(t.requests)
		r.Mean = t.sum / time.Duration(t.requests)
		r.HitShare, r.LoadShare, r.ForwardShare = float64(t.served[ServedHit])/n, float64(t.served[ServedLoad])/n, float64(t.served[ServedForward])/n
	}
	if span := c.now - t.from; t.counting && span > 0 {
		r.MeanHeldBytes = int64(math.Round(t.heldTime / float64(span)))
	} else {
		r.MeanHeldBytes = t.held
	}
	if all := float64(t.nodes) * float64(t.allBytes); all > 0 {
		r.HeldFraction = float64(r.MeanHeldBytes) / all
	}
	return r
}
