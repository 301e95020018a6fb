package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// ErrTopology is returned (wrapped) for an unusable topology.
var ErrTopology = errors.New("sim: invalid topology")

// Topology is the cluster a cluster replay runs on: regions of sites, the
// same number of nodes at every site, and the round trips between them.
// Node n sits at site n / NodesPerSite.
type Topology struct {
	Regions []string
	Sites   []Site
	// NodesPerSite is how many nodes each site runs.
	NodesPerSite int
	// RTT[a][b] is the round trip from a node of site a to one of site
	// b; RTT[a][a] the round trip between two nodes of site a.
	RTT [][]time.Duration
	// ClientRTT is the round trip from a client to a node of its site.
	ClientRTT time.Duration
}

// Site is one edge site.
type Site struct {
	Name string
	// Region indexes Topology.Regions.
	Region int
}

// Nodes is the number of nodes in the cluster.
func (t *Topology) Nodes() int { return len(t.Sites) * t.NodesPerSite }

// NodeSite is the site of node n.
func (t *Topology) NodeSite(n int) int { return n / t.NodesPerSite }

// NodeRTT is the round trip between nodes a and b (0 for a node itself).
func (t *Topology) NodeRTT(a, b int) time.Duration {
	if a == b {
		return 0
	}
	return t.RTT[t.NodeSite(a)][t.NodeSite(b)]
}

// Validate checks that every site has a region, the matrix is square over
// the sites, and no round trip is negative.
func (t *Topology) Validate() error {
	switch {
	case len(t.Sites) == 0:
		return fmt.Errorf("%w: no sites", ErrTopology)
	case t.NodesPerSite < 1:
		return fmt.Errorf("%w: %d nodes per site", ErrTopology, t.NodesPerSite)
	case t.ClientRTT < 0:
		return fmt.Errorf("%w: negative client round trip", ErrTopology)
	case len(t.RTT) != len(t.Sites):
		return fmt.Errorf("%w: %d matrix rows for %d sites", ErrTopology, len(t.RTT), len(t.Sites))
	}
	for i, s := range t.Sites {
		if s.Region < 0 || s.Region >= len(t.Regions) {
			return fmt.Errorf("%w: site %s has region %d of %d", ErrTopology, s.Name, s.Region, len(t.Regions))
		}
		if len(t.RTT[i]) != len(t.Sites) {
			return fmt.Errorf("%w: site %s has %d round trips for %d sites", ErrTopology, s.Name, len(t.RTT[i]), len(t.Sites))
		}
		for j, d := range t.RTT[i] {
			if d < 0 {
				return fmt.Errorf("%w: negative round trip from %s to %s", ErrTopology, s.Name, t.Sites[j].Name)
			}
		}
	}
	return nil
}

// PlaneConfig places sites on a plane whose distances are round trips.
type PlaneConfig struct {
	// Regions, SitesPerRegion and NodesPerSite size the cluster.
	Regions, SitesPerRegion, NodesPerSite int
	// RegionSpread is the side of the square (in round-trip time) that
	// region centres are drawn from, uniformly.
	RegionSpread time.Duration
	// SiteSpread is the radius around its region's centre that a site is
	// drawn from, uniformly over the disc.
	SiteSpread time.Duration
	// Jitter is added to each pair of sites' round trip, drawn uniformly
	// from [0, Jitter) once per pair (the matrix stays symmetric).
	Jitter time.Duration
	// IntraSite is the round trip between two nodes of one site;
	// ClientRTT a client's to a node of its site.
	IntraSite, ClientRTT time.Duration
	// Seed draws the places and the jitter.
	Seed uint64
}

// DefaultPlaneConfig: 3 regions of one site of 3 nodes; regions within an
// 80 ms square, sites within 10 ms of their region's centre, 2 ms of
// jitter, 0.5 ms between nodes of a site, 2 ms from a client to its site.
func DefaultPlaneConfig() PlaneConfig {
	return PlaneConfig{Regions: 3, SitesPerRegion: 1, NodesPerSite: 3, RegionSpread: 80 * time.Millisecond,
		SiteSpread: 10 * time.Millisecond, Jitter: 2 * time.Millisecond, IntraSite: 500 * time.Microsecond,
		ClientRTT: 2 * time.Millisecond, Seed: 1}
}

// NewPlaneTopology places cfg's sites on a plane: regions are named r0,
// r1, ..., sites r0s0, r0s1, ...; the round trip between two sites is
// their distance plus the pair's jitter.
func NewPlaneTopology(cfg PlaneConfig) (*Topology, error) {
	if cfg.Regions < 1 || cfg.SitesPerRegion < 1 || cfg.NodesPerSite < 1 {
		return nil, fmt.Errorf("%w: %d regions x %d sites x %d nodes", ErrTopology, cfg.Regions, cfg.SitesPerRegion, cfg.NodesPerSite)
	}
	if cfg.RegionSpread < 0 || cfg.SiteSpread < 0 || cfg.Jitter < 0 || cfg.IntraSite < 0 {
		return nil, fmt.Errorf("%w: negative spread, jitter or round trip", ErrTopology)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x70b0))
	t := &Topology{NodesPerSite: cfg.NodesPerSite, ClientRTT: cfg.ClientRTT}
	var xs, ys []float64
	for r := range cfg.Regions {
		t.Regions = append(t.Regions, fmt.Sprintf("r%d", r))
		cx, cy := rng.Float64()*float64(cfg.RegionSpread), rng.Float64()*float64(cfg.RegionSpread)
		for s := range cfg.SitesPerRegion {
			t.Sites = append(t.Sites, Site{Name: fmt.Sprintf("r%ds%d", r, s), Region: r})
			radius, angle := float64(cfg.SiteSpread)*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
			xs, ys = append(xs, cx+radius*math.Cos(angle)), append(ys, cy+radius*math.Sin(angle))
		}
	}
	t.RTT = make([][]time.Duration, len(t.Sites))
	for a := range t.Sites {
		t.RTT[a] = make([]time.Duration, len(t.Sites))
		t.RTT[a][a] = cfg.IntraSite
	}
	for a := range t.Sites {
		for b := a + 1; b < len(t.Sites); b++ {
			d := time.Duration(math.Hypot(xs[a]-xs[b], ys[a]-ys[b]))
			if cfg.Jitter > 0 {
				d += time.Duration(rng.Int64N(int64(cfg.Jitter)))
			}
			t.RTT[a][b], t.RTT[b][a] = max(d, cfg.IntraSite), max(d, cfg.IntraSite)
		}
	}
	return t, t.Validate()
}
