package gossip

import (
	"cmp"
	"slices"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/memberlist"
)

// publish gossips this node's state under the next sequence number: whole
// when it fits a packet, else as a delta from the last published state.
// The full form also goes into this node's table, which push/pull sends.
func (g *Gossip) publish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	g.dirty = false
	full := g.stateLocked()
	full.Loaded, full.Stored = g.local.Loaded, g.local.Stored
	g.states.apply(full, g.now())
	prev, prevStored := g.published, g.publishedStored
	g.published, g.publishedStored = g.local.Loaded, g.local.Stored
	msg, err := encode(&gossippb.Message{Body: &gossippb.Message_State{State: full}})
	if err == nil && len(msg) <= fullLimit {
		g.queueBroadcast(&broadcast{msg: msg, node: full.Node, full: true})
		return
	}
	d := g.stateLocked()
	d.Delta, d.BaseSeq = true, g.seq-1
	d.Loaded, d.Removed = diff(prev, g.local.Loaded)
	d.Stored, d.Unstored = diff(prevStored, g.local.Stored)
	msg, err = encode(&gossippb.Message{Body: &gossippb.Message_State{State: d}})
	if err != nil || len(msg) > fullLimit {
		// Too many changes for one packet: push/pull carries the state.
		g.metrics.oversize.Inc()
		return
	}
	g.queueBroadcast(&broadcast{msg: msg, node: d.Node})
}

// stateLocked is this node's state without its loaded and stored sets
// (with its loading set, which is always whole).
func (g *Gossip) stateLocked() *gossippb.NodeState {
	l := g.local
	s := &gossippb.NodeState{Node: g.cfg.Name, Epoch: g.epoch, Seq: g.seq, Loading: l.Loading,
		MemoryBudgetBytes: l.MemoryBudgetBytes, MemoryHeadroomBytes: l.MemoryHeadroomBytes,
		LoadsInProgress: uint32(max(l.LoadsInProgress, 0)), QueueDepth: uint32(max(l.QueueDepth, 0)),
		Coordinate: toWire(g.coords.self()), Leaving: g.leaving}
	for _, gpu := range l.GPUs {
		s.Gpus = append(s.Gpus, &gossippb.GPU{Index: uint32(gpu.Index), FreeBytes: gpu.FreeBytes, TotalBytes: gpu.TotalBytes})
	}
	s.Rates = topRates(l.Rates, g.cfg.TopRates)
	if p := l.Placement; p != nil {
		s.Placement = &gossippb.Placement{Leader: p.Leader, Term: p.Term, Generation: p.Generation,
			Hinted: uint32(max(p.Hinted, 0)), Following: uint32(max(p.Following, 0))}
	}
	return s
}

// topRates are the k highest rates, highest first (ties by model name).
func topRates(rates map[string]float64, k int) []*gossippb.Rate {
	out := make([]*gossippb.Rate, 0, len(rates))
	for m, r := range rates {
		out = append(out, &gossippb.Rate{Model: m, PerSecond: float32(r)})
	}
	slices.SortFunc(out, func(a, b *gossippb.Rate) int {
		if c := cmp.Compare(b.PerSecond, a.PerSecond); c != 0 {
			return c
		}
		return cmp.Compare(a.Model, b.Model)
	})
	return out[:min(k, len(out))]
}

// diff returns what next has that prev lacks, and what prev has that next
// lacks; both inputs are sorted.
func diff(prev, next []string) (added, removed []string) {
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		switch {
		case j == len(next) || (i < len(prev) && prev[i] < next[j]):
			removed = append(removed, prev[i])
			i++
		case i == len(prev) || next[j] < prev[i]:
			added = append(added, next[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

func (g *Gossip) queueBroadcast(b *broadcast) {
	g.queue.QueueBroadcast(b)
}

// broadcast is one queued payload. A full state of a node replaces the
// queued states of that node; a catalog entry replaces the queued entries
// of the same model version. Deltas replace nothing: each one is needed.
type broadcast struct {
	msg  []byte
	node string // a state's node
	full bool
	key  string // a catalog entry's model version
}

func (b *broadcast) Invalidates(other memberlist.Broadcast) bool {
	o, ok := other.(*broadcast)
	if !ok {
		return false
	}
	if b.node != "" {
		return b.full && o.node == b.node
	}
	return b.key != "" && o.key == b.key
}

func (b *broadcast) Message() []byte { return b.msg }
func (b *broadcast) Finished()       {}
