package raftgroup

import (
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/hashicorp/raft"
)

// Status is what `edgeserve cluster placement` shows of a region, as this
// node sees it.
type Status struct {
	Region, Node string
	// State is this node's Raft state: Leader, Follower, Candidate or
	// Shutdown.
	State string
	// Leader and LeaderAddr are the leader this node knows ("" if none).
	Leader, LeaderAddr string
	Term               uint64
	// CommitIndex and AppliedIndex are positions in the log.
	CommitIndex, AppliedIndex uint64
	// LastContact is when a follower last heard from the leader (zero on
	// the leader, or never).
	LastContact time.Time
	// Servers is the configuration.
	Servers []Server
	// Hints are the hints this node applied last.
	Hints *hints.Set
	// Follow is how far each hinted node follows the hints.
	Follow []Follow
	// Entries counts the log entries this node's FSM applied, found stale
	// or rejected.
	Entries hints.Stats
}

// Server is one member of the configuration.
type Server struct {
	Name, Addr string
	Voter      bool
}

// Follow is one node's part of the hints: the models hinted to it and,
// of those, the ones it does not have loaded (by the Source's loaded
// sets).
type Follow struct {
	Node            string
	Hinted, Missing []string
}

// Status is the group as this node sees it now. It does not wait on the
// leader.
func (g *Group) Status() Status {
	addr, id := g.raft.LeaderWithID()
	st := Status{Region: g.cfg.Region, Node: g.cfg.Name, State: g.raft.State().String(),
		Leader: string(id), LeaderAddr: string(addr), Term: g.raft.CurrentTerm(),
		CommitIndex: g.raft.CommitIndex(), AppliedIndex: g.raft.AppliedIndex(),
		Hints: g.Hints(), Entries: g.hfsm.Stats()}
	if st.State != raft.Leader.String() {
		st.LastContact = g.raft.LastContact()
	}
	for _, s := range g.configuration() {
		st.Servers = append(st.Servers, Server{Name: string(s.ID), Addr: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	st.Follow = follow(st.Hints, g.deps.Source.PlanInput().Nodes)
	return st
}

// follow compares the hints with what the nodes have loaded.
func follow(set *hints.Set, nodes []hints.Node) []Follow {
	loaded := map[string][]string{}
	for _, n := range nodes {
		loaded[n.Name] = n.Loaded
	}
	var names []string
	for _, h := range set.Hints {
		names = append(names, h.Nodes...)
	}
	slices.Sort(names)
	var out []Follow
	for _, name := range slices.Compact(names) {
		f := Follow{Node: name, Hinted: set.ForNode(name)}
		for _, m := range f.Hinted {
			if !slices.Contains(loaded[name], m) {
				f.Missing = append(f.Missing, m)
			}
		}
		out = append(out, f)
	}
	return out
}
