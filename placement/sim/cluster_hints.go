package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
)

// HintPlanner makes a region's placement hints, as the region's Raft
// leader does (placement/hints): which models each node should keep
// loaded. The full-system contender calls it for every region every
// ClusterConfig.HintInterval; each node then weighs its hinted models by
// ClusterConfig.HintWeight in its policy (policy.Hinted) and preloads
// those that fit in its free memory. Plan must not keep v, which is
// reused.
type HintPlanner interface {
	Plan(now time.Duration, v *RegionView) []NodeHints
}

// RegionView is what a region's leader knows when it plans: its nodes'
// demand and memory (from gossip), the models' facts, and the demand in
// the other regions.
type RegionView struct {
	Region string
	Nodes  []HintNode
	// Models are every model's facts, indexed by model.
	Models []profile.Model
	// Elsewhere are request rates per model in the other regions
	// (requests/s, indexed by model).
	Elsewhere []float64
}

// HintNode is one node of the region as its leader sees it.
type HintNode struct {
	// Node indexes the topology's nodes; Name and Site name it.
	Node       int
	Name, Site string
	// BudgetBytes is its memory budget (-1: unbounded), FreeBytes what is
	// free now.
	BudgetBytes, FreeBytes int64
	// Rates are the requests/s per model that reached it over the last
	// interval (indexed by model).
	Rates []float64
	// Loaded are the models it has loaded or loading.
	Loaded []int32
}

// NodeHints are the models one node should keep loaded.
type NodeHints struct {
	// Node indexes the topology's nodes (a node of the region planned).
	Node   int
	Models []int32
}

// NoHints is the planner that hints nothing: the full system until a
// planner is plugged in.
type NoHints struct{}

// Plan hints nothing.
func (NoHints) Plan(time.Duration, *RegionView) []NodeHints { return nil }

// HintPlannerFunc adapts a function to HintPlanner.
type HintPlannerFunc func(now time.Duration, v *RegionView) []NodeHints

// Plan calls f.
func (f HintPlannerFunc) Plan(now time.Duration, v *RegionView) []NodeHints { return f(now, v) }
