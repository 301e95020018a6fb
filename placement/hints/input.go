package hints

import "time"

// Input is what the planner knows of a region at one moment: its nodes'
// demand and capacity (from gossip), the models' measured facts (from the
// catalog and profiles) and the demand in neighbouring regions.
type Input struct {
	// Nodes are the region's nodes that may hold hinted copies (a node
	// handing over is left out).
	Nodes []Node
	// Models are the facts of every model that may be hinted; a model
	// without facts (deleted, or not measured yet) gets no hint.
	Models map[string]Model
	// Neighbours are request rates per model in neighbouring regions
	// (requests/s); nil: none known.
	Neighbours map[string]float64
	// Passed are the models whose demand moved from this region to a
	// neighbouring one (Passed.Fill); they get no neighbour hint. nil:
	// none.
	Passed map[string]bool
	// HeldNextDoor are the models loaded on a live node of a neighbouring
	// region; KeptNextDoor those of them loaded in a region whose name
	// sorts before this one's. Either region could keep the cluster's copy
	// of a model both hold; the one that sorts first does, so that both
	// decide alike. A model held next door and asked for there at HotRate
	// is kept there by its demand. Neither gets a Keep hint here. nil:
	// none.
	HeldNextDoor, KeptNextDoor map[string]bool
}

// Node is one node's demand and capacity.
type Node struct {
	Name string
	// Site is where the node runs; copies of a model spread across sites.
	Site string
	// BudgetBytes is the node's memory budget for loaded models;
	// FreeBytes how much of it is free now.
	BudgetBytes, FreeBytes int64
	// Rates are requests/s per model that reach this node.
	Rates map[string]float64
	// Loaded are the models loaded here now.
	Loaded []string
}

// Model is what the planner needs to know of one model.
type Model struct {
	// SizeBytes is the memory a loaded copy holds (as measured).
	SizeBytes int64
	// WarmRun is the measured run time of one request on a loaded copy;
	// 0: not measured (the model gets one copy).
	WarmRun time.Duration
	// FastLoad is the load time of the model's fast form; 0: not measured.
	FastLoad time.Duration
}
