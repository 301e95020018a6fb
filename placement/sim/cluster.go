package sim

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/route"
)

// cluster is one replay of a workload on a topology by one contender.
type cluster struct {
	cfg     ClusterConfig
	topo    *Topology
	con     ClusterContender
	w       *Workload
	entries []policy.Entry
	sizes   []int64
	nodes   []*cnode
	// rr is each site's next entry node (round robin over its nodes).
	rr []int
	// nearest lists, for each node, every other node nearest first.
	nearest [][]int32
	// holders and stores list, per model, the nodes that have it
	// resident (loaded or loading) and that store its bytes; at[n][k] is
	// n's place in holders[k] (-1: none).
	holders, stores [][]int32
	at              [][]int32
	// now is the trace time of the request being served.
	now time.Duration
	// nextPlan is when the hint planner runs next; applyAt when the
	// nodes follow the last plan's hints (-1: they have), with a
	// HintCommitDelay.
	nextPlan, applyAt time.Duration
	tally             clusterTally
	// peerBuf and peerIdx hold a routing decision's candidates.
	peerBuf []route.Peer
	peerIdx []int32
	opts    []route.Option
	// planner is the full system's (a Fresh copy when it keeps state);
	// planning says it plans (the full system, with a planner that is
	// not NoHints).
	planner  HintPlanner
	planning bool
	// view, mark, regionRate and totalRate are the planner's buffers.
	view       RegionView
	mark       []bool
	regionRate [][]float64
	totalRate  []float64
}

// RunCluster replays w on cfg's cluster as contender con. Each request
// reaches a node of its site (w's requests carry sites of cfg.Topology:
// SpreadSites, MatchSites), round robin over the site's nodes, and pays
// the client's round trip; what happens next is con's (ClusterContender).
// Times are the trace's: a request forwarded to a peer reaches it half a
// round trip later, but the peer's policy sees it at the trace time.
func RunCluster(w *Workload, cfg ClusterConfig, con ClusterContender) (ClusterResult, error) {
	c, err := newCluster(w, cfg, con)
	if err != nil {
		return ClusterResult{}, err
	}
	for i, r := range w.Requests {
		c.advance(r.Time)
		if !c.tally.counting && r.Time >= cfg.Warmup {
			c.tally.start(r.Time)
		}
		lat, how := c.serve(r.Model, int(r.Site))
		lat += c.topo.ClientRTT
		c.tally.request(lat, how)
		if cfg.Observe != nil {
			cfg.Observe(i, lat, how)
		}
	}
	return c.result(), nil
}

func newCluster(w *Workload, cfg ClusterConfig, con ClusterContender) (*cluster, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := checkSites(w, cfg.Topology); err != nil {
		return nil, err
	}
	c := &cluster{cfg: cfg, topo: cfg.Topology, con: con, w: w, entries: w.Entries(),
		rr: make([]int, len(cfg.Topology.Sites)), nextPlan: cfg.HintInterval, applyAt: -1}
	for _, m := range w.Models {
		c.sizes = append(c.sizes, m.SizeBytes)
	}
	if err := c.buildNodes(); err != nil {
		return nil, err
	}
	c.buildNearest()
	c.placeBytes()
	c.planner = cfg.Planner
	if f, ok := cfg.Planner.(FreshPlanner); ok {
		c.planner = f.Fresh()
	}
	_, none := cfg.Planner.(NoHints)
	c.planning = con == Full && !none
	c.mark = make([]bool, len(w.Models))
	c.tally.init(len(c.nodes), w.TotalBytes())
	if con == Oracle {
		c.loadEverything()
	}
	return c, nil
}

func checkSites(w *Workload, topo *Topology) error {
	if err := w.Validate(); err != nil {
		return err
	}
	for i, r := range w.Requests {
		if r.Site < 0 || int(r.Site) >= len(topo.Sites) {
			return fmt.Errorf("%w: request %d comes from site %d of the topology's %d", ErrInvalidWorkload, i, r.Site, len(topo.Sites))
		}
	}
	return nil
}

// buildNodes makes every node with its own policy: the configured one in
// its serving form, LRU for ModelMesh and the oracle.
func (c *cluster) buildNodes() error {
	name, build := c.cfg.Policy, policy.NewServing
	budget := c.cfg.NodeBudgetBytes
	switch c.con {
	case Full, Forwarding, Alone:
	case ModelMesh:
		name = "lru"
	case Oracle:
		name, budget = "lru", -1
	default:
		return fmt.Errorf("sim: cluster: unknown contender %q", c.con)
	}
	n := len(c.w.Models)
	c.holders, c.stores = make([][]int32, n), make([][]int32, n)
	for id := range c.topo.Nodes() {
		p, err := build(name, c.entries)
		if err != nil {
			return fmt.Errorf("sim: cluster: %w", err)
		}
		node := newCNode(id, c.topo.NodeSite(id), p, n, budget, c.cfg.LoadSlots, c.cfg.RunSlots)
		if c.con == Full {
			node.demand = newDemand(n)
		}
		node.countQueue = c.con == ModelMesh
		if c.cfg.GossipDelay > 0 {
			node.gossip = newGossip(n, node.free(), c.cfg.GossipDelay)
		}
		c.nodes = append(c.nodes, node)
		at := make([]int32, n)
		for k := range at {
			at[k] = -1
		}
		c.at = append(c.at, at)
	}
	return nil
}

// loadEverything makes every model resident and ready on every node.
func (c *cluster) loadEverything() {
	for _, n := range c.nodes {
		for k := range c.entries {
			c.insert(n, int32(k), 0)
			n.disk[k] = true
		}
	}
}

// advance moves the clock to t: the memory held is integrated, and the
// hint planner runs when due.
func (c *cluster) advance(t time.Duration) {
	for c.planning {
		if c.applyAt >= 0 && t >= c.applyAt && c.applyAt < c.nextPlan {
			c.tally.hold(c.applyAt)
			c.now, c.applyAt = c.applyAt, -1
			c.applyAll()
			continue
		}
		if t < c.nextPlan {
			break
		}
		c.tally.hold(c.nextPlan)
		c.now = c.nextPlan
		c.plan(c.now)
		c.nextPlan += c.cfg.HintInterval
	}
	c.tally.hold(t)
	c.now = t
}

// serve serves a request for model k from site and returns its latency
// from reaching its node to the answer leaving it.
func (c *cluster) serve(k int32, site int) (time.Duration, Served) {
	n := c.entry(site)
	if c.planning {
		n.demand.request(k)
	}
	var done time.Duration
	how := ServedHit
	switch c.con {
	case Full, Forwarding:
		done, how = c.routed(n, k)
	case ModelMesh:
		done, how = c.mesh(n, k)
	default:
		var loaded bool
		if done, loaded = c.here(n, k, c.now); loaded {
			how = ServedLoad
		}
	}
	return done - c.now, how
}

// entry is the next node of site, round robin.
func (c *cluster) entry(site int) *cnode {
	i := c.rr[site]
	c.rr[site] = (i + 1) % c.topo.NodesPerSite
	return c.nodes[site*c.topo.NodesPerSite+i]
}

// here serves a request for k at n that arrives at a, loading the model
// when it is not resident; it returns when the answer is ready and
// whether a load was started for it.
func (c *cluster) here(n *cnode, k int32, a time.Duration) (time.Duration, bool) {
	e := c.entries[k]
	c.publish(n, c.now)
	n.now, n.lastUse[k] = c.now, c.now
	run := c.w.Models[k].RunTime
	if n.resident[k] {
		n.p.OnAccess(e, c.now, true)
		ready := n.readyAt[k]
		if ready > a {
			c.tally.delayedHit(ready - a)
		}
		return n.runModel(k, max(a, ready), run), false
	}
	n.p.OnAccess(e, c.now, false)
	if ready := n.transient[k]; ready > a { // share the load in progress
		c.tally.delayedHit(ready - a)
		return n.runModel(k, ready, run), false
	}
	ready := c.load(n, k, a)
	c.tally.load(ready - a)
	return n.runModel(k, ready, run), true
}

// load starts loading k at n at a (after its bytes when n lacks them)
// and returns when it is ready. The model is cached when the policy
// makes room; otherwise the load is transient.
func (c *cluster) load(n *cnode, k int32, a time.Duration) time.Duration {
	e := c.entries[k]
	ready := n.startLoad(a, c.fetch(n, k)+e.LoadCost)
	if (n.budget < 0 || e.SizeBytes <= n.budget) && c.makeRoom(n, e.SizeBytes) {
		c.insert(n, k, ready)
	} else {
		n.transient[k] = ready
		c.tally.transientLoad()
	}
	return ready
}

// preload loads k at n with no request waiting, after the preload in
// progress there (the node preloads one at a time), into free memory or
// in the place of models that are not hinted and are cold (roomForHint);
// it reports whether it did.
func (c *cluster) preload(n *cnode, k int32) bool {
	if n.resident[k] {
		return false
	}
	n.now = c.now
	if !c.roomForHint(n, c.entries[k].SizeBytes) {
		return false
	}
	n.preloadFree = n.startLoad(max(c.now, n.preloadFree), c.fetch(n, k)+c.entries[k].LoadCost)
	c.insert(n, k, n.preloadFree)
	c.tally.preload()
	return true
}

// roomForHint makes size bytes free at n for a hinted model, as the
// node's preload does (node/placement_group.go, the cache's preload
// rule): by evicting, as the policy chooses, models that are not hinted
// and were not used within HotWindow, when those can make the room, and
// nothing otherwise. With PreloadEvicts (a variant) any model not hinted
// and with no request running or waiting for it here may go. It reports
// whether size bytes are free.
func (c *cluster) roomForHint(n *cnode, size int64) bool {
	need := size - n.free()
	if need <= 0 {
		return true
	}
	can := func(k policy.Key) bool { return n.unhinted(k) && n.lastUse[k] <= n.now-c.cfg.HotWindow }
	if c.cfg.PreloadEvicts {
		can = func(k policy.Key) bool { return n.unhinted(k) && n.busy[k] <= n.now }
	}
	var idle int64
	for _, k := range n.residents {
		if can(policy.Key(k)) {
			idle += c.sizes[k]
		}
	}
	if idle < need {
		return false
	}
	for _, v := range n.p.Victims(need, c.now, can) {
		if int(v) < 0 || int(v) >= len(n.resident) || !can(v) {
			panic(fmt.Sprintf("sim: policy %s chose victim %d, which a preload may not evict", n.p.Name(), v))
		}
		c.evict(n, int32(v))
	}
	return size <= n.free()
}

// makeRoom evicts the policy's victims at n until size bytes are free.
func (c *cluster) makeRoom(n *cnode, size int64) bool {
	need := size - n.free()
	if need <= 0 {
		return true
	}
	can := n.victimFilter(need, c.sizes)
	for _, v := range n.p.Victims(need, c.now, can) {
		if int(v) < 0 || int(v) >= len(n.resident) || !can(v) {
			panic(fmt.Sprintf("sim: policy %s chose victim %d, which is not an evictable resident model", n.p.Name(), v))
		}
		c.evict(n, int32(v))
	}
	return size <= n.free()
}

func (c *cluster) insert(n *cnode, k int32, ready time.Duration) {
	c.publish(n, c.now)
	n.setResident(k, true)
	n.readyAt[k], n.lastUse[k] = ready, c.now
	n.used += c.sizes[k]
	c.tally.held += c.sizes[k]
	n.p.OnInsert(c.entries[k], c.now)
	c.at[n.id][k] = int32(len(c.holders[k]))
	c.holders[k] = append(c.holders[k], int32(n.id))
}

func (c *cluster) evict(n *cnode, k int32) {
	c.publish(n, c.now)
	c.forgetCopy(n, k)
	n.setResident(k, false)
	n.used -= c.sizes[k]
	c.tally.held -= c.sizes[k]
	n.p.OnRemove(policy.Key(k))
	hs, i := c.holders[k], c.at[n.id][k]
	last := hs[len(hs)-1]
	hs[i] = last
	c.at[last][k] = i
	c.holders[k] = hs[:len(hs)-1]
	c.at[n.id][k] = -1
}
