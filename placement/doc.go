// Package placement decides which models a node keeps loaded. Its
// sub-packages each hold one concept: policy (cache replacement and
// preloading policies), cache (the memory-budgeted model cache of a node),
// trace and profile (simulation inputs), sim (the trace simulator and the
// offline references). placement depends on small interfaces, never on node.
package placement
