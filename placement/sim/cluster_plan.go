package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// plan runs the hint planner for every region at t and applies its hints:
// each node weighs its hinted models in its policy (policy.Hinted) and
// preloads those that fit in its free memory, as DESIGN.md has nodes
// apply hints. The interval's request counts then restart. NoHints is
// not asked.
func (c *cluster) plan(t time.Duration) {
	defer func() {
		for _, n := range c.nodes {
			clear(n.requests)
		}
	}()
	if _, none := c.cfg.Planner.(NoHints); none {
		return
	}
	elsewhere := c.regionRates()
	for r, name := range c.topo.Regions {
		v := c.regionView(r, name, elsewhere)
		if len(v.Nodes) == 0 {
			continue
		}
		hinted := make(map[int][]int32, len(v.Nodes))
		for _, h := range c.cfg.Planner.Plan(t, v) {
			if h.Node >= 0 && h.Node < len(c.nodes) && c.topo.Sites[c.nodes[h.Node].site].Region == r {
				hinted[h.Node] = append(hinted[h.Node], h.Models...)
			}
		}
		for _, hn := range v.Nodes {
			c.applyHints(c.nodes[hn.Node], hinted[hn.Node])
		}
	}
}

// applyHints makes models n's hinted set.
func (c *cluster) applyHints(n *cnode, models []int32) {
	h, _ := n.p.(policy.Hinted)
	want := make([]bool, len(n.hinted))
	for _, k := range models {
		if k >= 0 && int(k) < len(want) {
			want[k] = true
		}
	}
	for k := range want {
		if want[k] != n.hinted[k] && h != nil {
			w := 0.0
			if want[k] {
				w = c.cfg.HintWeight
			}
			h.SetHint(policy.Key(k), w)
		}
		n.hinted[k] = want[k]
	}
	for _, k := range models {
		if k >= 0 && int(k) < len(want) {
			c.preload(n, k)
		}
	}
}

// regionView fills the planner's view of region r.
func (c *cluster) regionView(r int, name string, elsewhere [][]float64) *RegionView {
	v := &c.view
	v.Region, v.Models, v.Nodes = name, c.w.Models, v.Nodes[:0]
	v.Elsewhere = v.Elsewhere[:0]
	for k := range c.w.Models {
		sum := 0.0
		for o := range elsewhere {
			if o != r {
				sum += elsewhere[o][k]
			}
		}
		v.Elsewhere = append(v.Elsewhere, sum)
	}
	secs := c.cfg.HintInterval.Seconds()
	for _, n := range c.nodes {
		if c.topo.Sites[n.site].Region != r {
			continue
		}
		hn := HintNode{Node: n.id, Name: n.name, Site: c.topo.Sites[n.site].Name, BudgetBytes: n.budget,
			FreeBytes: n.free(), Rates: make([]float64, len(n.requests))}
		for k, cnt := range n.requests {
			hn.Rates[k] = float64(cnt) / secs
			if n.resident[k] {
				hn.Loaded = append(hn.Loaded, int32(k))
			}
		}
		v.Nodes = append(v.Nodes, hn)
	}
	return v
}

// regionRates are the requests/s per region and model over the interval.
func (c *cluster) regionRates() [][]float64 {
	out := make([][]float64, len(c.topo.Regions))
	for r := range out {
		out[r] = make([]float64, len(c.w.Models))
	}
	secs := c.cfg.HintInterval.Seconds()
	for _, n := range c.nodes {
		r := c.topo.Sites[n.site].Region
		for k, cnt := range n.requests {
			out[r][k] += float64(cnt) / secs
		}
	}
	return out
}
