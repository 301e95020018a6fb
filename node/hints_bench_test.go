package node

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
)

// The replay of BenchmarkHintsReplay: two regions of three nodes,
// eighteen models (squeezenet1.1 under eighteen names), each node's memory
// holding four of them, so that a region holds twelve: what stays loaded
// is a choice. Each region has a hot set of three models per phase that
// takes 85% of its requests (45%, 25%, 15%); the rest go evenly to the
// other fifteen. The hot sets move west: what eu asks for in one phase,
// us asks for in the next (us starts on the block eu would have had
// before the first phase). The first phase warms the clusters up and is
// not measured: a long-running cluster has met its models before.
const (
	hbRegionNodes = 3
	hbModels      = 18
	hbHot         = 3
	hbPhases      = 4
	hbWarmPhases  = 1
	hbPhase       = 30 * time.Second
	hbNodeRate    = 2.0     // requests/s arriving at each node
	hbCharge      = 6 << 20 // memory charged per loaded model, bytes
	hbBudget      = 4 * hbCharge
	hbNearOneWay  = 2 * time.Millisecond  // within a region
	hbFarOneWay   = 30 * time.Millisecond // between the regions
	hbSeed        = 14
)

var (
	hbRegions   = []string{"eu", "us"}
	hbHotShares = []float64{0.45, 0.25, 0.15}
)

// hbRequest is one request of the replay: when it is sent, to which node
// (region*hbRegionNodes + index) and for which model.
type hbRequest struct {
	at          time.Duration
	node, model int
}

// hbHotSet is the first model of region r's hot set in phase p: eu takes
// blocks 0, 1, 2, 3; us the block eu had lag phases before (with lag 1:
// 5, 0, 1, 2).
func hbHotSet(r, p, lag int) int {
	blocks := hbModels / hbHot
	return hbHot * (((p-r*lag)%blocks + blocks) % blocks)
}

// hbTrace is the replay's request sequence, sorted by time: at each node,
// Poisson arrivals at hbNodeRate, models drawn from its region's phase
// mix. The same seed gives the same sequence.
func hbTrace(seed uint64, lag int) []hbRequest {
	rng := rand.New(rand.NewPCG(seed, 0))
	var out []hbRequest
	for node := range len(hbRegions) * hbRegionNodes {
		r := node / hbRegionNodes
		for at := time.Duration(0); ; {
			at += time.Duration(rng.ExpFloat64() / hbNodeRate * float64(time.Second))
			p := int(at / hbPhase)
			if p >= hbPhases {
				break
			}
			out = append(out, hbRequest{at: at, node: node, model: hbPick(rng, hbHotSet(r, p, lag))})
		}
	}
	slices.SortStableFunc(out, func(a, b hbRequest) int { return cmp.Compare(a.at, b.at) })
	return out
}

// hbPick draws a model: one of the hot set starting at hot with its share,
// else one of the others evenly.
func hbPick(rng *rand.Rand, hot int) int {
	x := rng.Float64()
	for i, s := range hbHotShares {
		if x < s {
			return hot + i
		}
		x -= s
	}
	m := rng.IntN(hbModels - hbHot)
	if m >= hot {
		m += hbHot
	}
	return m
}

func hbModelName(m int) string { return fmt.Sprintf("m%02d", m) }

// hbLoader is a node's ONNX Runtime loader (with its prepared fast forms)
// that charges every loaded model hbCharge bytes, as chargedLoader does,
// and times each load by who waited for it: a request's miss, or no one
// (a hint's preload, a pin).
type hbLoader struct {
	*ort.Loader
	// extra is waited after each load (EDGESERVE_HINTS_LOAD_DELAY): a
	// load that costs what the poster's GPU loads do (hundreds of ms),
	// which squeezenet's few milliseconds here do not.
	extra             time.Duration
	mu                sync.Mutex // guards the tallies and log
	byRequest, others hbTally
	log               []hbLoad // every load, for -v
}

// hbLoad is one load: when it ended, of what, and whether a request
// waited for it.
type hbLoad struct {
	at      time.Time
	model   string
	request bool
}

type hbTally struct {
	loads int
	total time.Duration
}

func (l *hbLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	start := time.Now()
	m, err := l.Loader.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	if l.extra > 0 {
		select {
		case <-time.After(l.extra):
		case <-ctx.Done():
			m.Close()
			return nil, ctx.Err()
		}
	}
	d := time.Since(start)
	l.mu.Lock()
	t := &l.others
	if src.SkipWarmUp { // the node sets it for a request's load
		t = &l.byRequest
	}
	t.loads++
	t.total += d
	l.log = append(l.log, hbLoad{at: time.Now(), model: src.Name, request: src.SkipWarmUp})
	l.mu.Unlock()
	return chargedModel{m, hbCharge}, nil
}

// HeldBytes is 0, hiding ort.Loader's: the bench charges each model
// hbCharge in place of its memory, and its twelve nodes share one
// process's arena, whose free memory counted against each node's budget
// (the node counts a loader's HeldBytes as used) would leave no room.
func (l *hbLoader) HeldBytes() int64 { return 0 }

func (l *hbLoader) tallies() (byRequest, others hbTally) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byRequest, l.others
}

// hbCluster is one run's cluster: the nodes (eu first), their loaders.
type hbCluster struct {
	nodes   []*testNode
	loaders []*hbLoader
	logf    func(format string, args ...any)
	heldMu  sync.Mutex // guards held
	held    []hbHeld
}

// hbHeld is a change to a node's loaded set, as watchHeld sampled it:
// model came into node's set (in) or left it, at about at.
type hbHeld struct {
	at    time.Time
	node  int
	model string
	in    bool
}

// hbRegionOf maps a node's IP to its region for the link delays.
type hbRegionOf map[string]int

// oneWay is the one-way delay between two "host:port" addresses.
func (m hbRegionOf) oneWay(from, to string) time.Duration {
	fh, _, _ := net.SplitHostPort(from)
	th, _, _ := net.SplitHostPort(to)
	fr, ok1 := m[fh]
	tr, ok2 := m[th]
	switch {
	case !ok1 || !ok2 || fh == th:
		return 0
	case fr == tr:
		return hbNearOneWay
	}
	return hbFarOneWay
}

// hbPeerLinks maps, per node, a peer's gRPC address to the delaying
// proxy in front of it; filled once every node has started.
type hbPeerLinks struct {
	mu    sync.Mutex // guards via
	via   map[string]map[string]string
	nodes []*testNode
}

func (l *hbPeerLinks) rewrite(ip string) func(string) string {
	return func(addr string) string {
		l.mu.Lock()
		defer l.mu.Unlock()
		if p, ok := l.via[ip][addr]; ok {
			return p
		}
		return addr
	}
}

// startHBCluster starts the two regions on 127.0.net.x (eu .1-.3, us
// .11-.13), gossip and peer links delayed by region, every model pushed
// to every node (a load is the runtime's alone, no fetch). With hints,
// each region forms its Raft group and plans every 500 ms (hbRaftTune).
func startHBCluster(b *testing.B, subnet int, withHints bool, model string) *hbCluster {
	b.Helper()
	regionOf := hbRegionOf{}
	var ips []string
	for r := range hbRegions {
		for i := range hbRegionNodes {
			ip := fmt.Sprintf("127.0.%d.%d", subnet, 10*r+i+1)
			regionOf[ip] = r
			ips = append(ips, ip)
		}
	}
	links := &hbPeerLinks{via: map[string]map[string]string{}}
	size, err := os.Stat(model)
	if err != nil {
		b.Fatal(err)
	}
	c := &hbCluster{logf: b.Logf}
	for i, ip := range ips {
		l := &hbLoader{Loader: realLoader(b).(*ort.Loader), extra: hbEnvDuration(hbLoadDelayEnv, 0)}
		mod := func(cfg *Config, d *Deps) {
			cfg.Cluster.Region = hbRegions[regionOf[ip]]
			cfg.Cache.MemoryBudgetBytes = hbBudget
			cfg.Cache.SizeHintFactor = float64(hbCharge) / float64(size.Size()) // estimates match the charge
			d.Loader, d.GossipDelay, d.PeerAddr = l, regionOf.oneWay, links.rewrite(ip)
			cfg.Cluster.PublishInterval = DefaultConfig("").Cluster.PublishInterval
			cfg.Cluster.RateHalfLife = hbRateHalfLife
			d.GossipTune = hbGossipTune
			if withHints {
				cfg.Cluster.BootstrapExpect = hbRegionNodes
				d.RaftTune = hbRaftTune
				d.NoDemandPreload = os.Getenv(hbNoDemandPreloadEnv) != ""
			}
		}
		var join []string
		if i > 0 {
			join = []string{c.nodes[0].cluster.g.Addr()}
		}
		c.nodes = append(c.nodes, clusterNodeWith(b, fmt.Sprintf("%s%d", hbRegions[regionOf[ip]], i%hbRegionNodes+1), ip, mod, join...))
		c.loaders = append(c.loaders, l)
	}
	links.mu.Lock()
	for i, from := range ips {
		links.via[from] = map[string]string{}
		for j, to := range ips {
			if i != j {
				d := regionOf.oneWay(from+":0", to+":0")
				links.via[from][c.nodes[j].GRPCAddr()] = delayedProxy(b, from+":0", c.nodes[j].GRPCAddr(), d, d)
			}
		}
	}
	links.mu.Unlock()
	c.ready(b, withHints)
	c.pushAll(b, model)
	return c
}

// hbGossipTune: memberlist's LAN timers and the node's own intervals, as
// in production, except probes every 200 ms so that the RTTs are measured
// before the replay starts.
func hbGossipTune(g *gossip.Config) {
	g.Profile, g.ProbeInterval, g.JoinRetryInterval = "lan", 200*time.Millisecond, 50*time.Millisecond
}

// hbRaftTune: short Raft timers (as inRegionGroup), planning every
// 500 ms. A model is hinted from 0.5 requests/s, so that a region's hot
// models (at 2.7, 1.5 and 0.9 requests/s; each of the others is asked for
// at 0.06) are hinted, and so is a model asked for at 0.5 requests/s next
// door (one copy), within the hint room (80% of the budgets: nine slots a
// region). Copies are the planner's default: as many as carry the rate at
// the measured warm run time. EDGESERVE_HINTS_PASSED_WINDOW (a duration)
// replaces the planner's PassedWindow; 0 turns its rule off, to measure
// it.
func hbRaftTune(rc *raftgroup.Config) {
	rc.BootstrapWait, rc.ReconcileInterval, rc.PlanInterval = 100*time.Millisecond, 50*time.Millisecond, 500*time.Millisecond
	rc.HeartbeatTimeout, rc.ElectionTimeout = 400*time.Millisecond, 400*time.Millisecond
	rc.LeaderLeaseTimeout, rc.CommitTimeout = 200*time.Millisecond, 10*time.Millisecond
	rc.ApplyTimeout, rc.RPCTimeout = 2*time.Second, time.Second
	rc.Plan.HotRate, rc.Plan.NeighbourRate = 0.5, 0.5
	rc.Plan.PassedWindow = hbEnvDuration(hbPassedWindowEnv, rc.Plan.PassedWindow)
	rc.Plan.HintShare = hbEnvFloat(hbHintShareEnv, rc.Plan.HintShare, 1)
	rc.Plan.NeighbourRate = hbEnvFloat(hbNeighbourRateEnv, rc.Plan.NeighbourRate, math.Inf(1))
	rc.Plan.KeepRate = hbEnvFloat(hbKeepRateEnv, rc.Plan.KeepRate, math.Inf(1))
}

// hbEnvFloat is the number in the environment variable name, or def
// when it is unset; it panics on one that is not in [0, max].
func hbEnvFloat(name string, def, max float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0 && f <= max) {
		panic(fmt.Sprintf("%s=%q: want a number in [0, %v]", name, v, max))
	}
	return f
}

// The replay's knobs, to measure what the defaults leave out: the
// planner's PassedWindow (0 turns its rule off), a wait added to every
// load, and the planner's HintShare (the share of each budget hinted
// copies may hold).
const (
	hbPassedWindowEnv = "EDGESERVE_HINTS_PASSED_WINDOW"
	hbLoadDelayEnv    = "EDGESERVE_HINTS_LOAD_DELAY"
	hbHintShareEnv    = "EDGESERVE_HINTS_SHARE"
	// EDGESERVE_HINTS_NEIGHBOUR_RATE and EDGESERVE_HINTS_KEEP_RATE replace
	// the planner's NeighbourRate and KeepRate (requests/s); 0 turns
	// neighbour copies or Keep hints off.
	hbNeighbourRateEnv = "EDGESERVE_HINTS_NEIGHBOUR_RATE"
	hbKeepRateEnv      = "EDGESERVE_HINTS_KEEP_RATE"
	// EDGESERVE_HINTS_LAG is how many phases us trails eu (default 1): with
	// 2, what eu asked for has gone cold there for a phase before us asks
	// for it, and the cluster may have let it go.
	hbLagEnv = "EDGESERVE_HINTS_LAG"
	// EDGESERVE_HINTS_NO_DEMAND_PRELOAD (any value): demand hints only
	// protect the copies they name and preload none (Deps.NoDemandPreload).
	hbNoDemandPreloadEnv = "EDGESERVE_HINTS_NO_DEMAND_PRELOAD"
)

// hbEnvDuration is the duration in the environment variable name, or def
// when it is not set.
func hbEnvDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		panic(fmt.Sprintf("%s=%q: want a duration, 0 or more", name, v))
	}
	return d
}

// hbRateHalfLife smooths the gossiped rates the hints are planned from,
// in both clusters (only the hints cluster plans).
const hbRateHalfLife = 10 * time.Second

// ready waits until every node sees all the others alive with their
// far RTTs measured, and, with hints, each region has a leader.
func (c *hbCluster) ready(b *testing.B, withHints bool) {
	b.Helper()
	// The far RTTs come from network coordinates, which took over 20 s
	// to converge in two starts of about ten.
	testutil.EventuallyWithin(b, time.Minute, "every node sees the others, RTTs measured", func() bool {
		for _, n := range c.nodes {
			for _, p := range c.nodes {
				if n == p {
					continue
				}
				m, ok := n.member(p.name())
				rtt, known := n.cluster.g.RTT(p.name())
				if !ok || m.State == nil || !known || (m.Region != n.cfg.Cluster.Region && rtt < 40*time.Millisecond) {
					return false
				}
			}
		}
		return true
	})
	if !withHints {
		return
	}
	testutil.Eventually(b, "each region elects a leader", func() bool {
		for _, n := range c.nodes {
			if l, _ := n.group.Leadership(); l == "" {
				return false
			}
		}
		return true
	})
}

// pushAll stores every model on every node, nodes in parallel.
func (c *hbCluster) pushAll(b *testing.B, model string) {
	b.Helper()
	data, err := os.ReadFile(model)
	if err != nil {
		b.Fatal(err)
	}
	errs := make(chan error, len(c.nodes))
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Go(func() {
			for m := range hbModels {
				if err := hbPush(adminCtx(b), n.admin, hbModelName(m), data); err != nil {
					errs <- fmt.Errorf("push %s to %s: %w", hbModelName(m), n.name(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	for _, n := range c.nodes {
		for m := range hbModels {
			if _, err := n.store.Get(testCtx(b), hbModelName(m), "1"); err != nil {
				b.Fatalf("%s lacks %s:1: %v", n.name(), hbModelName(m), err)
			}
		}
	}
}

// hbPush pushes data as model name in 256 KiB chunks (push's 1 KiB
// chunks cost a write each: 144 pushes of 5 MB were most of the setup).
func hbPush(ctx context.Context, c adminpb.AdminServiceClient, name string, data []byte) error {
	sum := sha256.Sum256(data)
	stream, err := c.PushModel(ctx)
	if err != nil {
		return err
	}
	hdr := &adminpb.PushHeader{Name: name, SizeBytes: int64(len(data)), Sha256: hex.EncodeToString(sum[:])}
	if err := stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: hdr}}); err == nil {
		for i := 0; i < len(data); i += 256 << 10 {
			chunk := data[i:min(i+256<<10, len(data))]
			if stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: chunk}}) != nil {
				break // CloseAndRecv says why
			}
		}
	}
	_, err = stream.CloseAndRecv()
	return err
}

// stop stops the nodes one by one: each hands its hinted copies over
// to a leader that is not stopping too (stopped all at once, hand-overs
// wait out their timeouts and a stop can outlast the test's 30 s).
func (c *hbCluster) stop(b *testing.B) {
	for _, n := range c.nodes {
		n.stop(b)
	}
}

// hbResult is what one run measured.
type hbResult struct {
	latency []time.Duration // as each client saw it
	routes  map[string]int  // edgeserve_route of each reply
	errors  int
	// farServed are the replies served in the other region.
	farServed int
	// how says, per request, its route and the node that served it.
	how []string
	// reqLoads are the loads requests waited for (their count, summed
	// load time); preloads the others (hint preloads and copies behind a
	// forward).
	reqLoads, preloads hbTally
	preloadCount       float64       // edgeserve_hint_preloads_total, summed
	copyCount          float64       // edgeserve_copies_behind_forward_total, summed
	missWait           time.Duration // summed time requests waited for their model to load (cache history)
	misses             int
	evictions          float64 // edgeserve_cache_evictions_total{reason="evict"}, summed
	// heldNowhere are the request loads of a model no node held when
	// the load began (heldNowhere): the cluster had lost its last copy.
	heldNowhere int
	// hinted and following are hinted copies and those loaded, summed
	// over the nodes and over one sample a second.
	hinted, following int
}

// hbRun is one cluster's part of a replay.
type hbRun struct {
	c                      *hbCluster
	res                    hbResult
	mu                     sync.Mutex // guards res.routes, res.errors
	wg                     sync.WaitGroup
	start                  time.Time
	beforeReq, beforeOther []hbTally
	beforePreloads         []float64
	beforeCopies           []float64
	beforeEvictions        []float64
	stopSampling           func()
}

// begin starts a run of n requests on c.
func (c *hbCluster) begin(n int) *hbRun {
	run := &hbRun{c: c, res: hbResult{latency: make([]time.Duration, n), how: make([]string, n), routes: map[string]int{}}, start: time.Now()}
	for _, l := range c.loaders {
		req, other := l.tallies()
		run.beforeReq, run.beforeOther = append(run.beforeReq, req), append(run.beforeOther, other)
	}
	for _, n := range c.nodes {
		run.beforePreloads = append(run.beforePreloads, promtest.ToFloat64(n.metrics.preloads))
		run.beforeCopies = append(run.beforeCopies, promtest.ToFloat64(n.metrics.copies))
		run.beforeEvictions = append(run.beforeEvictions, hbEvictions(n))
	}
	run.stopSampling = c.sampleHints(&run.res)
	return run
}

// hbEvictions reads the node's edgeserve_cache_evictions_total{reason="evict"}:
// models its cache unloaded to make room.
func hbEvictions(n *testNode) float64 {
	families, _ := n.reg.Gather()
	for _, f := range families {
		if f.GetName() != "edgeserve_cache_evictions_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == "evict" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// send sends request i from its node's client, without waiting for the
// reply (open loop: a slow reply does not hold back the next request).
func (run *hbRun) send(i int, r hbRequest, req *pb.ModelInferRequest) {
	run.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t0 := time.Now()
		resp, err := run.c.nodes[r.node].infer.ModelInfer(ctx, req)
		run.res.latency[i] = time.Since(t0)
		run.mu.Lock()
		defer run.mu.Unlock()
		if err != nil {
			if run.res.errors++; run.res.errors <= 3 {
				run.c.logf("request %d to %s for %s after %v: %v", i, run.c.nodes[r.node].name(), req.ModelName, run.res.latency[i], err)
			}
			return
		}
		run.res.routes[param(resp, "edgeserve_route")]++
		run.res.how[i] = fmt.Sprintf("%.1fs %s at %s: %s by %s", r.at.Seconds(), req.ModelName, run.c.nodes[r.node].name(),
			param(resp, "edgeserve_route"), param(resp, "edgeserve_served_by"))
		if by := param(resp, "edgeserve_served_by"); by != "" && !strings.HasPrefix(by, hbRegions[r.node/hbRegionNodes]) {
			run.res.farServed++
		}
	})
}

// end waits for the replies and gathers the nodes' figures.
func (run *hbRun) end() hbResult {
	run.wg.Wait()
	run.stopSampling()
	res := run.res
	for i, n := range run.c.nodes {
		req, other := run.c.loaders[i].tallies()
		res.reqLoads.loads += req.loads - run.beforeReq[i].loads
		res.reqLoads.total += req.total - run.beforeReq[i].total
		res.preloads.loads += other.loads - run.beforeOther[i].loads
		res.preloads.total += other.total - run.beforeOther[i].total
		res.preloadCount += promtest.ToFloat64(n.metrics.preloads) - run.beforePreloads[i]
		res.copyCount += promtest.ToFloat64(n.metrics.copies) - run.beforeCopies[i]
		res.evictions += hbEvictions(n) - run.beforeEvictions[i]
		for _, h := range n.cache.(placementCache).c.History() {
			if !h.Hit && !h.Failed && h.Time.After(run.start) {
				res.misses++
				res.missWait += h.Latency
			}
		}
	}
	return res
}

// replay sends the trace to every cluster at once, each request at its
// time to the same node of each, and returns each cluster's figures for
// the requests after the warm-up phases (those before are sent alike and
// their figures dropped).
func replay(b *testing.B, trace []hbRequest, reqs []*pb.ModelInferRequest, clusters ...*hbCluster) []hbResult {
	b.Helper()
	first, _ := slices.BinarySearchFunc(trace, hbWarmPhases*hbPhase, func(r hbRequest, t time.Duration) int { return cmp.Compare(r.at, t) })
	runs, warm := make([]*hbRun, len(clusters)), make([]*hbRun, len(clusters))
	for k, c := range clusters {
		warm[k] = c.begin(first)
	}
	start, phase := time.Now(), 0
	for i, r := range trace {
		time.Sleep(time.Until(start.Add(r.at)))
		if p := int(r.at / hbPhase); p != phase {
			for _, c := range clusters {
				c.logHints(b, phase)
			}
			phase = p
		}
		if i == first {
			for k, c := range clusters {
				runs[k] = c.begin(len(trace) - first)
			}
		}
		for k := range clusters {
			if i < first {
				warm[k].send(i, r, reqs[r.model])
			} else {
				runs[k].send(i-first, r, reqs[r.model])
			}
		}
	}
	for _, run := range warm {
		run.end()
	}
	out := make([]hbResult, len(runs))
	for k, run := range runs {
		out[k] = run.end()
	}
	return out
}

// sampleHints counts, once a second until the returned func is called,
// the hinted copies and those loaded.
func (c *hbCluster) sampleHints(res *hbResult) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			for _, n := range c.nodes {
				if p := n.placementView(); p != nil {
					res.hinted += p.Hinted
					res.following += p.Following
				}
			}
		}
	}()
	return func() { close(done); <-exited }
}

// BenchmarkHintsReplay replays the same region-skewed, shifting demand
// (hbTrace) on two clusters of the same shape at once: one whose regions
// form their Raft groups and follow placement hints (preloads, copies of
// hot models, one copy of models hot next door), one whose groups never
// form (no BootstrapExpect). Links between nodes are delayed (gossip by
// the delay transport, peer calls through Toxiproxy): 4 ms RTT within a
// region, 60 ms between them. Both clusters take each request at the same
// moment, so that other work on the machine weighs on both alike.
// Reported per cluster: client latency p50, p99 and mean; the load time
// of the loads requests started and the miss waits the caches recorded;
// the loads no request waited for (hint preloads and copies behind a
// forward: their load time together, their counts apart); evictions; the route
// mix as the clients saw it; the share of hinted copies loaded (sampled
// each second); and the ratios hints/none of latency and load time.
func BenchmarkHintsReplay(b *testing.B) {
	model := zooModel(b, "squeezenet1.1")
	lag := int(hbEnvFloat(hbLagEnv, 1, hbPhases))
	trace := hbTrace(hbSeed, lag)
	b.Logf("%d requests over %v, the first %v a warm-up", len(trace), hbPhases*hbPhase, hbWarmPhases*hbPhase)
	for i := range b.N {
		b.StopTimer()
		none, hints := startHBCluster(b, 9, false, model), startHBCluster(b, 8, true, model)
		reqs := make([]*pb.ModelInferRequest, hbModels)
		for m := range hbModels {
			reqs[m] = zerosRequest(b, none.nodes[0].infer, hbModelName(m))
		}
		stopNone, stopHints := none.watchHeld(), hints.watchHeld()
		b.StartTimer()
		start := time.Now()
		runs := replay(b, trace, reqs, none, hints)
		b.StopTimer()
		stopNone()
		stopHints()
		for k, c := range []*hbCluster{none, hints} {
			c.logHints(b, hbPhases-1)
			c.logLoads(b, start)
			runs[k].heldNowhere = c.heldNowhere(b, []string{"none", "hints"}[k], start, start.Add(hbWarmPhases*hbPhase))
			c.stop(b)
		}
		if i == b.N-1 {
			hbReport(b, runs[0], runs[1])
			hbLogTail(b, "none", runs[0])
			hbLogTail(b, "hints", runs[1])
		}
	}
}

// logHints logs, with -v, each node's hints and loaded models at the end
// of phase p.
func (c *hbCluster) logHints(b *testing.B, p int) {
	for _, n := range c.nodes {
		var loaded []string
		for _, m := range n.cache.Memory().Models {
			if m.State == "loaded" {
				loaded = append(loaded, m.Model)
			}
		}
		slices.Sort(loaded)
		set := n.group.Hints()
		b.Logf("phase %d end: %s hinted %v (generation %d), loaded %v", p, n.name(), set.ForNode(n.name()), set.Generation, loaded)
	}
	if set := c.nodes[0].group.Hints(); len(set.Demand) > 0 {
		var demand []string
		for _, r := range set.Demand {
			demand = append(demand, fmt.Sprintf("%s %.2f/%.2f", r.Model, r.PerSecond, r.NeighbourPerSecond))
		}
		b.Logf("phase %d end: %s's region plans from requests/s here/next door: %v", p, c.nodes[0].name(), demand)
	}
}

// watchHeld samples each node's loaded set every 100 ms, recording the
// changes in c.held (the first sample's models as come in), until the
// returned func is called.
func (c *hbCluster) watchHeld() (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		prev := make([]map[string]bool, len(c.nodes))
		for {
			for i, n := range c.nodes {
				now := map[string]bool{}
				for _, m := range n.cache.Memory().Models {
					if m.State == "loaded" {
						now[m.Model] = true
					}
				}
				at := time.Now()
				c.heldMu.Lock()
				for m := range now {
					if !prev[i][m] {
						c.held = append(c.held, hbHeld{at: at, node: i, model: m, in: true})
					}
				}
				for m := range prev[i] {
					if !now[m] {
						c.held = append(c.held, hbHeld{at: at, node: i, model: m})
					}
				}
				c.heldMu.Unlock()
				prev[i] = now
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-exited }
}

// heldNowhere counts the request loads that ended after from of a model
// no node held a sample before the load began (its end less the load
// delay): the cluster had lost its last copy. With -v it logs each, with
// where that copy went: the node that let it go last, when, and the
// loads there that ended within the next 1.5 s (what took its place),
// in seconds since the replay's start.
func (c *hbCluster) heldNowhere(b *testing.B, name string, start, from time.Time) int {
	c.heldMu.Lock()
	defer c.heldMu.Unlock()
	type nodeLoad struct {
		hbLoad
		node int
	}
	var loads []nodeLoad
	for i, l := range c.loaders {
		l.mu.Lock()
		for _, x := range l.log {
			loads = append(loads, nodeLoad{x, i})
		}
		l.mu.Unlock()
	}
	count := 0
	for _, x := range loads {
		if !x.request || x.at.Before(from) {
			continue
		}
		began := x.at.Add(-c.loaders[x.node].extra - 100*time.Millisecond)
		holds := 0 // nodes holding x.model when its load began
		var last hbHeld
		for _, h := range c.held { // in sample order: an in, then an out, per node
			if h.at.After(began) {
				break
			}
			switch {
			case h.model != x.model:
			case h.in:
				holds++
			default:
				holds, last = holds-1, h
			}
		}
		if holds > 0 {
			continue
		}
		count++
		var took []string
		for _, y := range loads {
			if y.node == last.node && !y.at.Before(last.at) && y.at.Before(last.at.Add(1500*time.Millisecond)) {
				by := "preload or copy"
				if y.request {
					by = "request"
				}
				took = append(took, fmt.Sprintf("%s (%s)", y.model, by))
			}
		}
		if last.model == "" {
			b.Logf("%s: request load of %s at %s (%.1fs): held nowhere since the replay began", name, x.model, c.nodes[x.node].name(), x.at.Sub(start).Seconds())
			continue
		}
		b.Logf("%s: request load of %s at %s (%.1fs): held nowhere; its last copy left %s at %.1fs, loads there within 1.5 s: %v",
			name, x.model, c.nodes[x.node].name(), x.at.Sub(start).Seconds(), c.nodes[last.node].name(), last.at.Sub(start).Seconds(), took)
	}
	return count
}

// logLoads logs, with -v, each node's loads since start: seconds into
// the replay, model, and "r" for a request's load, "p" for a preload.
func (c *hbCluster) logLoads(b *testing.B, start time.Time) {
	for i, n := range c.nodes {
		l := c.loaders[i]
		l.mu.Lock()
		var out []string
		for _, x := range l.log {
			if x.at.Before(start) {
				continue
			}
			kind := "p"
			if x.request {
				kind = "r"
			}
			out = append(out, fmt.Sprintf("%.0fs %s %s", x.at.Sub(start).Seconds(), x.model, kind))
		}
		l.mu.Unlock()
		b.Logf("loads at %s: %v", n.name(), out)
	}
}

// hbLogTail logs, with -v, the slowest 1% of a cluster's requests: when
// each was sent, its model, node and route, and the node that served it.
func hbLogTail(b *testing.B, name string, res hbResult) {
	idx := make([]int, len(res.latency))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(res.latency[y], res.latency[x]) })
	for _, i := range idx[:len(idx)/100] {
		b.Logf("%s tail: %v %s", name, res.latency[i].Round(time.Millisecond), res.how[i])
	}
}

func hbReport(b *testing.B, none, hints hbResult) {
	for _, r := range []struct {
		name string
		res  hbResult
	}{{"none", none}, {"hints", hints}} {
		s := r.res
		if s.errors > 0 {
			b.Errorf("%s: %d requests failed", r.name, s.errors)
		}
		b.ReportMetric(pct(s.latency, 0.50), r.name+"-p50-ms")
		b.ReportMetric(pct(s.latency, 0.99), r.name+"-p99-ms")
		b.ReportMetric(mean(s.latency), r.name+"-mean-ms")
		b.ReportMetric(s.reqLoads.total.Seconds(), r.name+"-reqload-s")
		b.ReportMetric(float64(s.reqLoads.loads), r.name+"-reqloads")
		b.ReportMetric(float64(s.heldNowhere), r.name+"-reqloads-held-nowhere")
		b.ReportMetric(s.missWait.Seconds(), r.name+"-misswait-s")
		b.ReportMetric(float64(s.misses), r.name+"-misses")
		b.ReportMetric(s.preloads.total.Seconds(), r.name+"-preload-s")
		b.ReportMetric(s.preloadCount, r.name+"-preloads")
		b.ReportMetric(s.copyCount, r.name+"-copies")
		b.ReportMetric(s.evictions, r.name+"-evictions")
		b.ReportMetric(float64(s.farServed), r.name+"-far-served")
		if s.hinted > 0 {
			b.ReportMetric(float64(s.following)/float64(s.hinted), r.name+"-followed")
		}
		for _, route := range []string{"hit", "load", "forward-hit", "forward-load", "fallback", "hedge"} {
			b.ReportMetric(float64(s.routes[route]), r.name+"-"+route)
		}
	}
	b.ReportMetric(pct(hints.latency, 0.99)/pct(none.latency, 0.99), "p99-hints/none")
	b.ReportMetric(pct(hints.latency, 0.50)/pct(none.latency, 0.50), "p50-hints/none")
	b.ReportMetric(hints.reqLoads.total.Seconds()/none.reqLoads.total.Seconds(), "reqload-hints/none")
	b.ReportMetric(hints.missWait.Seconds()/none.missWait.Seconds(), "misswait-hints/none")
}

// pct is the q-quantile of d in milliseconds (nearest rank).
func pct(d []time.Duration, q float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return float64(s[max(i, 0)]) / 1e6
}

func mean(d []time.Duration) float64 {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return float64(sum) / float64(len(d)) / 1e6
}
