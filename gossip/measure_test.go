package gossip_test

// Benchmarks that measure the figures on in-process clusters
// (gossiptest: real memberlist nodes on 127.0.1.x with the harness's short
// timers). docs/gossip.md has the tables and the commands.

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/gossip/gossiptest"
)

// benchSizes are the cluster sizes of the benchmarks;
// EDGESERVE_GOSSIP_NODES (comma-separated) replaces them.
func benchSizes(b *testing.B, def ...int) []int {
	s := os.Getenv("EDGESERVE_GOSSIP_NODES")
	if s == "" {
		return def
	}
	var out []int
	for _, f := range splitComma(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 2 {
			b.Fatalf("EDGESERVE_GOSSIP_NODES=%q: want sizes of at least 2", s)
		}
		out = append(out, n)
	}
	return out
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// typicalLocal is a node's state of a realistic size: 8 models loaded,
// their rates, one GPU.
func typicalLocal(node int, extra ...string) gossip.Local {
	l := gossip.Local{MemoryBudgetBytes: 16 << 30, MemoryHeadroomBytes: 4 << 30, QueueDepth: 2,
		GPUs: []gossip.GPU{{Index: 0, FreeBytes: 10 << 30, TotalBytes: 24 << 30}}, Rates: map[string]float64{}}
	for k := range 8 {
		m := fmt.Sprintf("model-%02d-%d:%d", node%50, k, 1+k%3)
		l.Loaded = append(l.Loaded, m)
		l.Rates[m] = float64(10 * (k + 1))
	}
	l.Loaded = append(l.Loaded, extra...)
	return l
}

// quantile is the q-quantile of xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func sentBytes(c *gossiptest.Cluster) uint64 {
	var n uint64
	for _, g := range c.Running() {
		n += g.SentBytes()
	}
	return n
}

// pushPullInterval is memberlist's push/pull interval at n members (it
// scales the configured one above 32 members).
func pushPullInterval(base time.Duration, n int) time.Duration {
	if n <= 32 {
		return base
	}
	return time.Duration(math.Ceil(math.Log2(float64(n))-5)+1) * base
}

// watch waits, at every running node but skip, for the first event for
// which seen(node) holds, and returns how long after start each node saw it
// (timeout for a node that did not).
type watch struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	lat  []time.Duration
	stop []func()
}

func watchAll(c *gossiptest.Cluster, skip string, kind gossip.EventKind, about string, seen func(g *gossip.Gossip) bool, timeout time.Duration) *watch {
	w := &watch{}
	start := time.Now()
	for _, g := range c.Running() {
		if g.Name() == skip {
			continue
		}
		ch, cancel := g.Subscribe(1024)
		w.stop = append(w.stop, cancel)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			deadline := time.NewTimer(timeout)
			defer deadline.Stop()
			for {
				select {
				case e, ok := <-ch:
					if !ok {
						return
					}
					if e.Kind != kind || e.Node != about || !seen(g) {
						continue
					}
				case <-deadline.C:
				}
				w.mu.Lock()
				w.lat = append(w.lat, time.Since(start))
				w.mu.Unlock()
				return
			}
		}()
	}
	return w
}

// wait returns every node's latency and the slowest.
func (w *watch) wait() ([]time.Duration, time.Duration) {
	w.wg.Wait()
	for _, s := range w.stop {
		s()
	}
	return w.lat, slices.Max(w.lat)
}

func holds(g *gossip.Gossip, node, model string) bool {
	for _, m := range g.Holders(model) {
		if m.Name == node {
			return true
		}
	}
	return false
}

// waitFor polls cond every 100 ms for up to a minute: gentler than
// testutil.Eventually on a loaded machine with a large cluster.
func waitFor(b *testing.B, what string, cond func() bool) {
	b.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after a minute waiting for %s", what)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkPropagation: one node loads a model; how long until every other
// node sees it (all_p50/p99: the slowest node of each change; node_p99:
// every node's own latency), and how many bytes each node sends per second
// while changes flow (B/node/s) and while idle (idle_B/node/s).
func BenchmarkPropagation(b *testing.B) {
	for _, mult := range []int{2, 4} {
		for _, n := range benchSizes(b, 10, 25, 50) {
			b.Run(fmt.Sprintf("retransmit=%d/nodes=%d", mult, n), func(b *testing.B) { benchPropagation(b, n, mult, false) })
		}
	}
}

// BenchmarkPropagationChurn is BenchmarkPropagation while every node's
// figures (queue depth) change all the time, so every node publishes its
// state every StateInterval (100 ms in the harness): what a cluster under
// load gossips.
func BenchmarkPropagationChurn(b *testing.B) {
	for _, n := range benchSizes(b, 10, 25, 50) {
		b.Run(fmt.Sprintf("retransmit=4/nodes=%d", n), func(b *testing.B) { benchPropagation(b, n, 4, true) })
	}
}

// benchPropagation runs the harness's configuration with memberlist's
// RetransmitMult set to mult (the harness's local profile has 2, the lan
// profile 4).
func benchPropagation(b *testing.B, n, mult int, churn bool) {
	c := gossiptest.Start(b, gossiptest.Options{Nodes: n, Regions: []string{"r0", "r1", "r2"},
		Tune: func(_ int, c *gossip.Config) { c.RetransmitMult = mult }})
	var mu sync.Mutex // serializes SetLocal calls and guards locals
	locals := make([]gossip.Local, n)
	set := func(i int, l gossip.Local) {
		mu.Lock()
		defer mu.Unlock()
		locals[i] = l
		c.Node(i).SetLocal(l)
	}
	for i := range n {
		set(i, typicalLocal(i))
	}
	waitFor(b, "every node sees every state", func() bool {
		for _, g := range c.Running() {
			for _, m := range g.Members() {
				if m.State == nil || len(m.State.Loaded) != 8 {
					return false
				}
			}
		}
		return true
	})
	// Idle: probes, push/pull, no changes; over two push/pull rounds.
	idle := 2 * pushPullInterval(gossiptest.Config(0, "").PushPullInterval, n)
	b0, t0 := sentBytes(c), time.Now()
	time.Sleep(idle)
	idleRate := float64(sentBytes(c)-b0) / time.Since(t0).Seconds() / float64(n)
	if churn {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(gossiptest.Config(0, "").StateInterval)
			defer t.Stop()
			for tick := 0; ; tick++ {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				for i := range n {
					mu.Lock()
					locals[i].QueueDepth = tick % 7
					c.Node(i).SetLocal(locals[i])
					mu.Unlock()
				}
			}
		}()
		defer func() { close(stop); <-done }()
		time.Sleep(idle / 2) // let the churn settle before counting
	}

	var all, each []float64
	timeouts := 0
	b.ResetTimer()
	b0, t0 = sentBytes(c), time.Now()
	for i := 0; i < b.N; i++ {
		origin := c.Node(i % n)
		model := fmt.Sprintf("new-%d:1", i)
		w := watchAll(c, origin.Name(), gossip.StateChanged, origin.Name(), func(g *gossip.Gossip) bool { return holds(g, origin.Name(), model) }, 30*time.Second)
		set(i%n, typicalLocal(i%n, model))
		lat, slowest := w.wait()
		for _, l := range lat {
			each = append(each, ms(l))
		}
		all = append(all, ms(slowest))
		if slowest >= 30*time.Second {
			timeouts++
		}
	}
	el := time.Since(t0)
	b.StopTimer()
	b.ReportMetric(quantile(all, 0.5), "all_p50_ms")
	b.ReportMetric(quantile(all, 0.99), "all_p99_ms")
	b.ReportMetric(quantile(each, 0.5), "node_p50_ms")
	b.ReportMetric(quantile(each, 0.99), "node_p99_ms")
	b.ReportMetric(float64(sentBytes(c)-b0)/el.Seconds()/float64(n), "B/node/s")
	b.ReportMetric(idleRate, "idle_B/node/s")
	b.ReportMetric(float64(timeouts), "timeouts")
}

// BenchmarkFailureDetection: a node holding a model is killed; how long
// until every other node has marked it failed and dropped its model
// (detect_p50/p99), against memberlist's suspicion timeout at this size
// (suspicion_min_ms, and the max it starts from: 6x). Each killed node is
// restarted (not timed) and must rejoin with its fresh state.
func BenchmarkFailureDetection(b *testing.B) {
	for _, n := range benchSizes(b, 10, 25, 50) {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) { benchFailure(b, n) })
	}
}

func benchFailure(b *testing.B, n int) {
	c := gossiptest.Start(b, gossiptest.Options{Nodes: n})
	cfg := gossiptest.Config(0, "")
	suspicion := time.Duration(float64(cfg.SuspicionMult) * math.Max(1, math.Log10(float64(n))) * float64(cfg.ProbeInterval))
	var det []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		victim := 1 + i%(n-1)
		name := c.Node(victim).Name()
		model := fmt.Sprintf("victim-%d:1", i)
		w := watchAll(c, name, gossip.StateChanged, name, func(g *gossip.Gossip) bool { return holds(g, name, model) }, 30*time.Second)
		c.Node(victim).SetLocal(typicalLocal(victim, model))
		w.wait()
		b.StartTimer()
		w = watchAll(c, name, gossip.MemberFailed, name, func(g *gossip.Gossip) bool { return len(g.Holders(model)) == 0 }, 60*time.Second)
		c.Kill(victim)
		_, slowest := w.wait()
		det = append(det, ms(slowest))
		b.StopTimer()
		g := c.Restart(victim)
		c.WaitAlive(n)
		waitFor(b, "the restarted node's fresh state is seen", func() bool {
			for _, o := range c.Running() {
				if o != g && (holds(o, name, model) || !stateSeen(o, name)) {
					return false
				}
			}
			return true
		})
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(quantile(det, 0.5), "detect_p50_ms")
	b.ReportMetric(quantile(det, 0.99), "detect_p99_ms")
	b.ReportMetric(ms(suspicion), "suspicion_min_ms")
	b.ReportMetric(ms(6*suspicion), "suspicion_max_ms")
}

func stateSeen(g *gossip.Gossip, node string) bool {
	for _, m := range g.Members() {
		if m.Name == node {
			return m.Health == gossip.Alive && m.State != nil
		}
	}
	return false
}

// rttMatrices are three-region RTT matrices (each direction is delayed by
// half). "5-30-80" is the issue's; it breaks the triangle inequality
// (5 + 30 < 80), so no metric embedding fits it. "30-50-80" keeps 30 and
// 80 ms and is metric (regions on a line).
var rttMatrices = map[string]map[[2]string]time.Duration{
	"5-30-80":  {{"a", "b"}: 5 * time.Millisecond, {"a", "c"}: 30 * time.Millisecond, {"b", "c"}: 80 * time.Millisecond},
	"30-50-80": {{"a", "b"}: 30 * time.Millisecond, {"b", "c"}: 50 * time.Millisecond, {"a", "c"}: 80 * time.Millisecond},
}

// BenchmarkRTTPrediction: a cluster of three regions whose probes see a
// delay matrix; every second, the median relative error of the predicted
// RTT over the inter-region pairs. converge_s: when it first fell under
// 15% (-1: never, within the run); med_err_pct, p90_err_pct: after the run
// (EDGESERVE_GOSSIP_RTT_SECONDS, default 60); intra_med_ms: the median
// prediction between nodes of one region (true RTT: loopback, ~0).
func BenchmarkRTTPrediction(b *testing.B) {
	secs := 60
	if s := os.Getenv("EDGESERVE_GOSSIP_RTT_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	for _, name := range []string{"30-50-80", "5-30-80"} {
		for _, n := range benchSizes(b, 24) {
			b.Run(fmt.Sprintf("matrix=%s/nodes=%d", name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					benchRTT(b, rttMatrices[name], n, time.Duration(secs)*time.Second)
				}
			})
		}
	}
}

func benchRTT(b *testing.B, matrix map[[2]string]time.Duration, n int, run time.Duration) {
	regions := []string{"a", "b", "c"}
	c := gossiptest.Start(b, gossiptest.Options{Nodes: n, Regions: regions, RTT: matrix})
	start := time.Now()
	converged := -1.0
	var rel, intra []float64
	for time.Since(start) < run {
		time.Sleep(time.Second)
		rel, intra = rttErrors(c, matrix)
		if converged < 0 && len(rel) > 0 && quantile(rel, 0.5) < 0.15 {
			converged = time.Since(start).Seconds()
		}
	}
	b.ReportMetric(converged, "converge_s")
	b.ReportMetric(100*quantile(rel, 0.5), "med_err_pct")
	b.ReportMetric(100*quantile(rel, 0.9), "p90_err_pct")
	b.ReportMetric(quantile(intra, 0.5), "intra_med_ms")
	b.ReportMetric(quantile(intra, 0.9), "intra_p90_ms")
}

// rttErrors are the relative errors of every inter-region prediction and
// the predictions (ms) within a region; an unknown RTT counts as 100%.
func rttErrors(c *gossiptest.Cluster, matrix map[[2]string]time.Duration) (rel, intra []float64) {
	for i := range c.Len() {
		gi := c.Node(i)
		for j := range c.Len() {
			if i == j {
				continue
			}
			p, ok := gi.RTT(c.Node(j).Name())
			ri, rj := c.Region(i), c.Region(j)
			if ri == rj {
				if ok {
					intra = append(intra, ms(p))
				}
				continue
			}
			want, found := matrix[[2]string{ri, rj}]
			if !found {
				want = matrix[[2]string{rj, ri}]
			}
			if !ok {
				rel = append(rel, 1)
				continue
			}
			rel = append(rel, math.Abs(float64(p-want))/float64(want))
		}
	}
	return rel, intra
}
