package offline

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// TestGapTable measures every policy against LRU and the best feasible
// offline schedule on the Azure sample, mapped to each profile set with
// several mapping seeds, at 10%, 25% and 50% of the model bytes. It prints
// each policy's load delay as a ratio to LRU's, the share of the
// LRU-to-offline gap it closes, (LRU - policy) / (LRU - feasible), and the
// share of the LRU-to-lower-bound gap (lbgap), (LRU - policy) / (LRU -
// bound). A policy that declines to cache hot models can close more than
// 100% of the first: the feasible schedules are greedy heuristics, not the
// optimum.
//
//	EDGESERVE_SIM_FULL=1 go test -v -run TestGapTable -timeout 180m ./placement/offline/
//
// Optional: EDGESERVE_SIM_ACCOUNTING (default "delayed,instant": loads
// that take time, with delayed hits, and the classic accounting of
// sim.Options.InstantLoads), EDGESERVE_SIM_MAPPING (default "shared": each function maps to
// a model of the profile set, sim.MapShared; "per-function": each function
// is its own model with a profile's costs, sim.MapRoundRobin; or both,
// "shared,per-function"), EDGESERVE_SIM_MINUTES (default 720, the whole
// sample), EDGESERVE_SIM_SEEDS (default 3), EDGESERVE_SIM_SETS (default
// "poster,m5,zoo"), EDGESERVE_SIM_POLICIES (default
// "lfu,gdsf,cremebrulee,cremebrulee-decay,edgeserve"; a name ending in
// "-serving" runs that policy's policy.NewServing form),
// EDGESERVE_AZURE_CSV.
func TestGapTable(t *testing.T) {
	if os.Getenv("EDGESERVE_SIM_FULL") != "1" {
		t.Skip("set EDGESERVE_SIM_FULL=1 to run the full measurement (minutes)")
	}
	minutes := envInt(t, "EDGESERVE_SIM_MINUTES", 720)
	seeds := envInt(t, "EDGESERVE_SIM_SEEDS", 3)
	sets := strings.Split(envString("EDGESERVE_SIM_SETS", "poster,m5,zoo"), ",")
	mappings := strings.Split(envString("EDGESERVE_SIM_MAPPING", "shared"), ",")
	accountings := strings.Split(envString("EDGESERVE_SIM_ACCOUNTING", "delayed,instant"), ",")
	dir, err := trace.FindAzureSample()
	if err != nil {
		t.Fatal(err)
	}
	tr := readAzure(t, envString("EDGESERVE_AZURE_CSV", filepath.Join(dir, trace.SampleFile)), minutes)
	names := strings.Split(envString("EDGESERVE_SIM_POLICIES", "lfu,gdsf,cremebrulee,cremebrulee-decay,edgeserve"), ",")
	fmt.Printf("Azure sample, %d minutes, %d requests, %d models\n", minutes, len(tr.Requests), len(tr.Models))
	fmt.Printf("%-27s %4s %4s %10s %10s %-24s %6s", "accounting mapping set", "seed", "cap", "lru_s", "feasible_s", "feasible_by", "lb/lru")
	for _, n := range names {
		fmt.Printf(" | %-24s", n+" ratio gap lbgap")
	}
	fmt.Println()
	for _, acc := range accountings {
		if acc != "delayed" && acc != "instant" {
			t.Fatalf("EDGESERVE_SIM_ACCOUNTING %q: want delayed or instant", acc)
		}
		opts := sim.Options{InstantLoads: acc == "instant"}
		for _, mapping := range mappings {
			measureMapping(t, tr, acc, mapping, opts, sets, seeds, names)
		}
	}
}

func measureMapping(t *testing.T, tr *trace.Trace, acc, mapping string, opts sim.Options, sets []string, seeds int, names []string) {
	t.Helper()
	{
		mapper, ok := mappers[mapping]
		if !ok {
			t.Fatalf("EDGESERVE_SIM_MAPPING %q: want shared or per-function", mapping)
		}
		worst := map[string]float64{}
		for _, set := range sets {
			models, err := profile.Load(set, profile.LoadDefault)
			if err != nil {
				t.Fatalf("profile set %s: %v", set, err)
			}
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				w, err := mapper(tr, models, seed)
				if err != nil {
					t.Fatal(err)
				}
				for _, frac := range []float64{0.10, 0.25, 0.50} {
					measurePoint(t, w, acc+" "+mapping+" "+set, seed, frac, names, worst, opts)
				}
			}
		}
		fmt.Printf("%s %s: smallest gap closed:", acc, mapping)
		for _, n := range names {
			fmt.Printf(" %s %.0f%%", n, 100*worst[n])
		}
		fmt.Println()
	}
}

// servingSuffix names a policy's NewServing form in EDGESERVE_SIM_POLICIES
// ("edgeserve-serving": EdgeServe as the node's cache runs it, without
// admission control).
const servingSuffix = "-serving"

// mappers are the trace-to-profile mappings by EDGESERVE_SIM_MAPPING name.
var mappers = map[string]func(*trace.Trace, []profile.Model, uint64) (*sim.Workload, error){
	"shared":       sim.MapShared,
	"per-function": sim.MapRoundRobin,
}

func measurePoint(t *testing.T, w *sim.Workload, set string, seed uint64, frac float64, names []string, worst map[string]float64, opts sim.Options) {
	t.Helper()
	capBytes := int64(frac * float64(w.TotalBytes()))
	lru := runPolicy(t, w, "lru", capBytes, opts).TotalLoadDelay
	feasible := FeasibleWith(w, capBytes, opts)
	bound := LowerBound(w, capBytes).TotalLoadDelay
	if bound > feasible.TotalLoadDelay || bound > lru {
		t.Errorf("%s seed %d cap %.2f: bound %v above feasible %v or LRU %v", set, seed, frac, bound, feasible.TotalLoadDelay, lru)
	}
	fmt.Printf("%-27s %4d %4.2f %10.0f %10.0f %-24s %6.3f", set, seed, frac, lru.Seconds(), feasible.TotalLoadDelay.Seconds(), feasible.Policy, ratio(bound, lru))
	for _, n := range names {
		d := runPolicy(t, w, n, capBytes, opts).TotalLoadDelay
		gap := float64(lru-d) / float64(lru-feasible.TotalLoadDelay)
		if v, ok := worst[n]; !ok || gap < v {
			worst[n] = gap
		}
		fmt.Printf(" | %6.3f %8.1f%% %6.1f%%", ratio(d, lru), 100*gap, 100*float64(lru-d)/float64(lru-bound))
	}
	fmt.Println()
}

func runPolicy(t *testing.T, w *sim.Workload, name string, capBytes int64, opts sim.Options) sim.Result {
	t.Helper()
	build := policy.New
	if serving, ok := strings.CutSuffix(name, servingSuffix); ok {
		build, name = policy.NewServing, serving
	}
	p, err := build(name, w.Entries())
	if err != nil {
		t.Fatal(err)
	}
	return sim.Run(w, p, capBytes, opts)
}

func readAzure(t *testing.T, path string, minutes int) *trace.Trace {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("azure sample: %v", err)
	}
	defer f.Close()
	cfg := trace.DefaultAzureConfig()
	cfg.Minutes = minutes
	tr, err := trace.ReadAzure(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func envString(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, key string, def int) int {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}
