package hints

import (
	"cmp"
	"slices"
)

// Reason says why a model is hinted.
type Reason uint8

const (
	// Demand: the region's own requests need the copies.
	Demand Reason = 1
	// Neighbour: the model is hot in a neighbouring region; the region
	// keeps one copy so that demand moving here does not start cold.
	Neighbour Reason = 2
	// Keep: the copy a node holds is the cluster's one copy of a model
	// still asked for; the node keeps it rather than let a request's load
	// take its place. It is never preloaded.
	Keep Reason = 3
)

func (r Reason) String() string {
	switch r {
	case Demand:
		return "demand"
	case Neighbour:
		return "neighbour"
	case Keep:
		return "keep"
	}
	return "unknown"
}

// Hint is one model's agreed placement.
type Hint struct {
	// Model is the model's key as the nodes name it (gossip's loaded sets
	// use "name:version").
	Model string
	// Copies is how many loaded copies the region wants.
	Copies int
	// Nodes should keep a copy loaded: at most Copies, fewer when the
	// region lacks room; sorted.
	Nodes  []string
	Reason Reason
}

// Has reports whether node is hinted to keep the model.
func (h Hint) Has(node string) bool {
	_, ok := slices.BinarySearch(h.Nodes, node)
	return ok
}

// Rate is the demand figure a hint was made from.
type Rate struct {
	Model string
	// PerSecond is the region's request rate; NeighbourPerSecond the rate
	// in neighbouring regions.
	PerSecond, NeighbourPerSecond float64
}

// Set is a region's hints at one generation. A Set reached through the FSM
// or the planner is never modified; Clone before changing one.
type Set struct {
	// Generation grows by one with every committed change; 0 is the empty
	// set before any.
	Generation uint64
	// Hints are sorted by model.
	Hints []Hint
	// Demand are the figures the hints were made from, sorted by model.
	Demand []Rate
	// Leader is the node that made the set; MadeUnixMs when.
	Leader     string
	MadeUnixMs int64
}

// Empty is the set before any hints were agreed.
func Empty() *Set { return &Set{} }

// Hint returns the model's hint.
func (s *Set) Hint(model string) (Hint, bool) {
	i, ok := slices.BinarySearchFunc(s.Hints, model, func(h Hint, m string) int { return cmp.Compare(h.Model, m) })
	if !ok {
		return Hint{}, false
	}
	return s.Hints[i], true
}

// RatePerCopy is the request rate (requests/s) each hinted copy of model
// is expected to serve: the region's rate for a demand hint, the
// neighbouring regions' for a neighbour hint, over the hinted copies; 0
// when the model is not hinted or its rate is not recorded.
func (s *Set) RatePerCopy(model string) float64 {
	h, ok := s.Hint(model)
	i, found := slices.BinarySearchFunc(s.Demand, model, func(r Rate, m string) int { return cmp.Compare(r.Model, m) })
	if !ok || !found || len(h.Nodes) == 0 {
		return 0
	}
	r := s.Demand[i].PerSecond
	if h.Reason == Neighbour {
		r = s.Demand[i].NeighbourPerSecond
	}
	return r / float64(len(h.Nodes))
}

// ForNode are the models node should keep loaded, sorted.
func (s *Set) ForNode(node string) []string {
	var out []string
	for _, h := range s.Hints {
		if h.Has(node) {
			out = append(out, h.Model)
		}
	}
	return out
}

// SameHints reports whether s and o hint the same: the same models,
// copies, nodes and reasons. Generation, demand and authorship are not
// compared; a leader commits a new set only when the hints differ.
func (s *Set) SameHints(o *Set) bool {
	return slices.EqualFunc(s.Hints, o.Hints, func(a, b Hint) bool {
		return a.Model == b.Model && a.Copies == b.Copies && a.Reason == b.Reason && slices.Equal(a.Nodes, b.Nodes)
	})
}

// Clone is a deep copy of s.
func (s *Set) Clone() *Set {
	c := *s
	c.Hints = make([]Hint, len(s.Hints))
	for i, h := range s.Hints {
		h.Nodes = slices.Clone(h.Nodes)
		c.Hints[i] = h
	}
	c.Demand = slices.Clone(s.Demand)
	return &c
}

// sortSet puts a set in its canonical order.
func sortSet(s *Set) {
	for i := range s.Hints {
		slices.Sort(s.Hints[i].Nodes)
	}
	slices.SortFunc(s.Hints, func(a, b Hint) int { return cmp.Compare(a.Model, b.Model) })
	slices.SortFunc(s.Demand, func(a, b Rate) int { return cmp.Compare(a.Model, b.Model) })
}
