package policy

// NewServing returns the named policy with its default settings, made fit
// for a cache that can only serve a model it holds (the node's model
// cache): its Victims never declines to cache the requested model, it
// names victims whenever evictable models can make room. Of the
// registered policies only the edgeserve ones decline by
// default (admission control); NewServing builds them with Admission off
// (and so without admission shadows or the knapsack), every other setting
// unchanged. The simulator, which can serve a declined request from a
// transient load, uses New.
func NewServing(name string, models []Entry) (Policy, error) {
	if config, ok := edgeServeConfigs[name]; ok {
		cfg := config()
		cfg.Admission, cfg.AdmitRatios, cfg.Knapsack = false, nil, false
		return newNamedEdgeServe(name, cfg, models)
	}
	return New(name, models)
}

// newNamedEdgeServe builds EdgeServe under a registered name.
func newNamedEdgeServe(name string, cfg EdgeServeConfig, models []Entry) (Policy, error) {
	p, err := NewEdgeServe(cfg, models)
	if err != nil {
		return nil, err
	}
	p.name = name
	return p, nil
}
