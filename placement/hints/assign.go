package hints

import (
	"cmp"
	"slices"
)

// placement is the planner's running tally of where copies go: a slot
// per node, by its index in nodes.
type placement struct {
	nodes []Node
	// room is each node's bytes of HintShare*budget not yet hinted.
	room []int64
	// flags marks, per slot, what holds for the want being placed
	// (prevHinted, hasLoaded, holds); clear between wants.
	flags []uint8
}

// The flags of a slot for one want.
const (
	prevHinted uint8 = 1 << iota // hinted the model before
	hasLoaded                    // has the model loaded
	holds                        // placed a copy of it in this plan
)

// newPlacement records, per want, the slots it was hinted to before and
// those that have it loaded, so that placing a copy looks up no name.
// nodes are sorted by name.
func newPlacement(cfg PlanConfig, nodes []Node, wants []*want) *placement {
	p := &placement{nodes: nodes, room: make([]int64, len(nodes)), flags: make([]uint8, len(nodes))}
	for i, n := range nodes {
		p.room[i] = int64(float64(n.BudgetBytes) * cfg.HintShare)
	}
	byModel := make(map[string]*want, len(wants))
	for _, w := range wants {
		byModel[w.model] = w
		for _, name := range w.prev.Nodes {
			if !w.prev.Has(name) {
				continue
			}
			i, _ := slices.BinarySearchFunc(nodes, name, func(n Node, name string) int { return cmp.Compare(n.Name, name) })
			for ; i < len(nodes) && nodes[i].Name == name; i++ {
				w.prevAt = append(w.prevAt, i)
			}
		}
	}
	for i, n := range nodes {
		for _, m := range n.Loaded {
			if w := byModel[m]; w != nil {
				w.loadedAt = append(w.loadedAt, i)
			}
		}
	}
	return p
}

// place gives each want its nodes round by round, in priority order, so
// that every hot model has one copy before any has two. Each copy goes to
// one of the want's previous nodes when one has room (a plan moves a copy
// only when it must), else to the best node. A copy kept from the previous
// plan waits for its round like any other: were kept copies placed first,
// a cooling model's extra copies would hold the room that a model now hot
// needs for its first.
func (p *placement) place(wants []*want) {
	for more := true; more; {
		more = false
		for _, w := range wants {
			if len(w.nodes) < w.copies && !w.stuck {
				w.stuck = !p.add(w, true) && !p.add(w, false)
				more = more || !w.stuck
			}
		}
	}
}

// add puts one copy of w on the best node (of those hinted it before,
// when prevOnly) that has room and holds no copy yet, and for a Keep
// hint has the model loaded; false: there is none.
func (p *placement) add(w *want, prevOnly bool) bool {
	p.mark(w)
	defer p.unmark(w)
	best := -1
	for i := range p.nodes {
		f := p.flags[i]
		if (prevOnly && f&prevHinted == 0) || f&holds != 0 || p.room[i] < w.facts.SizeBytes ||
			(w.reason == Keep && f&hasLoaded == 0) {
			continue
		}
		if best < 0 || p.better(w, i, best) < 0 {
			best = i
		}
	}
	if best < 0 {
		return false
	}
	p.room[best] -= w.facts.SizeBytes
	w.at = append(w.at, best)
	w.nodes = append(w.nodes, p.nodes[best].Name)
	return true
}

// mark sets the slots' flags for w; unmark clears them.
func (p *placement) mark(w *want) {
	for _, i := range w.prevAt {
		p.flags[i] |= prevHinted
	}
	for _, i := range w.loadedAt {
		p.flags[i] |= hasLoaded
	}
	for _, i := range w.at {
		p.flags[i] |= holds
	}
}

func (p *placement) unmark(w *want) {
	for _, l := range [][]int{w.prevAt, w.loadedAt, w.at} {
		for _, i := range l {
			p.flags[i] = 0
		}
	}
}

// better orders two candidate slots for a copy of w: the site with fewer
// copies of it, then the node hinted before, then the one that has it
// loaded, asks for it more, has more memory free, has more hint room, and
// by name.
func (p *placement) better(w *want, i, j int) int {
	a, b := &p.nodes[i], &p.nodes[j]
	if c := cmp.Compare(p.siteCopies(w, a.Site), p.siteCopies(w, b.Site)); c != 0 {
		return c
	}
	for _, f := range [...]uint8{prevHinted, hasLoaded} {
		if fa, fb := p.flags[i]&f != 0, p.flags[j]&f != 0; fa != fb {
			if fa {
				return -1
			}
			return 1
		}
	}
	if c := cmp.Compare(b.Rates[w.model], a.Rates[w.model]); c != 0 {
		return c
	}
	if c := cmp.Compare(b.FreeBytes, a.FreeBytes); c != 0 {
		return c
	}
	if c := cmp.Compare(p.room[j], p.room[i]); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// siteCopies counts the copies of w already placed in site.
func (p *placement) siteCopies(w *want, site string) int {
	n := 0
	for _, i := range w.at {
		if p.nodes[i].Site == site {
			n++
		}
	}
	return n
}
