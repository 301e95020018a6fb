package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/edgeserve/edgeserve/placement/trace"
)

// SpreadConfig says how SpreadSites places the requests of a trace that
// has no sites (the Azure sample) on a topology.
type SpreadConfig struct {
	// Roam is the share of requests that come from any site of the
	// cluster rather than from their model's home region.
	Roam float64
	// Seed draws the home regions and the sites.
	Seed uint64
}

// DefaultSpreadConfig: a tenth of requests roam; seed 1.
func DefaultSpreadConfig() SpreadConfig { return SpreadConfig{Roam: 0.1, Seed: 1} }

// SpreadSites returns t with a site for every request, as sites of topo:
// every model of t (an Azure function, before it is mapped to a profile)
// gets a home region, drawn uniformly for the models in order of their
// names; each request then comes, with probability 1 - Roam, from a site
// of its model's home region, and otherwise from any site, uniformly. The
// draws come from PCG generators seeded with cfg.Seed, in trace order, so
// the result depends only on t's names and order, topo and cfg.
func SpreadSites(t *trace.Trace, topo *Topology, cfg SpreadConfig) (*trace.Trace, error) {
	if !(cfg.Roam >= 0 && cfg.Roam <= 1) {
		return nil, fmt.Errorf("%w: roam share %v is not in [0, 1]", ErrTopology, cfg.Roam)
	}
	byRegion := make([][]int32, len(topo.Regions))
	for i, s := range topo.Sites {
		byRegion[s.Region] = append(byRegion[s.Region], int32(i))
	}
	home := homeRegions(t, topo, byRegion, cfg.Seed)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x517e5))
	out := &trace.Trace{Models: t.Models, Sites: siteNames(topo), Requests: make([]trace.Request, len(t.Requests))}
	for i, r := range t.Requests {
		if rng.Float64() < cfg.Roam {
			r.Site = int32(rng.IntN(len(topo.Sites)))
		} else {
			sites := byRegion[home[r.Model]]
			r.Site = sites[rng.IntN(len(sites))]
		}
		out.Requests[i] = r
	}
	return out, nil
}

// homeRegions draws each model's home region among those with sites.
func homeRegions(t *trace.Trace, topo *Topology, byRegion [][]int32, seed uint64) []int {
	var withSites []int
	for r, sites := range byRegion {
		if len(sites) > 0 {
			withSites = append(withSites, r)
		}
	}
	order := make([]int, len(t.Models))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(t.Models[a], t.Models[b]) })
	rng := rand.New(rand.NewPCG(seed, 0x40e))
	home := make([]int, len(t.Models))
	for _, m := range order {
		home[m] = withSites[rng.IntN(len(withSites))]
	}
	return home
}

// MatchSites returns t with its sites renumbered as topo's, matched by
// name; every site of t must be one of topo's.
func MatchSites(t *trace.Trace, topo *Topology) (*trace.Trace, error) {
	index := make(map[string]int32, len(topo.Sites))
	for i, s := range topo.Sites {
		index[s.Name] = int32(i)
	}
	to := make([]int32, len(t.Sites))
	for i, name := range t.Sites {
		j, ok := index[name]
		if !ok {
			return nil, fmt.Errorf("%w: the trace's site %q is not in the topology (sites: %s)", ErrTopology, name, strings.Join(siteNames(topo), ", "))
		}
		to[i] = j
	}
	out := &trace.Trace{Models: t.Models, Sites: siteNames(topo), Requests: make([]trace.Request, len(t.Requests))}
	for i, r := range t.Requests {
		if r.Site < 0 || int(r.Site) >= len(to) {
			return nil, fmt.Errorf("%w: request %d names site %d of %d", ErrInvalidWorkload, i, r.Site, len(to))
		}
		r.Site = to[r.Site]
		out.Requests[i] = r
	}
	return out, nil
}

func siteNames(topo *Topology) []string {
	out := make([]string, len(topo.Sites))
	for i, s := range topo.Sites {
		out[i] = s.Name
	}
	return out
}
