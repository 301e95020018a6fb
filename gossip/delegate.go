package gossip

import (
	"errors"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/memberlist"
	"go.uber.org/zap"
)

// delegate forwards memberlist's data callbacks to the node.
type delegate struct{ g *Gossip }

func (d delegate) NodeMeta(int) []byte { return d.g.meta }

func (d delegate) NotifyMsg(b []byte) { d.g.handleMessage(b) }

func (d delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.g.queue.GetBroadcasts(overhead, limit)
}

func (d delegate) LocalState(bool) []byte { return d.g.snapshot() }

func (d delegate) MergeRemoteState(b []byte, _ bool) { d.g.handleSnapshot(b) }

// handleMessage applies a broadcast and passes on what was news.
func (g *Gossip) handleMessage(b []byte) {
	m, err := decodeMessage(b)
	if err != nil {
		g.metrics.payload("message", resultOf(err))
		return
	}
	switch body := m.Body.(type) {
	case *gossippb.Message_State:
		r := g.applyState(body.State)
		g.metrics.payload("state", r.String())
		if r == applied || r == gap {
			g.queueBroadcast(&broadcast{msg: append([]byte(nil), b...), node: body.State.Node, full: !body.State.Delta})
		}
	case *gossippb.Message_Catalog:
		r := g.mergeEntry(body.Catalog)
		g.metrics.payload("catalog", r)
		if r == "applied" {
			g.queueBroadcast(&broadcast{msg: append([]byte(nil), b...), key: ref(body.Catalog.Name, body.Catalog.Version)})
		}
	}
}

// applyState applies another node's state (this node's own comes back
// from others and is ignored).
func (g *Gossip) applyState(s *gossippb.NodeState) applyResult {
	if s.Node == g.cfg.Name {
		return stale
	}
	r := g.states.apply(s, g.now())
	if s.Coordinate != nil && r != stale {
		// Only a newer state's coordinate: push/pull re-sends old states,
		// whose coordinates would rewind what probes taught since.
		g.coords.remember(s.Node, fromWire(s.Coordinate))
	}
	if s.Leaving {
		g.members.markLeaving(s.Node, s.Epoch)
	}
	if r == applied {
		g.subs.send(Event{Kind: StateChanged, Node: s.Node})
	}
	return r
}

// mergeEntry applies a catalog entry; it returns the result's label.
func (g *Gossip) mergeEntry(e *gossippb.CatalogEntry) string {
	if !g.clock.Observe(e.Stamp) {
		return "skew"
	}
	if !g.cat.merge(e, g.now()) {
		return "stale"
	}
	kind := ModelPut
	if e.Deleted {
		kind = ModelDeleted
	}
	g.subs.send(Event{Kind: kind, Node: e.Origin, Model: ref(e.Name, e.Version)})
	return "applied"
}

// snapshot is what this node sends in a push/pull.
func (g *Gossip) snapshot() []byte {
	var states []*gossippb.NodeState
	for _, st := range g.states.all() {
		if !g.members.gone(st.Node) {
			states = append(states, st)
		}
	}
	b, err := encode(&gossippb.Snapshot{States: states, Catalog: g.cat.all()})
	if err != nil {
		g.log.Error("gossip: encode snapshot", zap.Error(err))
		return nil
	}
	return b
}

// handleSnapshot merges a push/pull snapshot.
func (g *Gossip) handleSnapshot(b []byte) {
	s, err := decodeSnapshot(b)
	if err != nil {
		g.metrics.payload("snapshot", resultOf(err))
		return
	}
	g.metrics.payload("snapshot", "applied")
	for _, st := range s.States {
		if g.members.gone(st.Node) {
			continue // a failed or left node's last state is not news
		}
		g.applyState(st)
	}
	for _, e := range s.Catalog {
		g.mergeEntry(e)
	}
}

func resultOf(err error) string {
	if errors.Is(err, errVersion) {
		return "unknown_version"
	}
	return "malformed"
}

func (r applyResult) String() string {
	switch r {
	case applied:
		return "applied"
	case gap:
		return "gap"
	default:
		return "stale"
	}
}

// eventDelegate forwards memberlist's membership changes.
type eventDelegate struct{ g *Gossip }

func (e eventDelegate) NotifyJoin(n *memberlist.Node) {
	g := e.g
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		g.metrics.payload("meta", resultOf(err))
		meta = &gossippb.NodeMeta{}
	}
	g.members.join(n, meta, g.now())
	g.subs.send(Event{Kind: MemberJoined, Node: n.Name})
}

func (e eventDelegate) NotifyLeave(n *memberlist.Node) {
	g := e.g
	// memberlist does not say whether a node left or failed (the state it
	// passes is not updated); the node's own last state does.
	h := Failed
	if g.members.isLeaving(n.Name) {
		h = Left
	}
	g.members.leave(n.Name, h, g.now())
	if h == Left {
		g.states.drop(n.Name)
	}
	// A failed node's state is kept, out of sight (a failed member shows
	// no state and holds nothing) and out of push/pull: a node wrongly
	// declared failed (a pause, a burst of lost packets) is whole again the
	// moment it refutes, instead of after the next push/pull. A restarted
	// node's new epoch replaces it; pruning drops it.
	g.coords.forget(n.Name)
	kind := MemberFailed
	if h == Left {
		kind = MemberLeft
	}
	g.subs.send(Event{Kind: kind, Node: n.Name})
}

func (e eventDelegate) NotifyUpdate(n *memberlist.Node) {
	g := e.g
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		g.metrics.payload("meta", resultOf(err))
		return
	}
	g.members.join(n, meta, g.now())
	g.subs.send(Event{Kind: MemberUpdated, Node: n.Name})
}

// pingDelegate carries coordinates on probe acks and learns from each RTT.
type pingDelegate struct{ g *Gossip }

func (p pingDelegate) AckPayload() []byte {
	b, _ := encode(toWire(p.g.coords.self()))
	return b
}

func (p pingDelegate) NotifyPingComplete(other *memberlist.Node, rtt time.Duration, payload []byte) {
	g := p.g
	c, err := decodeCoordinate(payload)
	if err != nil {
		g.metrics.payload("coordinate", resultOf(err))
		return
	}
	if err := g.coords.observe(other.Name, fromWire(c), rtt); err != nil {
		g.metrics.payload("coordinate", "malformed")
		return
	}
	g.metrics.payload("coordinate", "applied")
}
