package sim

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// randomClusterWorkload is n requests over the poster's models from the
// sites of topo, skewed, a few milliseconds apart.
func randomClusterWorkload(topo *Topology, n int, seed uint64) *Workload {
	rng := rand.New(rand.NewPCG(seed, 9))
	w := &Workload{Models: profile.Poster()}
	at := time.Duration(0)
	for range n {
		at += time.Duration(rng.IntN(20)) * ms
		m := rng.IntN(len(w.Models)) * rng.IntN(len(w.Models)) / len(w.Models)
		w.Requests = append(w.Requests, trace.Request{Time: at, Model: int32(m), Site: int32(rng.IntN(len(topo.Sites)))})
	}
	return w
}

// TestClusterInvariants: on a random workload every contender serves every
// request no faster than the client's round trip plus the run, its shares
// add up, and no contender but the oracle holds more than its budget.
func TestClusterInvariants(t *testing.T) {
	topo := threeRegions(t)
	w := randomClusterWorkload(topo, 4000, 3)
	for _, con := range ClusterContenders() {
		t.Run(string(con), func(t *testing.T) {
			cfg := DefaultClusterConfig(topo, w.TotalBytes()/4)
			cfg.Planner = HintPlannerFunc(func(_ time.Duration, v *RegionView) []NodeHints {
				return []NodeHints{{Node: v.Nodes[0].Node, Models: []int32{0, 1}}} // small models, hinted to one node
			})
			cfg.Observe = func(i int, lat time.Duration, _ Served) {
				if r := w.Requests[i]; lat < topo.ClientRTT+w.Models[r.Model].RunTime {
					t.Fatalf("request %d: %v", i, lat)
				}
			}
			r, err := RunCluster(w, cfg, con)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests != 4000 || math.Abs(r.HitShare+r.LoadShare+r.ForwardShare-1) > 1e-9 || r.P50 > r.P95 || r.P95 > r.P99 {
				t.Fatalf("result %+v", r)
			}
			if budget := int64(topo.Nodes()) * cfg.NodeBudgetBytes; con != Oracle && r.PeakHeldBytes > budget {
				t.Fatalf("held %d of %d", r.PeakHeldBytes, budget)
			}
			if con == Oracle && (r.HitShare != 1 || math.Abs(r.HeldFraction-1) > 1e-6) {
				t.Fatalf("oracle %+v", r)
			}
			if (con == Alone || con == Oracle) && r.ForwardShare != 0 {
				t.Fatalf("%s forwards: %+v", con, r)
			}
			if con == Full && r.Preloads == 0 {
				t.Fatalf("full system preloaded no hinted model: %+v", r)
			}
		})
	}
	// placement/hints' planner (the default) hints the hot models: the
	// full system preloads them and differs from forward.
	var res [2]ClusterResult
	for i, con := range []ClusterContender{Full, Forwarding} {
		r, err := RunCluster(w, DefaultClusterConfig(topo, w.TotalBytes()/4), con)
		if err != nil {
			t.Fatal(err)
		}
		r.Contender, res[i] = "", r
	}
	if res[0].Preloads == 0 || res[0] == res[1] {
		t.Fatalf("full %+v\nforward %+v", res[0], res[1])
	}
}

func TestRunClusterRejects(t *testing.T) {
	w, cfg := tinyCluster()
	w.Requests[1].Site = 2
	if _, err := RunCluster(w, cfg, Full); !errors.Is(err, ErrInvalidWorkload) {
		t.Fatalf("site out of the topology: %v", err)
	}
	w, cfg = tinyCluster()
	for _, bad := range []func(*ClusterConfig){
		func(c *ClusterConfig) { c.Topology = nil },
		func(c *ClusterConfig) { c.RunSlots = 0 },
		func(c *ClusterConfig) { c.FetchBytesPerSecond = 0 },
		func(c *ClusterConfig) { c.Planner = nil },
		func(c *ClusterConfig) { c.Policy = "nope" },
	} {
		c := cfg
		bad(&c)
		if _, err := RunCluster(w, c, Full); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := RunCluster(w, cfg, "everything"); err == nil {
		t.Error("unknown contender accepted")
	}
}

func TestClusterSweep(t *testing.T) {
	topo := threeRegions(t)
	w := randomClusterWorkload(topo, 2000, 5)
	fractions := []float64{0.1, 0.5}
	cons := []ClusterContender{Full, Alone, Oracle}
	got, err := ClusterSweep(context.Background(), w, DefaultClusterConfig(topo, 0), fractions, cons, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0].Contender != Full || got[3].MemoryFraction != 0.5 || got[3].Contender != Full {
		t.Fatalf("order %+v", got)
	}
	if got[2].P99 != got[5].P99 || got[5].MemoryFraction != 0.5 || got[2].NodeBudgetBytes != -1 {
		t.Fatalf("oracle %+v and %+v", got[2], got[5])
	}
	if got[1].NodeBudgetBytes != int64(math.Round(0.1*float64(w.TotalBytes()))) {
		t.Fatalf("budget %d", got[1].NodeBudgetBytes)
	}
	// More memory, fewer loads.
	if got[4].Loads >= got[1].Loads {
		t.Fatalf("alone: %d loads at 10%%, %d at 50%%", got[1].Loads, got[4].Loads)
	}
	if _, err := ClusterSweep(context.Background(), w, DefaultClusterConfig(topo, 0), []float64{0}, cons, 1); !errors.Is(err, ErrInvalidEval) {
		t.Fatalf("fraction 0: %v", err)
	}
	var table bytes.Buffer
	if err := WriteClusterTable(&table, got); err != nil || strings.Count(table.String(), "oracle") != 2 {
		t.Fatalf("table %v:\n%s", err, table.String())
	}
	var js bytes.Buffer
	if err := WriteClusterJSON(&js, got); err != nil || !strings.Contains(js.String(), `"p99_ns"`) {
		t.Fatalf("json %v", err)
	}
	file := filepath.Join(t.TempDir(), "p99.png")
	if err := SaveClusterPlot(file, got, "p99"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err != nil || st.Size() == 0 {
		t.Fatalf("plot: %v", err)
	}
}

func TestWithinOracle(t *testing.T) {
	rs := []ClusterResult{
		{Contender: Full, MemoryFraction: 0.1, P99: 300}, {Contender: Oracle, MemoryFraction: 0.1, P99: 100},
		{Contender: Full, MemoryFraction: 0.25, P99: 119}, {Contender: Oracle, MemoryFraction: 0.25, P99: 100},
		{Contender: Full, MemoryFraction: 0.5, P99: 101}, {Contender: Oracle, MemoryFraction: 0.5, P99: 100},
	}
	if f, ok := WithinOracle(rs, Full, 1.2); !ok || f != 0.25 {
		t.Fatalf("%v %v", f, ok)
	}
	if _, ok := WithinOracle(rs, Alone, 1.2); ok {
		t.Fatal("found a contender that is not there")
	}
}
