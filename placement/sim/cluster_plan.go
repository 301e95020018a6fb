package sim

import (
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// plan runs the hint planner for every region at t and applies its hints
// as node/placement_group.go's followHints does: a newly hinted model
// gets the policy weight HintWeight (policy.Hinted), a withdrawn one
// weight 0, the node evicts hinted models last (makeRoom), and it
// preloads the hinted models it lacks, one after another, each into free
// memory or in the place of cold models that are not hinted; with a HintCommitDelay, the nodes do so that
// much later (applyAll). First every node's interval of requests is
// folded into the rates it gossips.
func (c *cluster) plan(t time.Duration) {
	for _, n := range c.nodes {
		n.demand.fold(c.cfg.HintInterval, c.cfg.RateHalfLife)
	}
	c.sumRegionRates()
	for r, name := range c.topo.Regions {
		v := c.regionView(r, name)
		if len(v.Nodes) == 0 {
			continue
		}
		for _, hn := range v.Nodes {
			c.nodes[hn.Node].next = c.nodes[hn.Node].next[:0]
		}
		for _, h := range c.planner.Plan(t, v) {
			if h.Node < 0 || h.Node >= len(c.nodes) || c.topo.Sites[c.nodes[h.Node].site].Region != r {
				continue
			}
			n := c.nodes[h.Node]
			for _, k := range h.Models {
				if k >= 0 && int(k) < len(c.entries) {
					n.next = append(n.next, k)
				}
			}
		}
		if c.cfg.HintCommitDelay == 0 {
			for _, hn := range v.Nodes {
				c.applyHints(c.nodes[hn.Node])
			}
		}
	}
	if c.cfg.HintCommitDelay > 0 {
		c.applyAt = t + c.cfg.HintCommitDelay
	}
}

// applyAll makes every node follow the last plan's hints, a commit delay
// after the plan.
func (c *cluster) applyAll() {
	for _, n := range c.nodes {
		c.applyHints(n)
	}
}

// applyHints makes n.next n's hinted set and preloads what fits.
func (c *cluster) applyHints(n *cnode) {
	slices.Sort(n.next)
	n.next = slices.Compact(n.next)
	h, _ := n.p.(policy.Hinted)
	for _, k := range n.next {
		c.mark[k] = true
	}
	for _, k := range n.hints {
		if !c.mark[k] {
			n.hinted[k] = false
			if h != nil {
				h.SetHint(policy.Key(k), 0)
			}
		}
	}
	for _, k := range n.next {
		c.mark[k] = false
		if !n.hinted[k] {
			n.hinted[k] = true
			if h != nil {
				h.SetHint(policy.Key(k), c.cfg.HintWeight)
			}
		}
	}
	n.hints, n.next = n.next, n.hints
	for _, k := range n.hints {
		c.preload(n, k)
	}
}

// sumRegionRates sums the gossiped rates per region and model.
func (c *cluster) sumRegionRates() {
	if c.regionRate == nil {
		c.regionRate = make([][]float64, len(c.topo.Regions))
	}
	for r := range c.regionRate {
		c.regionRate[r] = zeroed(c.regionRate[r], len(c.entries))
	}
	c.totalRate = zeroed(c.totalRate, len(c.entries))
	for _, n := range c.nodes {
		own := c.regionRate[c.topo.Sites[n.site].Region]
		for _, k := range n.demand.active {
			own[k] += n.demand.gossiped(k)
			c.totalRate[k] += n.demand.gossiped(k)
		}
	}
}

// regionView fills the planner's view of region r.
func (c *cluster) regionView(r int, name string) *RegionView {
	v := &c.view
	v.Region, v.Models = name, c.w.Models
	v.Elsewhere = zeroed(v.Elsewhere, len(c.entries))
	for k, total := range c.totalRate {
		if e := total - c.regionRate[r][k]; e > gossipRateFloor/2 { // not a rounding error
			v.Elsewhere[k] = e
		}
	}
	v.Nodes = v.Nodes[:0]
	for _, n := range c.nodes {
		if c.topo.Sites[n.site].Region != r {
			continue
		}
		if len(v.Nodes) < cap(v.Nodes) {
			v.Nodes = v.Nodes[:len(v.Nodes)+1]
		} else {
			v.Nodes = append(v.Nodes, HintNode{})
		}
		c.describe(n, &v.Nodes[len(v.Nodes)-1])
	}
	return v
}

// describe fills hn with what n gossips, reusing hn's slices.
func (c *cluster) describe(n *cnode, hn *HintNode) {
	hn.Node, hn.Name, hn.Site = n.id, n.name, c.topo.Sites[n.site].Name
	hn.BudgetBytes, hn.FreeBytes = n.budget, n.free()
	hn.Rates, hn.Loaded = hn.Rates[:0], hn.Loaded[:0]
	for _, k := range n.demand.active {
		hn.Rates = append(hn.Rates, ModelRate{Model: k, PerSecond: n.demand.gossiped(k)})
	}
	for _, k := range n.residents {
		if n.readyAt[k] <= c.now {
			hn.Loaded = append(hn.Loaded, k)
		}
	}
}
