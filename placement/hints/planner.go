package hints

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// want is what the planner wants for one model before placing it.
type want struct {
	model      string
	facts      Model
	rate, next float64 // region and neighbouring-region requests/s
	passed     bool    // demand moved from here to next door (Input.Passed)
	keepable   bool    // loaded in the region, kept by no other region (Input.KeptNextDoor)
	copies     int
	reason     Reason
	value      float64 // load time saved per second per byte
	prev       Hint    // the previous hint, if any (prev.Copies > 0)
	nodes      []string
	stuck      bool // no node has room for another copy
	// at are the slots of nodes; prevAt the slots hinted it before,
	// loadedAt those that have it loaded (placement).
	at, prevAt, loadedAt []int
}

// Plan is the next hint set for in, given the previous set prev (nil or
// Empty: none). It is a pure function: the same arguments give the same
// set. The caller fills in Generation, Leader and MadeUnixMs.
func Plan(cfg PlanConfig, prev *Set, in Input) *Set {
	if prev == nil {
		prev = Empty()
	}
	nodes := in.Nodes
	if !slices.IsSortedFunc(nodes, func(a, b Node) int { return strictly(cmp.Compare(a.Name, b.Name)) }) {
		nodes = slices.SortedFunc(slices.Values(in.Nodes), func(a, b Node) int { return cmp.Compare(a.Name, b.Name) })
	}
	rates := regionRates(nodes, len(in.Models))
	loaded := loadedHere(nodes)
	var wants []*want
	for model, facts := range in.Models {
		if facts.SizeBytes <= 0 {
			continue
		}
		w := &want{model: model, facts: facts, rate: rates[model], next: in.Neighbours[model], passed: in.Passed[model]}
		w.keepable = loaded[model] && !in.KeptNextDoor[model] && !(in.HeldNextDoor[model] && w.next >= cfg.HotRate*cfg.Hysteresis)
		w.prev, _ = prev.Hint(model)
		if decide(cfg, w, len(nodes)) {
			wants = append(wants, w)
		}
	}
	slices.SortFunc(wants, byPriority)
	newPlacement(cfg, nodes, wants).place(wants)
	return result(wants)
}

// strictly counts equal names as out of order, so that nodes sorted by it
// are in the one order any sort gives them: no sort is needed.
func strictly(c int) int {
	if c == 0 {
		return -1
	}
	return c
}

// regionRates sums the nodes' request rates per model.
func regionRates(nodes []Node, models int) map[string]float64 {
	r := make(map[string]float64, models)
	for _, n := range nodes {
		for m, v := range n.Rates {
			if v > 0 && !math.IsInf(v, 0) {
				r[m] += v
			}
		}
	}
	return r
}

// loadedHere is the set of models some node of the region has loaded.
func loadedHere(nodes []Node) map[string]bool {
	out := map[string]bool{}
	for _, n := range nodes {
		for _, m := range n.Loaded {
			out[m] = true
		}
	}
	return out
}

// decide sets w's copies and reason; false: the model gets no hint.
func decide(cfg PlanConfig, w *want, nodes int) bool {
	band := cfg.Hysteresis
	switch {
	case w.rate >= cfg.HotRate || (w.prev.Reason == Demand && w.rate >= cfg.HotRate*band):
		w.reason = Demand
		w.copies = copies(cfg, w)
	case cfg.NeighbourRate > 0 && !w.passed && (w.next >= cfg.NeighbourRate || (w.prev.Reason == Neighbour && w.next >= cfg.NeighbourRate*band)):
		w.reason, w.copies = Neighbour, 1
	case cfg.KeepRate > 0 && w.keepable && (w.rate+w.next >= cfg.KeepRate || (w.prev.Reason == Keep && w.rate+w.next >= cfg.KeepRate*band)):
		w.reason, w.copies = Keep, 1
	default:
		return false
	}
	w.copies = min(w.copies, nodes)
	if cfg.MaxCopies > 0 {
		w.copies = min(w.copies, cfg.MaxCopies)
	}
	rate := w.rate
	switch w.reason {
	case Neighbour:
		rate = w.next
	case Keep:
		rate = w.rate + w.next
	}
	// An unmeasured load counts as 1 ms, so that rate still orders.
	w.value = rate * max(w.facts.FastLoad, time.Millisecond).Seconds() / float64(w.facts.SizeBytes)
	return w.copies > 0
}

// copies is how many copies carry w's rate: rate*warm/utilisation rounded
// up, at least one. A model hinted before moves up as soon as its copies
// fall short, and down only once fewer copies would carry the rate at the
// band's lower utilisation.
func copies(cfg PlanConfig, w *want) int {
	if w.facts.WarmRun <= 0 {
		return 1
	}
	u := cfg.Utilisation
	if w.facts.FastLoad > 0 && w.facts.FastLoad <= cfg.CheapLoad {
		u = cfg.CheapUtilisation
	}
	load := w.rate * w.facts.WarmRun.Seconds()
	up := atLeastOne(load / u)
	prev := 0
	if w.prev.Reason == Demand {
		prev = w.prev.Copies
	}
	switch down := atLeastOne(load / (u * cfg.Hysteresis)); {
	case prev == 0 || up > prev:
		return up
	case down < prev:
		return down
	}
	return prev
}

// atLeastOne rounds x up (forgiving float error) to at least one.
func atLeastOne(x float64) int {
	const slack = 1e-9
	return max(1, int(math.Ceil(x-slack)))
}

// byPriority orders demand before neighbour and keep hints, then by value (load
// time saved per second per byte), then by name.
func byPriority(a, b *want) int {
	if a.reason != b.reason {
		return cmp.Compare(a.reason, b.reason)
	}
	if c := cmp.Compare(b.value, a.value); c != 0 {
		return c
	}
	return cmp.Compare(a.model, b.model)
}

// result is the set of wants that got at least one node.
func result(wants []*want) *Set {
	s := &Set{}
	for _, w := range wants {
		if len(w.nodes) == 0 {
			continue
		}
		s.Hints = append(s.Hints, Hint{Model: w.model, Copies: w.copies, Nodes: w.nodes, Reason: w.reason})
		s.Demand = append(s.Demand, Rate{Model: w.model, PerSecond: w.rate, NeighbourPerSecond: w.next})
	}
	sortSet(s)
	return s
}
