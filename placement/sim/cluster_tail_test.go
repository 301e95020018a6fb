package sim

import (
	"cmp"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClusterTail breaks down the requests that make the full system's
// tail on 3 regions x 3 nodes with the shared mapping of the Azure sample
// (docs/cluster-sim.md): EDGESERVE_CLUSTER_TAIL is the memory fraction,
// optionally followed by ",evicts" for PreloadEvicts. It logs, for the
// counted requests slower than 1.2x the oracle's p99 (137.5 ms), how many
// of each model were served how and whether forwarded to another region,
// then each node's models and hints at the end; and checks that its
// replay, served request by request, is RunCluster's.
func TestClusterTail(t *testing.T) {
	env := os.Getenv("EDGESERVE_CLUSTER_TAIL")
	if env == "" {
		t.Skip("set EDGESERVE_CLUSTER_TAIL to a memory fraction (and ,evicts) to break down the tail")
	}
	frac, err := strconv.ParseFloat(strings.TrimSuffix(env, ",evicts"), 64)
	if err != nil {
		t.Fatal(err)
	}
	topo := planeTopology(t, 3, 1, 3)
	w := azureCluster(t, topo, MapShared)
	cfg := DefaultClusterConfig(topo, int64(math.Round(frac*float64(w.TotalBytes()))))
	cfg.Warmup, cfg.PreloadEvicts = 30*time.Minute, strings.HasSuffix(env, ",evicts")
	const slow = 137500 * time.Microsecond
	c, err := newCluster(w, cfg, Full)
	if err != nil {
		t.Fatal(err)
	}
	type kind struct {
		how         Served
		model       int32
		crossRegion bool
	}
	tail := map[kind]int{}
	for _, r := range w.Requests {
		c.advance(r.Time)
		if !c.tally.counting && r.Time >= cfg.Warmup {
			c.tally.start(r.Time)
		}
		across := c.tally.crossRegion
		lat, how := c.serve(r.Model, int(r.Site))
		lat += c.topo.ClientRTT
		c.tally.request(lat, how)
		if c.tally.counting && lat > slow {
			tail[kind{how, r.Model, c.tally.crossRegion > across}]++
		}
	}
	got := c.result()
	kinds := slices.SortedFunc(func(yield func(kind) bool) {
		for k := range tail {
			if !yield(k) {
				return
			}
		}
	}, func(a, b kind) int { return cmp.Compare(tail[b], tail[a]) })
	t.Logf("memory %v: p99 %v, %d requests counted", frac, got.P99, got.Requests)
	for _, k := range kinds {
		t.Logf("  over %v: %s %s, across regions %v: %d", slow, w.Models[k.model].Name, k.how, k.crossRegion, tail[k])
	}
	for _, n := range c.nodes {
		t.Logf("  node %d, region %d: %d MB held, %d MB free; models %v; hinted %v", n.id, c.topo.Sites[n.site].Region, n.used>>20, n.free()>>20, n.residents, n.hints)
	}
	want, err := RunCluster(w, cfg, Full)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("the replay request by request gave %+v, RunCluster %+v", got, want)
	}
}
