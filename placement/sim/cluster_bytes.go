package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/route"
)

// buildNearest orders, for every node, the other nodes by round trip
// (ties by number).
func (c *cluster) buildNearest() {
	n := len(c.nodes)
	c.nearest = make([][]int32, n)
	for a := range n {
		order := make([]int32, 0, n-1)
		for b := range n {
			if b != a {
				order = append(order, int32(b))
			}
		}
		slices.SortStableFunc(order, func(x, y int32) int {
			return cmp.Compare(c.topo.NodeRTT(a, int(x)), c.topo.NodeRTT(a, int(y)))
		})
		c.nearest[a] = order
	}
}

// placeBytes stores each model's bytes on Replicas nodes: a node drawn
// with the seed, then nodes of the following sites in turn.
func (c *cluster) placeBytes() {
	rng := rand.New(rand.NewPCG(c.cfg.Seed, 0xb10b))
	per := c.topo.NodesPerSite
	for k := range c.w.Models {
		first := rng.IntN(len(c.nodes))
		for r := range min(c.cfg.Replicas, len(c.nodes)) {
			id := (first + r*per) % len(c.nodes)
			if r >= len(c.topo.Sites) { // more replicas than sites: next nodes of the sites
				id = (first + r*per + r/len(c.topo.Sites)) % len(c.nodes)
			}
			c.store(c.nodes[id], int32(k))
		}
	}
}

func (c *cluster) store(n *cnode, k int32) {
	if !n.disk[k] {
		n.disk[k] = true
		c.stores[k] = append(c.stores[k], int32(n.id))
	}
}

// fetch moves k's bytes to n from the nearest node that stores them when
// n does not, and returns how long that takes.
func (c *cluster) fetch(n *cnode, k int32) time.Duration {
	if n.disk[k] {
		return 0
	}
	from, d := c.fetchFrom(n, k)
	if from >= 0 && c.topo.NodeSite(from) != n.site {
		c.tally.moved(c.sizes[k])
	}
	c.store(n, k)
	return d
}

// fetchFrom is the nearest node storing k's bytes and the transfer time
// from it (route.EstimateFetch); -1 and 0 when n stores them. A model's
// stores only grow, so n keeps the nearest it has seen and looks only at
// the stores added since.
func (c *cluster) fetchFrom(n *cnode, k int32) (int, time.Duration) {
	if n.disk[k] {
		return -1, 0
	}
	src := &n.src[k]
	if seen := int(src.seen); seen < len(c.stores[k]) {
		for _, m := range c.stores[k][seen:] {
			if int(m) != n.id && (src.from < 0 || c.closer(n.id, int(m), int(src.from))) {
				src.from = m
			}
		}
		src.seen = int32(len(c.stores[k]))
		if src.from >= 0 {
			src.fetch = route.EstimateFetch(c.sizes[k], c.topo.NodeRTT(n.id, int(src.from)), c.cfg.FetchBytesPerSecond)
		}
	}
	if src.from < 0 {
		return -1, 0 // not reached: every model is stored somewhere
	}
	return int(src.from), src.fetch
}

// closer reports whether a is nearer n than b (ties by number).
func (c *cluster) closer(n, a, b int) bool {
	ra, rb := c.topo.NodeRTT(n, a), c.topo.NodeRTT(n, b)
	return ra < rb || (ra == rb && a < b)
}
