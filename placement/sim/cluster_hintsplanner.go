package sim

import (
	"strconv"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
)

// HintsPlanner is placement/hints' planner, the one each region's Raft
// leader runs (hints.Plan), as a HintPlanner. A region's plan starts from
// that region's previous hints (its hysteresis), as the leader plans from
// the committed set. The input is what node/placement_group.go's
// planInput builds from gossip: per node its name, site, budget, free
// memory, gossiped rates and loaded models; per model its size, warm run
// time and load time; the rates of every other region as neighbours.
//
// Models whose region and neighbouring demand are both below the band
// under which the rules never hint (PlanConfig.Hysteresis times HotRate
// and NeighbourRate) are left out of the input, with their rates and
// loaded copies: that changes no hint (TestHintsPlannerSameAsPlan), and
// keeps a plan's cost to the models in demand rather than all.
type HintsPlanner struct {
	cfg hints.PlanConfig
	// prev is each region's last plan; passed where its demand went.
	prev   map[string]*hints.Set
	passed map[string]*hints.Passed
	// keys name the models for the planner ("m<index>"); byKey maps back.
	keys  []string
	byKey map[string]int32
	// Buffers reused from plan to plan.
	in     hints.Input
	nodes  []hints.Node
	region []float64
	wanted []bool // wanted[k]: model k is in the input
	nodeOf map[string]int
	at     map[int]int
	out    []NodeHints
}

// NewHintsPlanner is the planner with cfg's rules (start from
// hints.DefaultPlanConfig), without keep hints (KeepRate 0): the
// simulator does not tell the planner which models other regions hold,
// and leaves models no one asks for out of its input.
func NewHintsPlanner(cfg hints.PlanConfig) (*HintsPlanner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.KeepRate = 0
	return &HintsPlanner{cfg: cfg, prev: map[string]*hints.Set{}, passed: map[string]*hints.Passed{}, byKey: map[string]int32{},
		in:     hints.Input{Models: map[string]hints.Model{}, Neighbours: map[string]float64{}},
		nodeOf: map[string]int{}, at: map[int]int{}}, nil
}

// Config is the planner's rules.
func (p *HintsPlanner) Config() hints.PlanConfig { return p.cfg }

// Fresh is the same planner with no previous hints.
func (p *HintsPlanner) Fresh() HintPlanner {
	q, _ := NewHintsPlanner(p.cfg) // p.cfg was validated
	return q
}

// Previous is the region's last plan (nil before its first).
func (p *HintsPlanner) Previous(region string) *hints.Set { return p.prev[region] }

// Plan plans v's region from its previous hints and keeps the new ones.
func (p *HintsPlanner) Plan(now time.Duration, v *RegionView) []NodeHints {
	p.input(v)
	passed := p.passed[v.Region]
	if passed == nil {
		passed = hints.NewPassed()
		p.passed[v.Region] = passed
	}
	passed.Fill(p.cfg, SimTime(now), &p.in)
	set := hints.Plan(p.cfg, p.prev[v.Region], p.in)
	p.prev[v.Region] = set
	return p.nodeHints(set, v)
}

// SimTime is the wall-clock moment the planner's memory (hints.Passed)
// records for a simulated time.
func SimTime(now time.Duration) time.Time { return time.Unix(0, 0).Add(now) }

// input fills p.in from v.
func (p *HintsPlanner) input(v *RegionView) {
	p.name(len(v.Models))
	clear(p.in.Models)
	clear(p.in.Neighbours)
	p.region = zeroed(p.region, len(v.Models))
	for _, n := range v.Nodes {
		for _, r := range n.Rates {
			p.region[r.Model] += r.PerSecond
		}
	}
	for k, m := range v.Models {
		if p.wanted[k] = p.candidate(p.region[k], v.Elsewhere[k]); !p.wanted[k] {
			continue
		}
		key := p.keys[k]
		p.in.Models[key] = hints.Model{SizeBytes: m.SizeBytes, WarmRun: m.RunTime, FastLoad: m.LoadTime}
		if v.Elsewhere[k] > 0 {
			p.in.Neighbours[key] = v.Elsewhere[k]
		}
	}
	p.in.Nodes = p.in.Nodes[:0]
	for i, n := range v.Nodes {
		p.in.Nodes = append(p.in.Nodes, p.node(i, n))
	}
}

// candidate reports whether a model with these rates may be hinted. The
// margin covers the planner summing the region's rates in another order.
func (p *HintsPlanner) candidate(region, elsewhere float64) bool {
	band := p.cfg.Hysteresis * (1 - 1e-9)
	return region >= band*p.cfg.HotRate || (p.cfg.NeighbourRate > 0 && elsewhere >= band*p.cfg.NeighbourRate)
}

// node is the planner's view of n, in the i-th reused buffer.
func (p *HintsPlanner) node(i int, n HintNode) hints.Node {
	if i == len(p.nodes) {
		p.nodes = append(p.nodes, hints.Node{Rates: map[string]float64{}})
	}
	h := &p.nodes[i]
	h.Name, h.Site, h.BudgetBytes, h.FreeBytes = n.Name, n.Site, n.BudgetBytes, n.FreeBytes
	clear(h.Rates)
	for _, r := range n.Rates {
		if p.wanted[r.Model] {
			h.Rates[p.keys[r.Model]] = r.PerSecond
		}
	}
	h.Loaded = h.Loaded[:0]
	for _, k := range n.Loaded {
		if p.wanted[k] {
			h.Loaded = append(h.Loaded, p.keys[k])
		}
	}
	return *h
}

// name gives the models their keys.
func (p *HintsPlanner) name(models int) {
	if len(p.wanted) < models {
		p.wanted = make([]bool, models)
	}
	for k := len(p.keys); k < models; k++ {
		key := "m" + strconv.Itoa(k)
		p.keys = append(p.keys, key)
		p.byKey[key] = int32(k)
	}
}

// nodeHints turns set into hints per node of v.
func (p *HintsPlanner) nodeHints(set *hints.Set, v *RegionView) []NodeHints {
	clear(p.nodeOf)
	for _, n := range v.Nodes {
		p.nodeOf[n.Name] = n.Node
	}
	clear(p.at)
	for i := range p.out {
		p.out[i].Models = p.out[i].Models[:0]
	}
	used := 0
	for _, h := range set.Hints {
		k := p.byKey[h.Model]
		for _, name := range h.Nodes {
			node := p.nodeOf[name]
			i, ok := p.at[node]
			if !ok {
				if i = used; i == len(p.out) {
					p.out = append(p.out, NodeHints{})
				}
				p.at[node], p.out[i].Node = i, node
				used++
			}
			p.out[i].Models = append(p.out[i].Models, k)
		}
	}
	return p.out[:used]
}

// zeroed is buf resized to n zeros, reusing its memory.
func zeroed(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}
