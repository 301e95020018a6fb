package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/trace"
)

func threeRegions(t *testing.T) *Topology {
	t.Helper()
	return planeTopology(t, 3, 2, DefaultPlaneConfig().NodesPerSite)
}

func TestSpreadSites(t *testing.T) {
	topo := threeRegions(t)
	tr := &trace.Trace{Models: []string{"f2", "f0", "f1"}}
	for i := range 3000 {
		tr.Requests = append(tr.Requests, trace.Request{Time: time.Duration(i) * ms, Model: int32(i % 3)})
	}
	home, err := SpreadSites(tr, topo, SpreadConfig{Roam: 0, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := SpreadSites(tr, topo, SpreadConfig{Roam: 0, Seed: 4})
	if !slices.Equal(home.Requests, again.Requests) || !slices.Equal(home.Sites, siteNames(topo)) {
		t.Fatal("not deterministic, or sites not the topology's")
	}
	// Without roaming, every request of a model comes from its home region,
	// from both of its sites.
	for m := range tr.Models {
		sites := map[int32]int{}
		for _, r := range home.Requests {
			if int(r.Model) == m {
				sites[r.Site]++
			}
		}
		region := -1
		for s := range sites {
			if region >= 0 && topo.Sites[s].Region != region {
				t.Fatalf("model %d comes from two regions: %v", m, sites)
			}
			region = topo.Sites[s].Region
		}
		if len(sites) != 2 {
			t.Fatalf("model %d from sites %v, want both of its region's", m, sites)
		}
	}
	// Roaming everything spreads each model over all six sites about evenly.
	all, _ := SpreadSites(tr, topo, SpreadConfig{Roam: 1, Seed: 4})
	counts := make([]int, len(topo.Sites))
	for _, r := range all.Requests {
		counts[r.Site]++
	}
	for s, n := range counts {
		if math.Abs(float64(n)-500) > 100 {
			t.Fatalf("site %d has %d of 3000 requests", s, n)
		}
	}
	if _, err := SpreadSites(tr, topo, SpreadConfig{Roam: 1.5}); !errors.Is(err, ErrTopology) {
		t.Fatalf("roam 1.5: %v", err)
	}
}

func TestMatchSites(t *testing.T) {
	topo := threeRegions(t)
	tr := &trace.Trace{Models: []string{"m"}, Sites: []string{"r2s1", "r0s0"},
		Requests: []trace.Request{{Site: 0}, {Site: 1}, {Site: 0}}}
	got, err := MatchSites(tr, topo)
	if err != nil {
		t.Fatal(err)
	}
	if sites := []int32{got.Requests[0].Site, got.Requests[1].Site, got.Requests[2].Site}; !slices.Equal(sites, []int32{5, 0, 5}) {
		t.Fatalf("sites %v", sites)
	}
	tr.Sites[1] = "elsewhere"
	if _, err := MatchSites(tr, topo); !errors.Is(err, ErrTopology) {
		t.Fatalf("unknown site: %v", err)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	rng := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 20000 {
		d := time.Duration(rng.ExpFloat64() * float64(50*ms))
		all = append(all, d)
		h.add(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.01, 0.5, 0.95, 0.99, 1} {
		exact := all[int(math.Ceil(q*float64(len(all))))-1]
		if got := h.quantile(q); math.Abs(float64(got-exact)) > float64(exact)/128+1 {
			t.Errorf("q%v: %v, exact %v", q, got, exact)
		}
	}
	var same histogram
	for range 7 {
		same.add(5 * ms)
	}
	same.add(0)
	if same.quantile(0.5) != 5*ms || same.quantile(0.1) != 0 || (&histogram{}).quantile(0.5) != 0 {
		t.Fatal("equal values are not reported exactly")
	}
}
