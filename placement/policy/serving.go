package policy

// NewServing returns the named policy with its default settings, made fit
// for a cache that can only serve a model it holds (the node's model
// cache): its Victims never declines to cache the requested model, it
// names victims whenever evictable models can make room. Of the
// registered policies only edgeserve and edgeserve-fixed decline by
// default (admission control); NewServing builds them with Admission off
// (and so without admission shadows), every other setting unchanged. The
// simulator, which can serve a declined request from a transient load,
// uses New.
func NewServing(name string, models []Entry) (Policy, error) {
	switch name {
	case "edgeserve":
		cfg := DefaultEdgeServeConfig()
		cfg.Admission, cfg.AdmitRatios = false, nil
		return NewEdgeServe(cfg, models)
	case "edgeserve-fixed":
		cfg := FixedEdgeServeConfig()
		cfg.Admission = false
		return newFixedEdgeServe(cfg, models)
	}
	return New(name, models)
}

// newFixedEdgeServe builds EdgeServe named edgeserve-fixed.
func newFixedEdgeServe(cfg EdgeServeConfig, models []Entry) (Policy, error) {
	p, err := NewEdgeServe(cfg, models)
	if err != nil {
		return nil, err
	}
	p.fixed = true
	return p, nil
}
