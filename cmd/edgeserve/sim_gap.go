package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/edgeserve/edgeserve/placement/offline"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// gapFlags are sim gap's flags.
type gapFlags struct {
	traceFlags
	profiles     []string
	loadPath     string
	mappings     []string
	mappingSeeds []uint
	capacities   []float64
	policies     []string
	accountings  []string
	parallel     int
	json         bool
	forward      forwardFlags
}

// gapPoint is one measured point with what it was measured on.
type gapPoint struct {
	Accounting       string  `json:"accounting"`
	Mapping          string  `json:"mapping"`
	Profiles         string  `json:"profiles"`
	MappingSeed      uint64  `json:"mapping_seed"`
	CapacityFraction float64 `json:"capacity_fraction"`
	// ForwardRTTMs is the forwarding forms' round trip to the peer.
	ForwardRTTMs float64 `json:"forward_rtt_ms"`
	offline.GapPoint
}

func newSimGapCmd() *cobra.Command {
	f := &gapFlags{}
	cmd := &cobra.Command{
		Use:   "gap",
		Short: "Measure how much of the LRU-to-offline gap each policy closes",
		Long: `Replay a trace (by default the Azure Functions 2019 sample, found by
$EDGESERVE_AZURE or in ../shared) mapped to each profile set with each
mapping seed, at each capacity and with each accounting, and place every
policy between LRU and the offline references. For each policy it prints
its load delay as a ratio to LRU's, the share of the LRU-to-offline gap it
closes, (LRU - policy) / (LRU - feasible), and the share of the
LRU-to-lower-bound gap, (LRU - policy) / (LRU - bound). A policy that
declines to cache hot models can close more than 100% of the first: the
feasible schedules are greedy heuristics, not the optimum. Last, the
smallest share each policy closes per accounting and mapping.

Accountings: delayed (loads take time, delayed hits: the simulator's
default) and instant (the classic accounting, sim.Options.InstantLoads).
Mappings: shared (each trace model is one of the profiled models) and
per-function (each trace model is its own model with a profile's costs).
Offline reference names are accepted too.

` + formsHelp + `
The offline references serve what they bypass from a transient load, so a
forwarding form, whose forwards cost a round trip, can close more than all
of both gaps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGap(cmd, f) },
	}
	f.traceFlags.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringSliceVar(&f.profiles, "profiles", []string{"poster", "m5", "zoo"}, "profile sets (zoo, poster, m5, or JSON files)")
	fs.StringVar(&f.loadPath, "load-path", string(profile.LoadDefault), "bench profiles: load path to use (default or fast)")
	fs.StringSliceVar(&f.mappings, "mapping", []string{"shared"}, "trace-to-profile mappings: shared, per-function")
	fs.UintSliceVar(&f.mappingSeeds, "mapping-seeds", []uint{1, 2, 3}, "seeds of the mappings")
	fs.Float64SliceVar(&f.capacities, "capacities", []float64{0.10, 0.25, 0.50}, "capacities as fractions of all model bytes")
	fs.StringSliceVar(&f.policies, "policies", []string{"lfu", "gdsf", "cremebrulee", "cremebrulee-decay", "edgeserve", "edgeserve-serving", "edgeserve-node"}, "policies to place")
	fs.StringSliceVar(&f.accountings, "accounting", []string{"delayed", "instant"}, "accountings: delayed, instant")
	fs.IntVar(&f.parallel, "parallel", 0, "points to replay at once (default: one per CPU)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table (durations in ns)")
	f.forward.register(fs)
	return cmd
}

func runGap(cmd *cobra.Command, f *gapFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	tr, err := f.trace()
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "trace: %d requests over %d models\n", len(tr.Requests), len(tr.Models))
	points, err := f.measure(cmd, tr)
	if err != nil {
		return err
	}
	if f.json {
		return writeGapJSON(cmd.OutOrStdout(), points, f.policies)
	}
	return writeGapTable(cmd.OutOrStdout(), points, f.policies)
}

// check refuses unknown accountings, mappings and policies before the
// trace is read.
func (f *gapFlags) check() error {
	for _, a := range f.accountings {
		if a != "delayed" && a != "instant" {
			return fmt.Errorf("--accounting %q: want delayed or instant", a)
		}
	}
	for _, m := range f.mappings {
		if _, ok := gapMappers[m]; !ok {
			return fmt.Errorf("--mapping %q: want shared or per-function", m)
		}
	}
	for _, p := range f.policies {
		if !sim.IsOnline(p) && !slices.Contains(offline.Names(), p) {
			return fmt.Errorf("--policies: unknown policy %q (policies: %s, each optionally with a form suffix %s; offline: %s)", p,
				strings.Join(policy.Names(), ", "), strings.Join(formSuffixes, " "), strings.Join(offline.Names(), ", "))
		}
	}
	if _, err := f.forward.peer(); err != nil {
		return err
	}
	for _, c := range f.capacities {
		if c <= 0 || c > 1 {
			return fmt.Errorf("--capacities: %v is not in (0, 1]", c)
		}
	}
	return nil
}

// gapMappers are the trace-to-profile mappings by --mapping name.
var gapMappers = map[string]func(*trace.Trace, []profile.Model, uint64) (*sim.Workload, error){
	"shared":       sim.MapShared,
	"per-function": sim.MapRoundRobin,
}

// trace loads the trace the flags name, by default the Azure sample.
func (f *gapFlags) trace() (*trace.Trace, error) {
	if f.csvFile == "" && f.azure == "" && !f.synthetic {
		dir, err := trace.FindAzureSample()
		if err != nil {
			return nil, fmt.Errorf("%w: give --azure, --trace or --synthetic", err)
		}
		f.azure = dir
	}
	return f.load()
}

// measure replays every point. One workload (a mapping of the trace) is
// held at a time; its points replay in parallel.
func (f *gapFlags) measure(cmd *cobra.Command, tr *trace.Trace) ([]gapPoint, error) {
	total := len(f.mappings) * len(f.profiles) * len(f.mappingSeeds) * len(f.accountings) * len(f.capacities)
	bar := newProgressBar(cmd.ErrOrStderr(), int64(total), "gap points")
	defer bar.Finish() //nolint:errcheck // display only
	var points []gapPoint
	for _, mapping := range f.mappings {
		for _, set := range f.profiles {
			models, err := profile.Load(set, profile.LoadPath(f.loadPath))
			if err != nil {
				return nil, fmt.Errorf("profile set %s: %w", set, err)
			}
			for _, seed := range f.mappingSeeds {
				w, err := gapMappers[mapping](tr, models, uint64(seed))
				if err != nil {
					return nil, err
				}
				base := gapPoint{Mapping: mapping, Profiles: set, MappingSeed: uint64(seed)}
				ps, err := f.measureWorkload(cmd, w, base, func() { _ = bar.Add(1) })
				if err != nil {
					return nil, err
				}
				points = append(points, ps...)
			}
		}
	}
	sortGapPoints(points, f.accountings)
	return points, nil
}

// measureWorkload replays each accounting and capacity on w in parallel.
func (f *gapFlags) measureWorkload(cmd *cobra.Command, w *sim.Workload, base gapPoint, done func()) ([]gapPoint, error) {
	points := make([]gapPoint, 0, len(f.accountings)*len(f.capacities))
	for _, acc := range f.accountings {
		for _, frac := range f.capacities {
			p := base
			p.Accounting, p.CapacityFraction, p.ForwardRTTMs = acc, frac, f.forward.rttMs
			points = append(points, p)
		}
	}
	g, ctx := errgroup.WithContext(cmd.Context())
	g.SetLimit(f.workers())
	for i := range points {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := &points[i]
			capBytes := int64(p.CapacityFraction * float64(w.TotalBytes()))
			fwd, err := f.forward.peer()
			if err != nil {
				return err
			}
			p.GapPoint, err = offline.Gap(w, capBytes, f.policies, sim.Options{InstantLoads: p.Accounting == "instant", Forward: fwd})
			done()
			return err
		})
	}
	return points, g.Wait()
}

func (f *gapFlags) workers() int {
	if f.parallel > 0 {
		return f.parallel
	}
	return runtime.NumCPU()
}

// sortGapPoints orders points by accounting (as given), then mapping,
// profile set, seed and capacity, as they were measured within each.
func sortGapPoints(points []gapPoint, accountings []string) {
	slices.SortStableFunc(points, func(a, b gapPoint) int {
		return slices.Index(accountings, a.Accounting) - slices.Index(accountings, b.Accounting)
	})
}
