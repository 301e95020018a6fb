package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// ErrMapping is returned (wrapped) when a trace's models cannot be given
// profiles.
var ErrMapping = errors.New("sim: cannot map trace models to profiles")

// MapRoundRobin gives every model of t an architecture from set: the
// models, sorted by name, are shuffled by a PCG generator seeded with seed
// and then dealt the profiles in set's order, round robin, so each
// architecture serves the same number of models (within one) and the
// assignment depends only on the model names and the seed (not on the
// order in which a reader numbered the models). Each model stays a distinct model (a tenant's own copy of
// that architecture) named "<trace name>:<profile name>", for example
// "fn0042:DenseNet121". The workload shares t's requests.
func MapRoundRobin(t *trace.Trace, set []profile.Model, seed uint64) (*Workload, error) {
	if len(set) == 0 {
		return nil, fmt.Errorf("%w: empty profile set", ErrMapping)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9a7f11e))
	byName := make([]int, len(t.Models))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int { return strings.Compare(t.Models[a], t.Models[b]) })
	rng.Shuffle(len(byName), func(i, j int) { byName[i], byName[j] = byName[j], byName[i] })
	models := make([]profile.Model, len(t.Models))
	for deal, m := range byName {
		p := set[deal%len(set)]
		p.Name = t.Models[m] + ":" + p.Name
		models[m] = p
	}
	return newWorkload(t, models)
}

// MapByName looks every model of t up by name in set; it suits traces
// whose models are the profiled models themselves.
func MapByName(t *trace.Trace, set []profile.Model) (*Workload, error) {
	byName := make(map[string]profile.Model, len(set))
	for _, p := range set {
		byName[p.Name] = p
	}
	models := make([]profile.Model, len(t.Models))
	for i, name := range t.Models {
		p, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("%w: no profile named %q", ErrMapping, name)
		}
		models[i] = p
	}
	return newWorkload(t, models)
}

func newWorkload(t *trace.Trace, models []profile.Model) (*Workload, error) {
	w := &Workload{Requests: t.Requests, Models: models}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}
