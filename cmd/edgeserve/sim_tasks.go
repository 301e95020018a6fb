package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgeserve/edgeserve/placement/offline"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// tasksFlags are sim tasks' flags.
type tasksFlags struct {
	traceFlags
	budgets     []string
	budgetSeed  uint64
	capacities  []float64
	contenders  []string
	policy      string
	pointCost   time.Duration
	loadSlots   int
	noUpgrades  bool
	noFallbacks bool
	parallel    int
	json        bool
}

// Contender names of sim tasks.
const (
	conTaskSub   = "task-substitutes"
	conTaskPlain = "task-plain"
	conMostAcc   = "most-accurate"
	conFastest   = "fastest"
)

var taskContenderNames = []string{conTaskSub, conTaskPlain, conMostAcc, conFastest}

func newSimTasksCmd() *cobra.Command {
	f := &tasksFlags{}
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "Replay requests that name a task, choosing among its equivalent models",
		Long: `Replay a trace (by default the Azure Functions 2019 sample, found by
$EDGESERVE_AZURE or in ../shared) in which every trace model (an Azure
function) is a task, a tenant's application with its own copy of the
image-classification family: the poster's 11 CNNs, with Table I's sizes,
load and run times and the zoo catalog's top-5 accuracies. Each task has a
latency budget drawn between LO and HI times the family's fastest run
(--budgets, one table block per range; seeded by --budget-seed).

Contenders:
  task-substitutes  each request served by the variant placement/variant
                    chooses with the cache's state (the most accurate one
                    whose predicted latency meets the budget, else the
                    fastest), the policy told which loaded equivalent could
                    stand in for each model (policy.SetSubstitute)
  task-plain        the same choice, the policy not told
  most-accurate     always the family's most accurate model
  fastest           always the family's fastest model
The task-aware contenders keep each task's fallback, its smallest variant
whose run meets the budget, loaded from the task's first request on, in
memory reserved up front (--no-fallbacks: not); and offer the policy a
task's preferred variant (the most accurate whose run meets the budget)
when a less accurate one served, so that it loads in the background if the
policy admits it (--no-upgrades: not). All contenders use --policy (with
admission control: a declined miss is served from a transient load, as in
"edgeserve sim"; a name ending in "` + offline.ServingSuffix + `" is the policy's
serving form, as the node runs it, which never declines).

Per contender: mean accuracy served, the same counting late answers as 0,
budget misses, total load delay, p50 and p99 latency (docs/tasks.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimTasks(cmd, f) },
	}
	f.traceFlags.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringSliceVar(&f.budgets, "budgets", []string{"1.5-3", "4-16"}, "budget ranges LO-HI, in multiples of the family's fastest run (25.7 ms)")
	fs.Uint64Var(&f.budgetSeed, "budget-seed", 1, "seed of the tasks' budgets")
	fs.Float64SliceVar(&f.capacities, "capacities", []float64{0.01, 0.03, 0.10}, "capacities as fractions of all model bytes (every task's copy of every variant)")
	fs.StringSliceVar(&f.contenders, "contenders", taskContenderNames, "contenders: "+strings.Join(taskContenderNames, ", "))
	fs.StringVar(&f.policy, "policy", "edgeserve", "cache policy: "+strings.Join(policy.Names(), ", ")+" (NAME"+offline.ServingSuffix+": its serving form)")
	fs.DurationVar(&f.pointCost, "accuracy-point-cost", policy.DefaultAccuracyPointCost, "what a percentage point of accuracy is worth in a substitute's cost")
	fs.IntVar(&f.loadSlots, "load-slots", 0, "loads in progress at once (0: unlimited)")
	fs.BoolVar(&f.noUpgrades, "no-upgrades", false, "task-aware contenders: never load the preferred variant in the background")
	fs.BoolVar(&f.noFallbacks, "no-fallbacks", false, "task-aware contenders: do not keep each task's smallest variant that meets its budget")
	fs.IntVar(&f.parallel, "parallel", 0, "replays to run at once (default: one per CPU)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table (accuracies as fractions, durations in ns)")
	return cmd
}

func runSimTasks(cmd *cobra.Command, f *tasksFlags) error {
	ranges, err := parseBudgetRanges(f.budgets)
	if err != nil {
		return err
	}
	family, err := imageClassificationFamily()
	if err != nil {
		return err
	}
	contenders, err := f.taskContenders(family)
	if err != nil {
		return err
	}
	tr, err := f.tasksTrace()
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "trace: %d requests over %d tasks of %d models\n", len(tr.Requests), len(tr.Models), len(family))
	var all []sim.TaskResult
	for _, r := range ranges {
		w, err := sim.MapTasks(tr, family, r, f.budgetSeed)
		if err != nil {
			return err
		}
		bar := newProgressBar(cmd.ErrOrStderr(), int64(len(w.Requests)*len(contenders)*len(f.capacities)), "budget "+r.String())
		res, err := sim.EvaluateTasks(cmd.Context(), w, contenders, sim.TaskEval{
			CapacityFractions: f.capacities, Parallel: f.parallel, Progress: func(d int) { _ = bar.Add(d) },
			Config: sim.TaskConfig{AccuracyPointCost: f.pointCost, LoadSlots: f.loadSlots},
		})
		_ = bar.Finish()
		if err != nil {
			return err
		}
		all = append(all, res...)
	}
	if f.json {
		return sim.WriteTaskJSON(cmd.OutOrStdout(), all)
	}
	return sim.WriteTaskTable(cmd.OutOrStdout(), all)
}

// tasksTrace loads the trace the flags name, by default the Azure sample.
func (f *tasksFlags) tasksTrace() (*trace.Trace, error) {
	if f.csvFile == "" && f.azure == "" && !f.synthetic {
		dir, err := trace.FindAzureSample()
		if err != nil {
			return nil, fmt.Errorf("%w: give --azure, --trace or --synthetic", err)
		}
		f.azure = dir
	}
	return f.load()
}

// taskContenders resolves --contenders and checks the other settings
// before the trace is read.
func (f *tasksFlags) taskContenders(family []sim.Variant) ([]sim.TaskContender, error) {
	base, serving := strings.CutSuffix(f.policy, offline.ServingSuffix)
	if !slices.Contains(policy.Names(), base) {
		return nil, fmt.Errorf("--policy %q: want one of %s", f.policy, strings.Join(policy.Names(), ", "))
	}
	if f.pointCost < 0 || f.loadSlots < 0 {
		return nil, fmt.Errorf("--accuracy-point-cost %v and --load-slots %d must not be negative", f.pointCost, f.loadSlots)
	}
	for _, c := range f.capacities {
		if c <= 0 || c > 1 {
			return nil, fmt.Errorf("--capacities: %v is not in (0, 1]", c)
		}
	}
	mostAcc := indexOfMax(family, func(a, b sim.Variant) int { return cmp.Compare(a.Accuracy, b.Accuracy) })
	fastest := indexOfMax(family, func(a, b sim.Variant) int { return cmp.Compare(b.RunTime, a.RunTime) })
	byName := map[string]sim.TaskContender{
		conTaskSub:   {Variant: sim.ByTask, Substitutes: true, Upgrades: !f.noUpgrades, Fallbacks: !f.noFallbacks},
		conTaskPlain: {Variant: sim.ByTask, Upgrades: !f.noUpgrades, Fallbacks: !f.noFallbacks},
		conMostAcc:   {Variant: mostAcc},
		conFastest:   {Variant: fastest},
	}
	var out []sim.TaskContender
	for _, name := range f.contenders {
		c, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("--contenders: unknown %q (want %s)", name, strings.Join(taskContenderNames, ", "))
		}
		c.Name, c.Policy = name, f.policy
		if serving {
			c.NewPolicy = func(m []policy.Entry) (policy.Policy, error) { return policy.NewServing(base, m) }
		}
		out = append(out, c)
	}
	return out, nil
}

// indexOfMax is the index of the greatest element by cmp (the first of
// equals).
func indexOfMax[T any](xs []T, cmp func(a, b T) int) int {
	best := 0
	for i := range xs {
		if cmp(xs[i], xs[best]) > 0 {
			best = i
		}
	}
	return best
}

// parseBudgetRanges reads --budgets: each "LO-HI" with 0 < LO <= HI.
func parseBudgetRanges(specs []string) ([]sim.BudgetRange, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("--budgets: give at least one range LO-HI")
	}
	out := make([]sim.BudgetRange, len(specs))
	for i, s := range specs {
		lo, hi, ok := strings.Cut(s, "-")
		a, errA := strconv.ParseFloat(lo, 64)
		b, errB := strconv.ParseFloat(hi, 64)
		if !ok || errA != nil || errB != nil || !(a > 0) || !(b >= a) || b > 1e6 {
			return nil, fmt.Errorf("--budgets %q: want LO-HI with 0 < LO <= HI (multiples of the fastest run)", s)
		}
		out[i] = sim.BudgetRange{Lo: a, Hi: b}
	}
	return out, nil
}
