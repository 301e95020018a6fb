package sim

import "time"

// mesh serves a request for k that reached n as ModelMesh would: here when
// n has a copy; else at the copy with the shortest queue anywhere, adding a
// copy on the node with the most free memory when every copy is busy; else
// loaded on the node with the most free memory (n when none has room).
// Round trips are paid but never weighed.
func (c *cluster) mesh(n *cnode, k int32) (time.Duration, Served) {
	if n.resident[k] {
		done, _ := c.here(n, k, c.now)
		return done, ServedHit
	}
	best, q := -1, 0
	for _, m := range c.holders[k] {
		if mq := c.nodes[m].queue(c.now); best < 0 || mq < q || (mq == q && int(m) < best) {
			best, q = int(m), mq
		}
	}
	if best < 0 {
		p := c.meshPlace(n, k)
		if p == n {
			done, _ := c.here(n, k, c.now)
			return done, ServedLoad
		}
		return c.forward(n, p, k), ServedForward
	}
	if q >= c.cfg.MeshCopyQueue && len(c.holders[k]) < len(c.nodes) {
		c.meshCopy(n, k)
	}
	return c.forward(n, c.nodes[best], k), ServedForward
}

// meshPlace is the node without k with the most free memory (ties: n,
// then by number) when the model fits there, else n.
func (c *cluster) meshPlace(n *cnode, k int32) *cnode {
	best := n
	for _, m := range c.nodes {
		if !m.resident[k] && m.free() > best.free() {
			best = m
		}
	}
	if c.sizes[k] > best.free() {
		return n
	}
	return best
}

// meshCopy starts another copy of k on the node meshPlace picks, evicting
// there as its policy says when it must.
func (c *cluster) meshCopy(n *cnode, k int32) {
	p := c.meshPlace(n, k)
	if p.resident[k] {
		return
	}
	e := c.entries[k]
	p.now = c.now
	if e.SizeBytes > p.budget || !c.makeRoom(p, e.SizeBytes) {
		return
	}
	c.insert(p, k, p.startLoad(c.now, c.fetch(p, k)+e.LoadCost))
	c.tally.preload()
}
