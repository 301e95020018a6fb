package hints

import (
	"errors"
	"time"
)

// PlanConfig are the planner's rules. Start from DefaultPlanConfig.
type PlanConfig struct {
	// HotRate is the region request rate (requests/s) from which a model
	// is hinted.
	HotRate float64
	// Utilisation is the share of a copy's capacity (1/warm run time
	// requests/s) the plan fills; CheapUtilisation replaces it for a model
	// whose fast form loads within CheapLoad, since a node that runs out
	// of copies loads another cheaply.
	Utilisation, CheapUtilisation float64
	CheapLoad                     time.Duration
	// Hysteresis (0 to 1) is the band that keeps hints still under
	// jittering demand: a hinted model stays hinted until its rate falls
	// below Hysteresis*HotRate, and loses a copy only when the rest would
	// carry its rate at Hysteresis*Utilisation.
	Hysteresis float64
	// HintShare (0 to 1] is the share of a node's memory budget that its
	// hinted copies may fill; the rest is the cache's own.
	HintShare float64
	// NeighbourRate is the request rate (requests/s) in neighbouring
	// regions from which a model gets one copy here; 0: never.
	NeighbourRate float64
	// PassedWindow: a model the region asked for at HotRate during its
	// neighbours' current episode at NeighbourRate, or within this long
	// before the episode began, gets no neighbour hint (Passed); 0: the
	// direction of demand is not weighed.
	PassedWindow time.Duration
	// MaxCopies bounds a model's copies; 0: one per node.
	MaxCopies int
	// KeepRate is the request rate (requests/s, here and next door
	// together) from which a model that a node of the region has loaded,
	// and no other region keeps (Input.KeptNextDoor), is hinted where it
	// is loaded (reason Keep): the cluster's one copy of a model still
	// asked for is not left to a request's load to evict. 0: never.
	KeepRate float64
}

// DefaultPlanConfig: hint from 1 request/s, fill copies to 60% (90% for
// models that load within 100 ms), a 20% band, hints in at most 80% of a
// node's budget, one copy of models at 1 request/s next door unless the
// region itself was hot on them up to a minute before, and the cluster's
// one copy of models asked for at 0.01 requests/s kept where it is.
func DefaultPlanConfig() PlanConfig {
	return PlanConfig{HotRate: 1, Utilisation: 0.6, CheapUtilisation: 0.9, CheapLoad: 100 * time.Millisecond,
		Hysteresis: 0.8, HintShare: 0.8, NeighbourRate: 1, PassedWindow: time.Minute, KeepRate: 0.01}
}

// Validate checks the rules.
func (c PlanConfig) Validate() error {
	switch {
	case !(c.HotRate > 0) || !(c.NeighbourRate >= 0) || !(c.KeepRate >= 0):
		return errors.New("hints: hot rate must be positive, neighbour and keep rates not negative")
	case !(c.Utilisation > 0 && c.Utilisation <= 1) || !(c.CheapUtilisation > 0 && c.CheapUtilisation <= 1):
		return errors.New("hints: utilisations must be in (0, 1]")
	case !(c.Hysteresis > 0 && c.Hysteresis <= 1):
		return errors.New("hints: hysteresis must be in (0, 1]")
	case !(c.HintShare > 0 && c.HintShare <= 1):
		return errors.New("hints: hint share must be in (0, 1]")
	case c.CheapLoad < 0 || c.MaxCopies < 0 || c.PassedWindow < 0:
		return errors.New("hints: cheap load, max copies and passed window must not be negative")
	}
	return nil
}
