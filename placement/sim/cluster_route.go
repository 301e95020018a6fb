package sim

import (
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
	opts := route.Choose(local, c.peers(n, k))
	if len(opts) == 0 || opts[0].Kind == route.Load {
		done, _ := c.here(n, k, c.now)
		return done, ServedLoad
	}
	return c.forward(n, c.peerNamed(opts[0].Node), k), ServedForward
}

// forward serves k at peer p for a request that reached n.
func (c *cluster) forward(n, p *cnode, k int32) time.Duration {
	rtt := c.topo.NodeRTT(n.id, p.id)
	done, _ := c.here(p, k, c.now+rtt/2)
	c.tally.forward(n.site != p.site, c.topo.Sites[n.site].Region != c.topo.Sites[p.site].Region)
	return done + rtt - rtt/2
}

// peers describes for the router the MaxPeers nearest peers that have k
// loaded and ready, and the MaxPeers nearest that do not but have room
// for it.
func (c *cluster) peers(n *cnode, k int32) []route.Peer {
	c.peerBuf, c.peerIdx = c.peerBuf[:0], c.peerIdx[:0]
	ready := func(m int32) bool { p := c.nodes[m]; return p.resident[k] && p.readyAt[k] <= c.now }
	if hs := c.holders[k]; len(hs) > 2*c.cfg.MaxPeers {
		for _, m := range c.nearest[n.id] {
			if len(c.peerIdx) == c.cfg.MaxPeers {
				break
			}
			if ready(m) {
				c.addPeer(n, m, k, true)
			}
		}
	} else {
		for _, m := range hs {
			if int(m) != n.id && ready(m) {
				c.addPeer(n, m, k, true)
			}
		}
		c.keepNearest(n)
	}
	for i, m := range c.nearest[n.id] {
		if i == c.cfg.MaxPeers {
			break
		}
		if p := c.nodes[m]; !p.resident[k] && c.sizes[k] <= p.free() {
			c.addPeer(n, m, k, false)
		}
	}
	return c.peerBuf
}

// addPeer describes node m to the router as node/route.go's peerCosts
// does: a peer not known to store the bytes pays a fetch estimate.
func (c *cluster) addPeer(n *cnode, m, k int32, loaded bool) {
	p := c.nodes[m]
	rp := route.Peer{Name: p.name, RTT: c.topo.NodeRTT(n.id, int(m)), Loaded: loaded, Queue: p.queue(c.now),
		Run: c.w.Models[k].RunTime, LoadTime: c.entries[k].LoadCost, Room: !loaded}
	if !loaded && !p.disk[k] {
		rp.FetchTime = route.EstimateFetch(c.sizes[k], nodeUnknownFetchRTT, c.cfg.FetchBytesPerSecond)
	}
	c.peerBuf = append(c.peerBuf, rp)
	c.peerIdx = append(c.peerIdx, m)
}

// keepNearest trims the candidates to the MaxPeers nearest (ties by
// number).
func (c *cluster) keepNearest(n *cnode) {
	for len(c.peerIdx) > c.cfg.MaxPeers {
		far := 0
		for i := range c.peerIdx {
			if c.closer(n.id, int(c.peerIdx[far]), int(c.peerIdx[i])) {
				far = i
			}
		}
		last := len(c.peerIdx) - 1
		c.peerIdx[far], c.peerBuf[far] = c.peerIdx[last], c.peerBuf[last]
		c.peerIdx, c.peerBuf = c.peerIdx[:last], c.peerBuf[:last]
	}
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
