// Package hints is the agreed state of a region's placement: which models
// each node should keep loaded, and how many copies of a hot model the
// region wants. It holds three things, none of which touches the network:
//
//   - Set and Hint, the hints at one generation (hints.go);
//   - the state machine that a region's Raft log drives (fsm.go): commands
//     are one type byte, one payload-version byte and a protobuf payload
//     (command.go), dispatched through a table; an entry that does not
//     decode is rejected, counted and reported, never a panic;
//   - the planner (planner.go), a pure function from the region's demand,
//     capacity and model facts, plus the previous set for hysteresis, to
//     the next set.
//
// The planner's rules, in order: a model is hot when the region asks for it
// at HotRate or more; a copy carries Utilisation/warm-run-time requests per
// second (CheapUtilisation for a model whose fast form loads within
// CheapLoad, since a burst beyond the planned copies is absorbed by a cheap
// load); copies go round by round (every hot model's first copy before any
// second copy), models in order of load time saved per byte, each copy to
// the node that spreads the model across sites, then keeps it where it was
// hinted, then where it is loaded, then where it is asked for; no node is
// hinted more than HintShare of its memory budget. A hinted model keeps its
// hint, copies and nodes until demand moves past a band (Hysteresis), so
// jitter does not flap the hints. See docs/raft.md.
package hints
