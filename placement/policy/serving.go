package policy

// NewServing returns the named policy with its default settings, made fit
// for a cache that can only serve a model it holds (the node's model
// cache): its Victims never declines to cache the requested model, it
// names victims whenever evictable models can make room. Of the
// registered policies only edgeserve declines by default (admission
// control); NewServing builds it with Admission off, every other setting
// unchanged. The simulator, which can serve a declined request from a
// transient load, uses New.
func NewServing(name string, models []Entry) (Policy, error) {
	if name != "edgeserve" {
		return New(name, models)
	}
	cfg := DefaultEdgeServeConfig()
	cfg.Admission = false
	return NewEdgeServe(cfg, models)
}
