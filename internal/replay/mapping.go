package replay

import (
	"errors"
	"fmt"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// The ways Map gives a trace's models the names of served models.
const (
	// MapName: the trace's models are served models, by name.
	MapName = "name"
	// MapShared: each trace model (an Azure function, say) is dealt one of
	// the served models, as the simulator's shared mapping deals profiles
	// (sim.MapShared), so several share it.
	MapShared = "shared"
	// MapAuto: name when every trace model is served, else shared.
	MapAuto = "auto"
)

// Map gives t's models the names of models (the served models) as mapping
// says, with the simulator's mapping code and seed, so that a replay asks
// for the models a simulation of the same trace, mapping and seed would.
// The simulator's per-function mapping makes up models no cluster serves
// and is refused.
func Map(t *trace.Trace, models []string, mapping string, seed uint64) (*sim.Workload, error) {
	set := make([]profile.Model, len(models))
	for i, name := range models {
		set[i] = profile.Model{Name: name}
	}
	switch mapping {
	case MapName:
		return sim.MapByName(t, set)
	case MapShared:
		return sim.MapShared(t, set, seed)
	case MapAuto:
		w, err := sim.MapByName(t, set)
		if errors.Is(err, sim.ErrMapping) {
			return sim.MapShared(t, set, seed)
		}
		return w, err
	}
	return nil, fmt.Errorf("replay: mapping %q: want %s, %s or %s (the simulator's per-function mapping names models no cluster serves)",
		mapping, MapName, MapShared, MapAuto)
}
