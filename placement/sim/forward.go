package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/route"
)

// Forward makes Run replay a node that forwards: a request whose model it
// does not load goes to a peer that holds a loaded copy, as placement/route
// (the node's own cost model) ranks the options, instead of being served
// from a transient load.
//
// The replayed node is alone in the trace, so what its peers hold is an
// assumption: by default a peer RTT away holds a loaded copy of every
// model this node turns away (its policy declines to cache it, the hot
// rule below declines the load, it is larger than the budget, or no room
// can be made); with PeerHoldsAll, of every model, and the router then
// forwards any miss whose load costs more than the round trip. The peer is
// idle (a queue of 0). A forwarded request waits the option's cost less
// the model's run time (which a hit here pays too): RTT for a forward-hit.
type Forward struct {
	// RTT is the predicted round trip to the peer.
	RTT time.Duration
	// HotWindow, when positive, is the node's rule for declining a load
	// (route.EvictsHot): a load that could make room only by
	// evicting a ready model that served a request within the window,
	// taking the least recently used first, is declined. Zero leaves the
	// decision to the policy (admission control, policy.New's form).
	HotWindow time.Duration
	// PeerHoldsAll says a peer holds a loaded copy of every model, not
	// only of those this node turns away.
	PeerHoldsAll bool
}

// NodeHotWindow is the node's hot window (route.DefaultHotWindow).
const NodeHotWindow = route.DefaultHotWindow

const peerName = "peer"

// routeMiss serves a request for the non-resident model e by the router's
// choice: load it here (the policy choosing victims) or forward it. As on
// the node, the router decides before the cache sees the request: the
// policy learns of it only when it is to be loaded here.
func (c *cache) routeMiss(e policy.Entry) {
	local := route.Local{LoadTime: e.LoadCost, Run: c.run[e.Key], NoRoom: e.SizeBytes > c.capBytes}
	local.Declined = !local.NoRoom && c.fwd.HotWindow > 0 && c.evictsHot(e.SizeBytes)
	var peers []route.Peer
	if c.fwd.PeerHoldsAll || local.Declined || local.NoRoom {
		peers = append(peers, c.peer(e))
	}
	if best := route.Choose(local, peers); len(best) > 0 && best[0].Kind != route.Load {
		c.forward(e, best[0])
		return
	}
	c.p.OnAccess(e, c.now, false)
	if c.makeRoom(e.SizeBytes) {
		c.tally.Miss(e.SizeBytes, e.LoadCost)
		c.insert(e)
		return
	}
	// The policy declined to cache e (admission control), or nothing
	// could be evicted: the peer holds what this node turns away.
	local.Declined = true
	c.forward(e, route.Choose(local, []route.Peer{c.peer(e)})[0])
}

// peer is the peer holding a loaded copy of e.
func (c *cache) peer(e policy.Entry) route.Peer {
	return route.Peer{Name: peerName, RTT: c.fwd.RTT, Loaded: true, Run: c.run[e.Key]}
}

// forward records a request served by option o, which is not a load here.
func (c *cache) forward(e policy.Entry, o route.Option) {
	c.tally.Forward(e.SizeBytes, o.Cost-c.run[e.Key])
}

// evictsHot is the node's rule for declining a load (route.EvictsHot, as
// node/route.go asks it): making size bytes of room would evict a ready
// model used within the hot window.
func (c *cache) evictsHot(size int64) bool {
	return route.EvictsHot(size, c.capBytes-c.used, c.fwd.HotWindow, func(yield func(int64, time.Duration) bool) {
		for k, in := range c.resident {
			if in && c.readyAt[k] <= c.now && !yield(c.entries[k].SizeBytes, c.now-c.lastUse[k]) {
				return
			}
		}
	})
}
