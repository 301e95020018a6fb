package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
)

// HintPlanner makes a region's placement hints, as the region's Raft
// leader does (placement/hints): which models each node should keep
// loaded. The full-system contender calls it for every region every
// ClusterConfig.HintInterval; each node then weighs its hinted models by
// ClusterConfig.HintWeight in its policy (policy.Hinted), evicts them
// last, and preloads them into free memory or the place of models not
// hinted and unused for ClusterConfig.HotWindow. Plan must not keep v,
// which is reused; the cluster does not keep what Plan returns.
type HintPlanner interface {
	Plan(now time.Duration, v *RegionView) []NodeHints
}

// FreshPlanner is a HintPlanner that keeps state from one plan to the
// next (HintsPlanner keeps each region's previous hints). RunCluster
// plans with a Fresh copy, so that replays run at once (ClusterSweep)
// never share that state.
type FreshPlanner interface {
	HintPlanner
	Fresh() HintPlanner
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
	// Rates are the request rates it gossips (demand: smoothed over
	// ClusterConfig.RateHalfLife, as the node smooths them), only those
	// of at least 0.001 requests/s, by model.
	Rates []ModelRate
	// Loaded are the models it has loaded (not those still loading), as
	// it gossips them.
	Loaded []int32
}

// ModelRate is a model's request rate.
type ModelRate struct {
	Model     int32
	PerSecond float64
}

// NodeHints are the models one node should keep loaded.
type NodeHints struct {
	// Node indexes the topology's nodes (a node of the region planned).
	Node   int
	Models []int32
}

// NoHints is the planner that hints nothing.
type NoHints struct{}

// Plan hints nothing.
func (NoHints) Plan(time.Duration, *RegionView) []NodeHints { return nil }

// HintPlannerFunc adapts a function to HintPlanner.
type HintPlannerFunc func(now time.Duration, v *RegionView) []NodeHints

// Plan calls f.
func (f HintPlannerFunc) Plan(now time.Duration, v *RegionView) []NodeHints { return f(now, v) }
