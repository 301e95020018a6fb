package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/route"
)

// gossip is what a node's peers know of it when its state reaches them
// late (ClusterConfig.GossipDelay): its state at the last two gossip
// rounds. A round is every GossipDelay, and the state a round publishes
// is the node's state after the last change before it, so a node
// records a round lazily, before its next change (publish).
type gossip struct {
	cur, prev snapshot
	// gone is when each model's last copy here was evicted, and
	// goneReady when that copy had been ready.
	gone, goneReady []time.Duration
}

// snapshot is a node's state at a gossip round.
type snapshot struct {
	at   time.Duration // the round
	free int64         // free memory
	slot time.Duration // when its first run slot frees
}

func newGossip(models int, free int64, delay time.Duration) gossip {
	g := gossip{gone: make([]time.Duration, models), goneReady: make([]time.Duration, models)}
	g.cur = snapshot{free: free}
	g.prev = snapshot{at: -delay, free: free}
	for k := range g.gone {
		g.gone[k] = -1
	}
	return g
}

// publish records the rounds up to t at n, before n's state changes at
// t (or is read): no change since the last record means the state at
// every round since is the current one.
func (c *cluster) publish(n *cnode, t time.Duration) {
	d := c.cfg.GossipDelay
	if d <= 0 {
		return
	}
	round := t / d * d
	g := &n.gossip
	if round <= g.cur.at {
		return
	}
	now := snapshot{free: n.free(), slot: n.runFree[earliest(n.runFree)]}
	if round-d > g.cur.at {
		g.prev, g.prev.at = now, round-d
	} else {
		g.prev = g.cur
	}
	g.cur, g.cur.at = now, round
}

// seen is p's state as the router knows it now: the round one gossip
// delay before the last.
func (c *cluster) seen(p *cnode) snapshot {
	c.publish(p, c.now)
	return p.gossip.prev
}

// seenLoaded reports whether p was known to have k loaded at round b:
// ready by then and not evicted before it.
func (p *cnode) seenLoaded(k int32, b time.Duration) bool {
	if p.resident[k] && p.readyAt[k] <= b {
		return true
	}
	return p.gossip.gone[k] > b && p.gossip.goneReady[k] <= b
}

// forgetCopy records that k's copy at n goes at t.
func (c *cluster) forgetCopy(n *cnode, k int32) {
	if c.cfg.GossipDelay > 0 {
		n.gossip.gone[k], n.gossip.goneReady[k] = c.now, n.readyAt[k]
	}
}

// stalePeers is peers with gossip GossipDelay late: the MaxPeers nearest
// known to have k loaded at the round seen, and those known to have room
// for it, leaving out as peers does any that cannot be the cheapest.
func (c *cluster) stalePeers(n *cnode, k int32, bound time.Duration) []route.Peer {
	c.peerBuf, c.peerIdx = c.peerBuf[:0], c.peerIdx[:0]
	run, load := c.w.Models[k].RunTime, c.entries[k].LoadCost
	for i, found := 0, 0; i < len(c.nearest[n.id]) && found < c.cfg.MaxPeers; i++ {
		m := c.nearest[n.id][i]
		if c.topo.NodeRTT(n.id, int(m))+run > bound {
			break
		}
		p := c.nodes[m]
		if s := c.seen(p); p.seenLoaded(k, s.at) {
			bound = min(bound, c.addPeer(n, m, k, true, max(0, s.slot-s.at)))
			found++
		}
	}
	for i, m := range c.nearest[n.id] {
		if i == c.cfg.MaxPeers || c.topo.NodeRTT(n.id, int(m))+load+run > bound {
			break
		}
		p := c.nodes[m]
		if s := c.seen(p); !p.seenLoaded(k, s.at) && c.sizes[k] <= s.free {
			bound = min(bound, c.addPeer(n, m, k, false, max(0, s.slot-s.at)))
		}
	}
	return c.peerBuf
}
