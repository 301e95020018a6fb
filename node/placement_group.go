package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/netaddr"
	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
	"github.com/edgeserve/edgeserve/placement/route"
	"github.com/edgeserve/edgeserve/store"
)

// The nodes of a region form one Raft group (placement/raftgroup) whose
// leader turns the region's gossiped demand into placement hints: which
// models each node keeps loaded. This file feeds the group from gossip and
// the catalog, and follows the hints: a hinted model is preloaded into
// free memory or in the place of a cold model that is not hinted, and is
// evicted last (cache.SetHint); a hint withdrawn
// makes the model an ordinary one again. Losing the region's quorum stops
// new hints; the node keeps following the last ones and keeps serving.

// defaultRaftPort is the Raft port when --raft-addr is not given: the
// gossip host's, on this port.
const defaultRaftPort = "8300"

// hintWeight is the policy weight of a hinted model (policy.Hinted: its
// expected savings count double).
const hintWeight = 1

// hintRetry is how often the node retries preloading hinted models it
// does not hold (room may have appeared).
const hintRetry = 2 * time.Second

// preloadIdle: a hinted model's preload may evict a model that is not
// hinted and has not been used for this long (route.DefaultHotWindow, the time
// within which a request's load declines to evict a model), or for
// preloadGaps of the hinted copy's expected gaps between requests when
// that is shorter, but never one used within minPreloadIdle.
const (
	preloadIdle    = route.DefaultHotWindow
	preloadGaps    = 10
	minPreloadIdle = time.Second
)

// preloadIdleFor is how long a model must have been unused for the
// preload of a hinted copy that expects ratePerCopy requests/s to take
// its place: a model idle for preloadGaps of the copy's expected gaps is
// asked for about preloadGaps times less often, so the swap saves more
// loads and forwards than it costs. Within [minPreloadIdle, limit];
// limit when the rate is unknown.
func preloadIdleFor(ratePerCopy float64, limit time.Duration) time.Duration {
	if !(ratePerCopy > 0) {
		return limit
	}
	d := time.Duration(min(preloadGaps/ratePerCopy, limit.Seconds()) * float64(time.Second))
	return min(max(d, minPreloadIdle), limit)
}

// preloadRule is what a hinted preload that expects ratePerCopy
// requests/s may evict (cache.AcquireOptions' eviction rule): a model not
// hinted and unused for preloadIdleFor, or, when no other node holds it
// loaded (gossip), unused for the preload limit. A preload that evicts a
// copy held elsewhere turns that model's next request here into a
// forward; one that evicts the cluster's last copy turns it into a load,
// so the last copy goes only under a request load's own rule
// (route.DefaultHotWindow).
func (n *Node) preloadRule(ratePerCopy float64) cache.AcquireOptions {
	return cache.AcquireOptions{EvictIdleFor: preloadIdleFor(ratePerCopy, n.preloadIdle), EvictSoleIdleFor: n.preloadIdle,
		HeldElsewhere: n.heldElsewhere()}
}

// heldElsewhere is cache.AcquireOptions.HeldElsewhere from gossip: another
// live node holds the model loaded. nil without a cluster (every model
// counts as held elsewhere).
func (n *Node) heldElsewhere() func(model string) bool {
	if n.cluster == nil {
		return nil
	}
	g := n.cluster.g
	return func(model string) bool { return len(g.Holders(model)) > 0 }
}

// handoverTimeout bounds the hand-over at shutdown.
const handoverTimeout = 10 * time.Second

// raftAddrs are where the region's Raft group listens and is reached:
// RaftAddr, else the gossip host on port 8300 (port 0 when gossip's is 0,
// as in tests). An unspecified host is advertised as the gossip
// advertise address's host.
func (c ClusterConfig) raftAddrs() (bind, advertise string, err error) {
	bind = c.RaftAddr
	if bind == "" {
		host, port, err := net.SplitHostPort(c.GossipAddr)
		if err != nil {
			return "", "", fmt.Errorf("cluster: gossip address %q: %w", c.GossipAddr, err)
		}
		if port != "0" {
			port = defaultRaftPort
		}
		bind = net.JoinHostPort(host, port)
	}
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return "", "", fmt.Errorf("cluster: raft_addr %q: %w", bind, err)
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return bind, "", nil
	}
	if h := c.advertiseHost(); h != "" {
		return bind, net.JoinHostPort(h, port), nil
	}
	return "", "", fmt.Errorf("cluster: raft listens on %q, an address others cannot dial: give --raft-addr HOST:PORT or --advertise-addr", bind)
}

// raftTLS are the Raft port's TLS settings: mutual TLS with the node's
// certificate when it has one and a client CA (nil, nil: plain TCP).
func (c ServerConfig) raftTLS() (server, client *tls.Config, err error) {
	srv, err := c.serverTLS()
	if err != nil || srv == nil || srv.ClientCAs == nil {
		return nil, nil, err
	}
	return srv, &tls.Config{Certificates: srv.Certificates, RootCAs: srv.ClientCAs, MinVersion: tls.VersionTLS12}, nil
}

// startGroup opens the region's Raft group (before gossip starts, so that
// gossip can publish its address). gp is set once gossip runs; until then
// the group sees no members.
func (n *Node) startGroup(deps Deps, gp *atomic.Pointer[gossip.Gossip]) error {
	c := n.cfg.Cluster
	if c.Region == "" {
		return nil
	}
	rc := raftgroup.DefaultConfig()
	rc.Name, rc.Region, rc.DataDir = c.Name, c.Region, filepath.Join(n.cfg.DataDir, "raft")
	rc.BootstrapExpect = c.BootstrapExpect
	if c.PlanInterval > 0 {
		rc.PlanInterval = c.PlanInterval
	}
	var err error
	if rc.BindAddr, rc.AdvertiseAddr, err = c.raftAddrs(); err != nil {
		return err
	}
	if deps.RaftTune != nil {
		deps.RaftTune(&rc)
	}
	srvTLS, cliTLS, err := n.cfg.Server.raftTLS()
	if err != nil {
		return err
	}
	g, err := raftgroup.New(rc, raftgroup.Deps{
		Discovery: raftgroup.DiscoveryFunc(func() []raftgroup.Member { return regionMembers(gp.Load(), c.Region) }),
		Source:    raftgroup.SourceFunc(func() hints.Input { return n.planInput(gp.Load()) }),
		Logger:    n.log.Named("raft"), Registerer: n.reg, ServerTLS: srvTLS, ClientTLS: cliTLS, Network: n.raftNet(),
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.group = g
	n.noDemandPreload = deps.NoDemandPreload
	n.closeOnFail = append(n.closeOnFail, func() { g.Close() })
	return nil
}

// regionMembers are the members of region with a Raft address, as Raft
// formation and membership see them.
func regionMembers(g *gossip.Gossip, region string) []raftgroup.Member {
	if g == nil {
		return nil
	}
	var out []raftgroup.Member
	for _, m := range g.Members() {
		if m.Region != region || m.Services.RaftAddr == "" {
			continue
		}
		h := raftgroup.Failed
		switch m.Health {
		case gossip.Alive, gossip.Suspect:
			h = raftgroup.Alive
		case gossip.Left:
			h = raftgroup.Left
		}
		out = append(out, raftgroup.Member{Name: m.Name, RaftAddr: m.Services.RaftAddr, Health: h, Since: m.Since})
	}
	return out
}

// planInput is what the region's leader plans from: the live members of
// the region (their demand, budget, headroom, loaded models), the facts
// of every catalog model, and the demand in other regions.
func (n *Node) planInput(g *gossip.Gossip) hints.Input {
	if g == nil {
		return hints.Input{Models: map[string]hints.Model{}}
	}
	in := regionInput(n.cfg.Cluster.Region, g.Members())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	local, err := n.records(ctx, "")
	if err != nil {
		n.log.Warn("placement: list models for the plan", zap.Error(err))
	}
	add := func(r store.Record) {
		facts, _ := n.cache.Facts(r.Ref())
		m := hints.Model{SizeBytes: n.sizeHint(r), WarmRun: n.runTime(r), FastLoad: facts.LoadTime} // a prior run time until measured
		if facts.MeasuredBytes > 0 {
			m.SizeBytes = facts.MeasuredBytes
		}
		in.Models[r.Ref()] = m
	}
	for _, r := range local {
		add(r)
	}
	for _, c := range n.remoteRecords("", "", local) {
		add(fromCatalog(c))
	}
	return in
}

// regionInput is what gossip tells the planner of region: its live
// members' demand and capacity, and of the other regions their demand and
// the models they hold (HeldNextDoor; KeptNextDoor those held in a named
// region whose name sorts first). Suspect members count as live.
func regionInput(region string, members []gossip.Member) hints.Input {
	in := hints.Input{Models: map[string]hints.Model{}}
	for _, m := range members {
		if (m.Health != gossip.Alive && m.Health != gossip.Suspect) || m.State == nil {
			continue
		}
		if m.Region != region {
			for _, r := range m.State.Rates {
				if in.Neighbours == nil {
					in.Neighbours = map[string]float64{}
				}
				in.Neighbours[r.Model] += r.PerSecond
			}
			for _, l := range m.State.Loaded {
				if in.HeldNextDoor == nil {
					in.HeldNextDoor, in.KeptNextDoor = map[string]bool{}, map[string]bool{}
				}
				in.HeldNextDoor[l] = true
				if m.Region != "" && m.Region < region { // a node of no region plans nothing
					in.KeptNextDoor[l] = true
				}
			}
			continue
		}
		node := hints.Node{Name: m.Name, Site: m.Site, BudgetBytes: m.State.MemoryBudgetBytes,
			FreeBytes: m.State.MemoryHeadroomBytes, Loaded: m.State.Loaded, Rates: map[string]float64{}}
		for _, r := range m.State.Rates {
			node.Rates[r.Model] = r.PerSecond
		}
		in.Nodes = append(in.Nodes, node)
	}
	return in
}

// followHints applies each hint set the group agrees on, and retries the
// preloads it could not make, until ctx ends.
func (n *Node) followHints(ctx context.Context) {
	sets, cancel := n.group.Subscribe()
	defer cancel()
	t := time.NewTicker(hintRetry)
	defer t.Stop()
	mine := map[string]hinted{} // hinted here: what its preload may evict
	for {
		select {
		case <-ctx.Done():
			return
		case set, ok := <-sets:
			if !ok {
				return
			}
			next := map[string]hinted{}
			for _, m := range set.ForNode(n.cfg.Cluster.Name) {
				h, _ := set.Hint(m)
				noPreload := h.Reason == hints.Keep || (h.Reason == hints.Demand && n.noDemandPreload)
				next[m] = hinted{rule: n.preloadRule(set.RatePerCopy(m)), noPreload: noPreload}
				if _, had := mine[m]; !had {
					n.cache.SetHint(m, hintWeight)
				}
			}
			for m := range mine {
				if _, keep := next[m]; !keep {
					n.cache.SetHint(m, 0)
				}
			}
			mine = next
			n.preloadHinted(ctx, mine)
		case <-t.C:
			n.preloadHinted(ctx, mine)
		}
	}
}

// hinted is a model hinted to this node: what its preload may evict, and
// whether the hint only keeps a copy where it is and loads none (a keep
// hint; a demand hint under Deps.NoDemandPreload).
type hinted struct {
	rule      cache.AcquireOptions
	noPreload bool
}

// preloadHinted loads the hinted models that are not loaded here, one at
// a time, into free memory or in the place of models the model's
// preloadRule lets go (a request's load may evict any idle model; a
// preload takes only cold ones, so that a hint never costs the models in
// use their place, nor the cluster a recently used model's last copy).
func (n *Node) preloadHinted(ctx context.Context, mine map[string]hinted) {
	for m, h := range mine {
		if ctx.Err() != nil || n.draining.Load() {
			return
		}
		if h.noPreload || n.cache.Resident(m) {
			continue
		}
		name, version, err := splitRef(m)
		if err != nil {
			continue
		}
		rec, err := n.resolve(ctx, name, strconv.FormatInt(version, 10))
		if err != nil {
			continue // deleted: the next plan drops its hint
		}
		lctx, cancel := context.WithTimeout(ctx, n.cfg.Server.RequestTimeout)
		rule := h.rule
		rule.SizeHintBytes = n.sizeHint(rec)
		err = n.cache.Preload(lctx, m, rule)
		cancel()
		switch {
		case errors.Is(err, cache.ErrDeclined):
			continue // no cold model to take the place of: retried later
		case err != nil:
			n.log.Info("placement: preload of a hinted model failed", zap.String("model", m), zap.Error(err))
			continue
		}
		n.metrics.preloaded()
	}
}

// hintedOnlyAt reports whether the region's hints keep model on peer and
// not here. A slow forward to such a peer is not hedged by a load here:
// the hinted copy is the region's place for the model, and a second copy
// would evict a model the hints leave to this node's cache.
func (n *Node) hintedOnlyAt(model, peer string) bool {
	if n.group == nil {
		return false
	}
	h, ok := n.group.Hints().Hint(model)
	return ok && h.Has(peer) && !h.Has(n.cfg.Cluster.Name)
}

// placementView is this node's view of its region's group, for gossip.
func (n *Node) placementView() *gossip.Placement {
	if n.group == nil {
		return nil
	}
	leader, term := n.group.Leadership()
	set := n.group.Hints()
	mine := set.ForNode(n.cfg.Cluster.Name)
	p := &gossip.Placement{Leader: leader, Term: term, Generation: set.Generation, Hinted: len(mine)}
	for _, m := range mine {
		if n.cache.Resident(m) {
			p.Following++
		}
	}
	return p
}

// forgetHints drops a deleted model's hints (the leader acts; on the
// others ForgetModel answers ErrNotLeader, and the leader's next plan
// drops the model anyway).
func (n *Node) forgetHints(ctx context.Context, ref string) {
	if n.group == nil {
		return
	}
	n.cache.SetHint(ref, 0)
	if err := n.group.ForgetModel(ctx, ref); err != nil && !errors.Is(err, raftgroup.ErrNotLeader) {
		n.log.Info("placement: drop the hints of a deleted model", zap.String("model", ref), zap.Error(err))
	}
}

// handOver asks the region's leader to move this node's hinted copies
// elsewhere and take it out of the group, before the node stops.
func (n *Node) handOver() {
	if n.group == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), handoverTimeout)
	defer cancel()
	if err := n.group.Handover(ctx); err != nil {
		n.log.Warn("placement: hand-over incomplete; the leader removes this node when gossip says it left", zap.Error(err))
		return
	}
	n.log.Info("placement: hinted copies handed over")
}

// PlacementStatus is the placement as this node sees it.
func (s adminServer) PlacementStatus(context.Context, *adminpb.PlacementStatusRequest) (*adminpb.PlacementStatusResponse, error) {
	return s.n.placementStatus(), nil
}

func (n *Node) placementStatus() *adminpb.PlacementStatusResponse {
	resp := &adminpb.PlacementStatusResponse{Node: n.cfg.Cluster.Name, Region: n.cfg.Cluster.Region}
	if n.group == nil {
		return resp
	}
	st := n.group.Status()
	resp.Enabled, resp.State, resp.Leader, resp.Term = true, st.State, st.Leader, st.Term
	resp.Generation = st.Hints.Generation
	for _, s := range st.Servers {
		resp.Servers = append(resp.Servers, &adminpb.PlacementServer{Name: s.Name, Addr: s.Addr, Voter: s.Voter})
	}
	rates := map[string]float64{}
	for _, d := range st.Hints.Demand {
		rates[d.Model] = d.PerSecond
	}
	for _, h := range st.Hints.Hints {
		resp.Hints = append(resp.Hints, &adminpb.PlacementHint{Model: h.Model, Copies: int32(h.Copies), Nodes: h.Nodes,
			Reason: h.Reason.String(), Rate: rates[h.Model]})
	}
	for _, f := range st.Follow {
		resp.Follow = append(resp.Follow, &adminpb.PlacementFollow{Node: f.Node, Hinted: f.Hinted, Missing: f.Missing})
	}
	resp.Regions = regionPlacements(n.cluster.g.Members())
	return resp
}

// regionPlacements summarise, per region, what its live members gossip of
// their group: the leader of the highest term, the newest generation, and
// how many hinted copies they hold.
func regionPlacements(members []gossip.Member) []*adminpb.RegionPlacement {
	by := map[string]*adminpb.RegionPlacement{}
	var names []string
	for _, m := range members {
		if (m.Health != gossip.Alive && m.Health != gossip.Suspect) || m.State == nil || m.State.Placement == nil {
			continue
		}
		r := by[m.Region]
		if r == nil {
			r = &adminpb.RegionPlacement{Region: m.Region}
			by[m.Region] = r
			names = append(names, m.Region)
		}
		p := m.State.Placement
		if p.Term > r.Term || (p.Term == r.Term && r.Leader == "") {
			r.Term, r.Leader = p.Term, p.Leader
		}
		r.Generation = max(r.Generation, p.Generation)
		r.Nodes++
		r.Hinted += int32(p.Hinted)
		r.Following += int32(p.Following)
	}
	slices.Sort(names)
	out := make([]*adminpb.RegionPlacement, len(names))
	for i, name := range names {
		out[i] = by[name]
	}
	return out
}

// raftNet is the Raft group's network: the netem file's when the node
// has one (a cut partitions Raft as well as gossip), else plain TCP.
func (n *Node) raftNet() raftgroup.Network {
	if n.netem == nil {
		return raftgroup.TCP{}
	}
	return n.netem.raftNetwork()
}

// validateRaftTLS: a region's Raft group beyond loopback needs mutual TLS
// (a certificate and a client CA), unless InsecureCluster.
func (c Config) validateRaftTLS() error {
	cl := c.Cluster
	if !cl.Enabled() || cl.Region == "" || cl.InsecureCluster || (c.Server.TLSCertFile != "" && c.Server.TLSClientCAFile != "") {
		return nil
	}
	bind, advertise, err := cl.raftAddrs()
	if err != nil {
		return err
	}
	if netaddr.IsLoopback(bind) || (advertise != "" && netaddr.IsLoopback(advertise)) {
		return nil
	}
	return errors.New("cluster: Raft beyond loopback needs mutual TLS (--tls-cert, --tls-key, --tls-client-ca), or --insecure-cluster on a trusted network")
}
