package raftgroup

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/hints"
)

// Health is what gossip knows of a member.
type Health uint8

const (
	// Alive members (gossip's alive and suspect) may be voters.
	Alive Health = iota + 1
	// Leaving members said they are leaving: they are removed at once.
	Leaving
	// Left members left gracefully: removed at once.
	Left
	// Failed members are removed after DeadServerCleanup; a member absent
	// from Members counts as failed.
	Failed
)

func (h Health) String() string {
	switch h {
	case Alive:
		return "alive"
	case Leaving:
		return "leaving"
	case Left:
		return "left"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Member is one member of the region.
type Member struct {
	// Name is the node's name, its Raft server ID.
	Name string
	// RaftAddr is where its Raft listens ("host:port"); a member without
	// one runs no Raft and is left out.
	RaftAddr string
	Health   Health
	// Since is when gossip last saw the member join or go (zero:
	// unknown). A member alive since after it handed over is a new run.
	Since time.Time
}

// Discovery says who is in the region: the node feeds it from gossip.
type Discovery interface {
	// Members are the members of this node's region, this node included.
	// It is called from several goroutines.
	Members() []Member
}

// DiscoveryFunc adapts a function to Discovery.
type DiscoveryFunc func() []Member

// Members calls f.
func (f DiscoveryFunc) Members() []Member { return f() }

// Source is what the leader plans from: the region's demand, capacity
// and model facts now (hints.Input). The node feeds it from gossip and
// the catalog; the nodes' Loaded sets also give the follow state in
// Status. It is called from several goroutines.
type Source interface {
	PlanInput() hints.Input
}

// SourceFunc adapts a function to Source.
type SourceFunc func() hints.Input

// PlanInput calls f.
func (f SourceFunc) PlanInput() hints.Input { return f() }
