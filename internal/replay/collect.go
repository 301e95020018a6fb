package replay

import (
	"sync"
	"time"

	"google.golang.org/grpc/codes"
)

// outcome is what became of one request.
type outcome struct {
	// tried are the nodes its attempts went to, in order; when ok, the
	// last one answered.
	tried []int
	ok    bool
	// cut: the replay was stopped before an answer came.
	cut bool
	// code and err are the last failed attempt's.
	code codes.Code
	err  error
	// latency runs from the first send to the answer.
	latency         time.Duration
	route, servedBy string
	// lag is how far behind its due time the request was sent.
	lag time.Duration
}

// collector adds up outcomes as they come, from many goroutines.
type collector struct {
	progress func(int)

	mu sync.Mutex // guards the fields below
	r  Report
	// latencies of answered requests, all and by route.
	latencies []time.Duration
	byRoute   map[string][]time.Duration
	errors    map[codes.Code]*ErrorCount
	errOrder  []codes.Code
	maxLag    time.Duration
	// firstTry counts requests answered at their first attempt.
	firstTry int
}

func newCollector(nodes []Node, planned int, progress func(int)) *collector {
	c := &collector{progress: progress, byRoute: map[string][]time.Duration{}, errors: map[codes.Code]*ErrorCount{}}
	c.r = Report{Planned: planned, Routes: map[string]int{}, ServedBy: map[string]int{}, LatencyByRoute: map[string]Percentiles{}}
	for _, n := range nodes {
		c.r.Nodes = append(c.r.Nodes, NodeReport{Site: n.Site, Addr: n.Addr, Routes: map[string]int{}, ServedBy: map[string]int{}})
	}
	return c
}

// add counts one request's outcome.
func (c *collector) add(o outcome) {
	c.mu.Lock()
	c.count(o)
	c.mu.Unlock()
	if c.progress != nil {
		c.progress(1)
	}
}

func (c *collector) count(o outcome) {
	c.r.Sent++
	c.maxLag = max(c.maxLag, o.lag)
	c.r.Nodes[o.tried[0]].First++
	c.countAttempts(o)
	if len(o.tried) > 1 {
		c.r.Retried++
		c.r.RetryAttempts += len(o.tried) - 1
	}
	switch {
	case o.ok:
		c.countAnswer(o)
	case o.cut:
		c.r.Unfinished++
	default:
		c.r.Failed++
		c.countError(o)
	}
}

// countAttempts charges every attempt to its node; all but an answered
// last one failed.
func (c *collector) countAttempts(o outcome) {
	for i, k := range o.tried {
		c.r.Nodes[k].Attempts++
		last := i == len(o.tried)-1
		if !last || (!o.ok && !o.cut) {
			c.r.Nodes[k].Failed++
		}
	}
}

func (c *collector) countAnswer(o outcome) {
	c.r.OK++
	if len(o.tried) == 1 {
		c.firstTry++
	} else {
		c.r.Recovered++
	}
	route, by := o.route, o.servedBy
	if route == "" {
		route = "none"
	}
	if by == "" {
		by = "unknown"
	}
	c.r.Routes[route]++
	c.r.ServedBy[by]++
	n := &c.r.Nodes[o.tried[len(o.tried)-1]]
	n.Answered++
	n.Routes[route]++
	n.ServedBy[by]++
	c.latencies = append(c.latencies, o.latency)
	c.byRoute[route] = append(c.byRoute[route], o.latency)
}

func (c *collector) countError(o outcome) {
	e, ok := c.errors[o.code]
	if !ok {
		e = &ErrorCount{Code: o.code.String(), Example: o.err.Error()}
		c.errors[o.code] = e
		c.errOrder = append(c.errOrder, o.code)
	}
	e.Count++
}

// report returns the totals; wall is how long the replay ran.
func (c *collector) report(wall time.Duration) *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.r
	if done := r.OK + r.Failed; done > 0 {
		r.SuccessRate = float64(r.OK) / float64(done)
		r.FirstTrySuccessRate = float64(c.firstTry) / float64(done)
	}
	r.Latency = percentiles(c.latencies)
	for route, ds := range c.byRoute {
		r.LatencyByRoute[route] = percentiles(ds)
	}
	for _, code := range c.errOrder {
		r.Errors = append(r.Errors, *c.errors[code])
	}
	r.MaxLagMs, r.WallSeconds = ms(c.maxLag), wall.Seconds()
	return &r
}
