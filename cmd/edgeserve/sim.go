package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/edgeserve/edgeserve/placement/offline"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

type simFlags struct {
	workloadFlags
	capacities []float64
	policies   []string
	parallel   int
	json       bool
	plot       string
	instant    bool
	references string
	forward    forwardFlags
}

func newSimCmd() *cobra.Command {
	f := &simFlags{}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Replay a trace against cache policies and offline references",
		Long: `Replay a request trace (a CSV file, the Azure Functions 2019 sample, or a
synthetic workload) against each cache policy and each offline reference at
each capacity, and report hit ratios and the load delay misses cost, as
ratios to LRU, to the best feasible offline schedule and to a lower bound.
The references lru, feasible and lower-bound are included unless
--references says otherwise (none: only the named contenders, so that one
policy can be timed alone; feasible: lru and feasible, for the share of
the gap closed; all: the default).

Policies: ` + strings.Join(policy.Names(), ", ") + `
Offline references: ` + strings.Join(offline.Names(), ", ") + `

` + formsHelp + `

By default loads take their profiled time, requests that arrive during a
load wait for it (delayed hits) and a loading model cannot be evicted;
--instant-loads uses the classic accounting of caching papers instead (a
miss costs one load time and nothing else).

"sim gap" measures, over many mappings, capacities and both accountings,
how much of the gap between LRU and the offline schedules each policy
closes; "sim cluster" replays the trace on a whole cluster of sites and
nodes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSim(cmd, f) },
	}
	cmd.AddCommand(newSimGapCmd(), newSimTasksCmd(), newSimClusterCmd())
	f.workloadFlags.register(cmd.Flags())
	cmd.Flags().Float64SliceVar(&f.capacities, "capacities", sim.DefaultCapacityFractions(), "capacities as fractions of all model bytes")
	cmd.Flags().StringSliceVar(&f.policies, "policies", nil, "policies and references to compare (default: all)")
	cmd.Flags().IntVar(&f.parallel, "parallel", 0, "replays to run at once (default: one per CPU)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON instead of a table (durations in ns)")
	cmd.Flags().StringVar(&f.plot, "plot", "", "also draw total load delay against capacity into this .png or .svg")
	cmd.Flags().BoolVar(&f.instant, "instant-loads", false, "classic accounting: loads complete at once, no delayed hits")
	cmd.Flags().StringVar(&f.references, "references", "all", "references added to --policies: none, feasible (lru and feasible) or all (lru, feasible, lower-bound)")
	f.forward.register(cmd.Flags())
	return cmd
}

func runSim(cmd *cobra.Command, f *simFlags) error {
	if f.plot != "" {
		if err := sim.CheckPlotFile(f.plot); err != nil {
			return err
		}
	}
	refs, ok := referenceSets[f.references]
	if !ok {
		return fmt.Errorf("--references %q: want none, feasible or all", f.references)
	}
	fwd, err := f.forward.peer()
	if err != nil {
		return err
	}
	w, took, err := f.workload()
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "workload: %d requests over %d models (%.2f GB), %v, built in %v\n",
		len(w.Requests), len(w.Models), float64(w.TotalBytes())/1e9, lastTime(w), took.Round(1e6))
	contenders, err := contendersFor(f.policies, refs)
	if err != nil {
		return err
	}
	bar := newProgressBar(cmd.ErrOrStderr(), int64(len(w.Requests)*len(contenders)*len(f.capacities)), "replaying")
	results, err := sim.Evaluate(cmd.Context(), w, contenders, sim.EvalConfig{
		CapacityFractions: f.capacities, Parallel: f.parallel,
		Progress: func(d int) { _ = bar.Add(d) }, InstantLoads: f.instant, Forward: fwd,
	})
	_ = bar.Finish()
	if err != nil {
		return err
	}
	rows := sim.Compare(results, w.TotalBytes())
	if f.plot != "" {
		if err := sim.SavePlot(f.plot, rows, "load delay vs capacity"); err != nil {
			return err
		}
	}
	if f.json {
		return sim.WriteJSON(cmd.OutOrStdout(), rows)
	}
	return sim.WriteTable(cmd.OutOrStdout(), rows)
}

// referenceSets are the references each --references value adds.
var referenceSets = map[string][]string{
	"none":     nil,
	"feasible": {sim.RefLRU, sim.RefFeasible},
	"all":      {sim.RefLRU, sim.RefFeasible, sim.RefLowerBound},
}

// contendersFor resolves names (all when empty) into contenders, adding
// the references refs that are not among them.
func contendersFor(names, refs []string) ([]sim.Contender, error) {
	if len(names) == 0 {
		names = append(policy.Names(), offline.Names()...)
	}
	for _, ref := range refs {
		if !contains(names, ref) {
			names = append(names, ref)
		}
	}
	out := make([]sim.Contender, 0, len(names))
	for _, name := range names {
		if contains(offline.Names(), name) {
			out = append(out, offlineContender(name))
			continue
		}
		if !sim.IsOnline(name) {
			return nil, fmt.Errorf("unknown policy %q (policies: %s, each optionally with a form suffix %s; offline: %s)", name,
				strings.Join(policy.Names(), ", "), strings.Join(formSuffixes, " "), strings.Join(offline.Names(), ", "))
		}
		out = append(out, onlineContender(name))
	}
	return out, nil
}

func onlineContender(name string) sim.Contender {
	return sim.Contender{Name: name, Run: func(w *sim.Workload, c int64, o sim.Options) (sim.Result, error) {
		return sim.Online(name, w, c, o)
	}}
}

func offlineContender(name string) sim.Contender {
	return sim.Contender{Name: name, Run: func(w *sim.Workload, c int64, o sim.Options) (sim.Result, error) {
		r, err := offline.Run(name, w, c, o)
		if err == nil && o.Progress != nil {
			o.Progress(len(w.Requests))
		}
		return r, err
	}}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func lastTime(w *sim.Workload) any {
	if len(w.Requests) == 0 {
		return "empty"
	}
	return w.Requests[len(w.Requests)-1].Time.Round(1e9)
}

// newProgressBar draws on w only when w is a terminal.
func newProgressBar(w io.Writer, total int64, what string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	visible := ok && term.IsTerminal(int(f.Fd()))
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w), progressbar.OptionSetVisibility(visible),
		progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100e6),
		progressbar.OptionClearOnFinish())
}
