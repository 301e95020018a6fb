package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/edgeserve/edgeserve/store"
	"go.uber.org/zap"
)

// cluster is the node's membership: gossip, and what the node tells it.
type cluster struct {
	g     *gossip.Gossip
	rates *rates
	// stored is the stored set last gossiped and storedAt when it was
	// read from the store (the publish loop's own).
	stored   []string
	storedAt time.Time
	// kick asks the publish loop to gossip the node's state now (a request
	// load began or ended), so that a peer that misses the same model
	// forwards to this load rather than starting its own.
	kick chan struct{}
	mu   sync.Mutex // guards loads
	// loads counts the request loads in progress here by model, from the
	// route's decision on, before the cache lists the load.
	loads map[string]int
	// recent are the request rates here last gossiped (read-only once
	// set), for the router's decline rule (route.WorthEvicting).
	recent map[string]float64
}

// rateHere is key's request rate at this node as last gossiped (0 before
// any, or without a cluster).
func (n *Node) rateHere(key string) float64 {
	if n.cluster == nil {
		return 0
	}
	n.cluster.mu.Lock()
	defer n.cluster.mu.Unlock()
	return n.cluster.recent[key]
}

// requestLoad marks a request's load of key as begun, gossiping it at
// once; the returned func marks it ended. On a node without a cluster it
// does nothing.
func (n *Node) requestLoad(key string) (done func()) {
	done, _ = n.beginLoad(key, false)
	return done
}

// beginLoad is requestLoad; with onlyFirst it marks nothing and returns
// false when a load of key is marked already (a copy behind a forward
// that another miss started).
func (n *Node) beginLoad(key string, onlyFirst bool) (done func(), ok bool) {
	c := n.cluster
	if c == nil {
		return func() {}, true
	}
	c.mu.Lock()
	if onlyFirst && c.loads[key] > 0 {
		c.mu.Unlock()
		return nil, false
	}
	c.loads[key]++
	c.mu.Unlock()
	c.poke()
	return func() {
		c.mu.Lock()
		if c.loads[key]--; c.loads[key] <= 0 {
			delete(c.loads, key)
		}
		c.mu.Unlock()
		c.poke()
	}, true
}

// cheapToEvict says whether evicting a model here costs its next request
// here less than a load (its last load here took loadTime; 0: never
// measured): a live peer holds it nearer than that. A request's load
// evicts such models, and models idle for the preload limit, before the
// cluster's last copy of a model in use (cache.SetVictimPreference).
func cheapToEvict(g *gossip.Gossip) func(model string, loadTime time.Duration) bool {
	return func(model string, loadTime time.Duration) bool {
		rtt, ok := nearestRTT(g.Members(), func(m gossip.Member) bool { return m.Has(model) })
		return ok && (loadTime <= 0 || rtt < loadTime)
	}
}

// poke wakes the publish loop without waiting for it.
func (c *cluster) poke() {
	select {
	case c.kick <- struct{}{}:
	default: // a publication is due already
	}
}

// startCluster joins the cluster when the configuration asks for one. It
// runs after the listeners are bound, so that the service addresses the
// node publishes carry their real ports.
func (n *Node) startCluster(deps Deps) error {
	c := n.cfg.Cluster
	if !c.Enabled() {
		return nil
	}
	svc := Services{GRPCAddr: c.advertised(n.grpcLis.Addr()), HTTPAddr: c.advertised(n.httpLis.Addr())}
	svc.PeerAddr = svc.GRPCAddr // the peer service shares the gRPC port
	if c.TestNetemFile != "" {
		var err error
		if n.netem, err = newNetem(c.TestNetemFile, n.log.Named("netem")); err != nil {
			return err
		}
		n.log.Warn("test netem in force: gossip, Raft and peer links follow " + c.TestNetemFile)
		deps.GossipDelay, deps.PeerAddr = n.netem.delayFunc, n.netem.peerAddr
	}
	n.preloadIdle = cmp.Or(deps.PreloadIdle, preloadIdle)
	var gp atomic.Pointer[gossip.Gossip]
	if err := n.startGroup(deps, &gp); err != nil {
		return err
	}
	if n.group != nil {
		svc.RaftAddr = n.group.Addr()
	}
	gc, err := c.gossipConfig(svc)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if deps.GossipTune != nil {
		deps.GossipTune(&gc)
	}
	g, err := gossip.New(gc, gossip.Deps{Logger: n.log.Named("gossip"), Registerer: n.reg, Delay: deps.GossipDelay})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	gp.Store(g)
	n.cluster = &cluster{g: g, rates: newRates(c.RateHalfLife, time.Now()), kick: make(chan struct{}, 1), loads: map[string]int{}}
	n.closeOnFail = append(n.closeOnFail, func() { g.Shutdown() })
	n.cache.SetVictimPreference(cheapToEvict(g), n.preloadIdle)
	if n.peers, err = newPeers(n.cfg.Server, c.PeerCAFile); err != nil {
		return err
	}
	n.peers.rewrite = deps.PeerAddr
	return nil
}

// runCluster announces the stored models, then publishes the node's state
// every PublishInterval and follows the catalog, until ctx ends.
func (n *Node) runCluster(ctx context.Context) {
	if n.cluster == nil {
		return
	}
	if n.netem != nil {
		go n.netem.follow(ctx, 200*time.Millisecond)
	}
	if n.group != nil {
		n.bg.Go(func() { n.followHints(ctx) })
	}
	n.announceStored(ctx)
	events, cancel := n.cluster.g.Subscribe(256)
	defer cancel()
	t := time.NewTicker(n.cfg.Cluster.PublishInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.cluster.g.SetLocal(n.localState(ctx))
		case <-n.cluster.kick:
			n.cluster.g.SetLocal(n.localState(ctx))
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.Kind == gossip.ModelDeleted {
				n.deletedElsewhere(ctx, e.Model)
				n.forgetHints(ctx, e.Model)
			}
		}
	}
}

// announceStored puts every stored model in the catalog, stamped with its
// creation: a deletion the cluster made while this node was away wins,
// and the node then deletes its copy.
func (n *Node) announceStored(ctx context.Context) {
	recs, err := n.store.List(ctx)
	if err != nil {
		n.log.Warn("cluster: list stored models", zap.Error(err))
		return
	}
	for _, r := range recs {
		if !n.cluster.g.AnnounceModel(n.catalogRecord(ctx, r), r.CreatedAt) {
			if _, _, deleted, _ := n.cluster.g.Model(r.Name, r.Version); deleted {
				n.deletedElsewhere(ctx, r.Ref())
			}
		}
	}
}

// deletedElsewhere removes this node's copy of a model version another
// node deleted.
func (n *Node) deletedElsewhere(ctx context.Context, ref string) {
	name, version, err := splitRef(ref)
	if err != nil {
		return
	}
	n.cache.Unload(ref)
	if _, err := n.store.Delete(ctx, name, version); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			n.log.Warn("cluster: delete a model deleted elsewhere", zap.String("model", ref), zap.Error(err))
		}
		return
	}
	n.log.Info("cluster: model deleted elsewhere; local copy removed", zap.String("model", ref))
	n.collect(ctx)
}

// localState is what the node gossips about itself.
func (n *Node) localState(ctx context.Context) gossip.Local {
	mem := n.cache.Memory()
	l := gossip.Local{MemoryBudgetBytes: mem.BudgetBytes, MemoryHeadroomBytes: max(mem.BudgetBytes-mem.ChargedBytes, 0),
		QueueDepth: int(n.active.Load()), Rates: n.cluster.rates.update(n.stats.requests(), time.Now())}
	for _, m := range mem.Models {
		if m.State == "loaded" {
			l.Loaded = append(l.Loaded, m.Model)
		} else {
			l.LoadsInProgress++
			l.Loading = append(l.Loading, m.Model)
		}
	}
	n.cluster.mu.Lock()
	n.cluster.recent = l.Rates
	for key := range n.cluster.loads {
		if !slices.Contains(l.Loaded, key) { // else its lease is on the way to the request
			l.Loading = append(l.Loading, key) // SetLocal drops doubles
		}
	}
	n.cluster.mu.Unlock()
	if now := time.Now(); now.Sub(n.cluster.storedAt) >= storedRefresh { // not every tick: it reads the whole catalog
		if recs, err := n.store.List(ctx); err == nil {
			n.cluster.stored, n.cluster.storedAt = n.cluster.stored[:0:0], now
			for _, rec := range recs {
				n.cluster.stored = append(n.cluster.stored, rec.Ref())
			}
		} // else the last set stands until the store answers
	}
	l.Stored = n.cluster.stored
	l.Placement = n.placementView()
	r, _ := n.gpus.latest()
	for _, d := range r.GPUs {
		l.GPUs = append(l.GPUs, gossip.GPU{Index: d.Index, FreeBytes: d.MemoryFreeBytes, TotalBytes: d.MemoryTotalBytes})
	}
	return l
}

// leaveCluster says goodbye, so that peers mark the node left and stop
// counting on its models at once.
func (n *Node) leaveCluster() {
	if n.cluster == nil {
		return
	}
	if err := n.cluster.g.Leave(n.cfg.Cluster.LeaveTimeout); err != nil {
		n.log.Warn("cluster: leave", zap.Error(err))
	}
	n.peers.close()
}

// toCatalog is a stored record as the gossiped catalog carries it.
func toCatalog(r store.Record) *gossippb.ModelRecord {
	c := &gossippb.ModelRecord{Name: r.Name, Version: r.Version, Digest: r.Digest[:], SizeBytes: r.SizeBytes, Task: r.Task,
		Accuracy: r.Accuracy, Parameters: r.Parameters, Labels: r.Labels, CreatedUnixMs: r.CreatedAt.UnixMilli(),
		MaxBatchSize: int32(r.MaxBatchSize), Platform: r.Platform, Format: r.Format}
	for _, s := range r.Inputs {
		c.Inputs = append(c.Inputs, &gossippb.TensorSpec{Name: s.Name, Datatype: s.Datatype, Shape: s.Shape})
	}
	for _, s := range r.Outputs {
		c.Outputs = append(c.Outputs, &gossippb.TensorSpec{Name: s.Name, Datatype: s.Datatype, Shape: s.Shape})
	}
	return c
}

// name is the node's name in the cluster ("" on a cluster of one).
func (n *Node) name() string {
	if n.cluster == nil {
		return n.cfg.Cluster.Name
	}
	return n.cluster.g.Name()
}

// storedRefresh is how often the publish loop rereads which models the
// store holds: the set changes only with pushes, fetches and deletions.
const storedRefresh = time.Second
