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

// MapShared maps every model of t (an Azure function, say) to one model
// of set, and the workload's models are set itself: requests of all the
// functions mapped to DenseNet121 are requests for DenseNet121. The
// assignment is dealt as in MapRoundRobin (t's models sorted by name,
// shuffled by a PCG generator seeded with seed, then dealt set's models in
// order, round robin), so each profile model serves the same number of
// functions (within one) but very different request volumes, and the
// assignment depends only on the names and the seed. The workload has
// len(set) models; its requests are t's, renumbered.
func MapShared(t *trace.Trace, set []profile.Model, seed uint64) (*Workload, error) {
	deal, err := dealProfiles(t, len(set), seed)
	if err != nil {
		return nil, err
	}
	reqs := make([]trace.Request, len(t.Requests))
	for i, r := range t.Requests {
		if r.Model < 0 || int(r.Model) >= len(deal) {
			return nil, fmt.Errorf("%w: request %d names model %d of %d", ErrInvalidWorkload, i, r.Model, len(deal))
		}
		r.Model = int32(deal[r.Model])
		reqs[i] = r
	}
	w := &Workload{Requests: reqs, Models: slices.Clone(set)}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// MapRoundRobin gives every model of t an architecture from set, dealt as
// MapShared deals them, but each model stays a distinct model (a tenant's
// own copy of that architecture) named "<trace name>:<profile name>", for
// example "fn0042:DenseNet121": the workload has len(t.Models) models that
// borrow their profile's size and load time. The workload shares t's
// requests.
func MapRoundRobin(t *trace.Trace, set []profile.Model, seed uint64) (*Workload, error) {
	deal, err := dealProfiles(t, len(set), seed)
	if err != nil {
		return nil, err
	}
	models := make([]profile.Model, len(t.Models))
	for m, d := range deal {
		p := set[d]
		p.Name = t.Models[m] + ":" + p.Name
		models[m] = p
	}
	return newWorkload(t, models)
}

// dealProfiles returns, for each model of t, the index of its profile
// among n: the models, sorted by name, are shuffled by a PCG generator
// seeded with seed and dealt 0..n-1 round robin.
func dealProfiles(t *trace.Trace, n int, seed uint64) ([]int, error) {
	if n == 0 {
		return nil, fmt.Errorf("%w: empty profile set", ErrMapping)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9a7f11e))
	byName := make([]int, len(t.Models))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int { return strings.Compare(t.Models[a], t.Models[b]) })
	rng.Shuffle(len(byName), func(i, j int) { byName[i], byName[j] = byName[j], byName[i] })
	deal := make([]int, len(t.Models))
	for d, m := range byName {
		deal[m] = d % n
	}
	return deal, nil
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
