package sim

import (
	"math"
	"time"

	"github.com/edgeserve/edgeserve/placement/route"
)

// nodeUnknownFetchRTT is the round trip the node assumes to a peer's
// source of bytes it is not known to hold (node/route.go: half its
// unknown RTT).
const nodeUnknownFetchRTT = 50 * time.Millisecond

// routed serves a request for k that reached n as the node does: a
// resident model is served here; otherwise placement/route ranks loading
// here against forwarding to the nearest peers that have it loaded or
// have room for it, fed as node/route.go feeds it (the load declined when
// it would evict a model in use), and the request runs at the first
// option. A forwarded request is served where it lands. The peers'
// queues, copies and free memory are read as they are now (gossip without
// delay).
func (c *cluster) routed(n *cnode, k int32) (time.Duration, Served) {
	if n.resident[k] {
		done, _ := c.here(n, k, c.now)
		return done, ServedHit
	}
	e := c.entries[k]
	n.now = c.now
	_, fetch := c.fetchFrom(n, k)
	local := route.Local{LoadTime: e.LoadCost, FetchTime: fetch, Queue: n.loadQueue(c.now),
		Run: c.w.Models[k].RunTime, NoRoom: n.budget >= 0 && e.SizeBytes > n.budget}
	local.Declined = !local.NoRoom && n.evictsHot(e.SizeBytes, c.cfg.HotWindow, c.sizes)
	bound := time.Duration(math.MaxInt64)
	if !local.Declined && !local.NoRoom {
		bound = local.Cost()
	}
	var peers []route.Peer
	if c.cfg.GossipDelay > 0 {
		peers = c.stalePeers(n, k, bound)
	} else {
		peers = c.peers(n, k, bound)
	}
	opts := route.ChooseInto(c.opts, local, peers)
	c.opts = opts
	if len(opts) == 0 || opts[0].Kind == route.Load || c.overCap(local, opts[0]) {
		done, _ := c.here(n, k, c.now)
		return done, ServedLoad
	}
	return c.forward(n, c.peerNamed(opts[0].Node), k), ServedForward
}

// overCap reports whether a declined load should be taken after all
// because the cheapest forward costs more than ClusterConfig.DeclineCap
// times it (a variant; off by default, as on the node).
func (c *cluster) overCap(local route.Local, first route.Option) bool {
	return local.Declined && c.cfg.DeclineCap > 0 && float64(first.Cost) > c.cfg.DeclineCap*float64(local.Cost())
}

// forward serves k at peer p for a request that reached n.
func (c *cluster) forward(n, p *cnode, k int32) time.Duration {
	rtt := c.topo.NodeRTT(n.id, p.id)
	// The demand counts the request once, at n where it arrived: a node
	// does not count a request a peer forwarded to it (node/stats.go).
	done, _ := c.here(p, k, c.now+rtt/2)
	c.tally.forward(n.site != p.site, c.topo.Sites[n.site].Region != c.topo.Sites[p.site].Region)
	return done + rtt - rtt/2
}

// peers describes for the router the peers that have k loaded and
// ready, and those that do not but have room for it: of each kind, the
// MaxPeers nearest, leaving out any that cannot be the cheapest option
// (its round trip plus the run, or plus load and run, already costs more
// than an option offered or than the local load, bound), since the
// replay takes only the first. The router ranks what it is offered by
// the cost model the node uses.
func (c *cluster) peers(n *cnode, k int32, bound time.Duration) []route.Peer {
	c.peerBuf, c.peerIdx = c.peerBuf[:0], c.peerIdx[:0]
	run, load := c.w.Models[k].RunTime, c.entries[k].LoadCost
	if hs := c.holders[k]; len(hs) <= c.cfg.MaxPeers {
		for _, m := range hs {
			if p := c.nodes[m]; int(m) != n.id && p.readyAt[k] <= c.now {
				bound = min(bound, c.addPeer(n, m, k, true, p.runWait(c.now)))
			}
		}
	} else {
		for i, found := 0, 0; i < len(c.nearest[n.id]) && found < c.cfg.MaxPeers; i++ {
			m := c.nearest[n.id][i]
			if c.topo.NodeRTT(n.id, int(m))+run > bound {
				break
			}
			if p := c.nodes[m]; p.resident[k] && p.readyAt[k] <= c.now {
				bound = min(bound, c.addPeer(n, m, k, true, p.runWait(c.now)))
				found++
			}
		}
	}
	for i, m := range c.nearest[n.id] {
		if i == c.cfg.MaxPeers || c.topo.NodeRTT(n.id, int(m))+load+run > bound {
			break
		}
		if p := c.nodes[m]; !p.resident[k] && c.sizes[k] <= p.free() {
			bound = min(bound, c.addPeer(n, m, k, false, p.runWait(c.now)))
		}
	}
	return c.peerBuf
}

// addPeer describes node m, whose wait for a run slot is wait, to the
// router as node/route.go's peerCosts does: a peer not known to store the
// bytes pays a fetch estimate. It returns the peer's cost as the router
// counts it.
func (c *cluster) addPeer(n *cnode, m, k int32, loaded bool, wait time.Duration) time.Duration {
	p := c.nodes[m]
	run := c.w.Models[k].RunTime
	rp := route.Peer{Name: p.name, RTT: c.topo.NodeRTT(n.id, int(m)), Loaded: loaded, Queue: runsAhead(wait, run),
		Run: run, LoadTime: c.entries[k].LoadCost, Room: !loaded}
	if !loaded && !p.disk[k] {
		rp.FetchTime = route.EstimateFetch(c.sizes[k], nodeUnknownFetchRTT, c.cfg.FetchBytesPerSecond)
	}
	c.peerBuf = append(c.peerBuf, rp)
	c.peerIdx = append(c.peerIdx, m)
	return rp.Cost()
}

// runsAhead is a wait for a run slot as the router counts a peer's queue:
// in runs of the model, rounded up. The router predicts a forward's wait
// as the peer's queue times the run (route.Peer.Cost); a node gossips the
// requests it has in flight (node/cluster.go), which on it share the
// processor. A replayed node runs RunSlots requests at once, so one in
// flight delays a new request only when every slot is taken: told the
// requests in flight, the router would predict waits the node does not
// have and send requests to a peer in another region rather than to an
// idle one next door.
func runsAhead(wait, run time.Duration) int {
	if wait <= 0 || run <= 0 {
		return 0
	}
	return int((wait + run - 1) / run)
}

// peerNamed is the candidate the router named.
func (c *cluster) peerNamed(name string) *cnode {
	for _, m := range c.peerIdx {
		if c.nodes[m].name == name {
			return c.nodes[m]
		}
	}
	panic("sim: the router chose a peer it was not offered: " + name)
}
