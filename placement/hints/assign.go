package hints

import (
	"cmp"
)

// placement is the planner's running tally of where copies go.
type placement struct {
	nodes []*slot
}

// slot is one node's room for hinted copies.
type slot struct {
	Node
	room   int64 // bytes of HintShare*budget not yet hinted
	loaded map[string]bool
	held   map[string]bool // models placed here in this plan
}

func newPlacement(cfg PlanConfig, nodes []Node) *placement {
	p := &placement{}
	for _, n := range nodes {
		s := &slot{Node: n, room: int64(float64(n.BudgetBytes) * cfg.HintShare), loaded: map[string]bool{}, held: map[string]bool{}}
		for _, m := range n.Loaded {
			s.loaded[m] = true
		}
		p.nodes = append(p.nodes, s)
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
				w.stuck = !p.add(w, func(s *slot) bool { return w.prev.Has(s.Name) }) && !p.add(w, func(*slot) bool { return true })
				more = more || !w.stuck
			}
		}
	}
}

// add puts one copy of w on the best node that allow accepts, has room and
// holds no copy yet; false: there is none.
func (p *placement) add(w *want, allow func(*slot) bool) bool {
	var best *slot
	for _, s := range p.nodes {
		if !allow(s) || s.held[w.model] || s.room < w.facts.SizeBytes {
			continue
		}
		if best == nil || p.better(w, s, best) < 0 {
			best = s
		}
	}
	if best == nil {
		return false
	}
	best.held[w.model] = true
	best.room -= w.facts.SizeBytes
	w.nodes = append(w.nodes, best.Name)
	return true
}

// better orders two candidate nodes for a copy of w: the site with fewer
// copies of it, then the node hinted before, then the one that has it
// loaded, asks for it more, has more memory free, has more hint room, and
// by name.
func (p *placement) better(w *want, a, b *slot) int {
	if c := cmp.Compare(p.siteCopies(w, a.Site), p.siteCopies(w, b.Site)); c != 0 {
		return c
	}
	for _, f := range []func(*slot) bool{
		func(s *slot) bool { return w.prev.Has(s.Name) },
		func(s *slot) bool { return s.loaded[w.model] },
	} {
		if fa, fb := f(a), f(b); fa != fb {
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
	if c := cmp.Compare(b.room, a.room); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// siteCopies counts the copies of w already placed in site.
func (p *placement) siteCopies(w *want, site string) int {
	n := 0
	for _, s := range p.nodes {
		if s.Site == site && s.held[w.model] {
			n++
		}
	}
	return n
}
