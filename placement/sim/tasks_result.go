package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// TaskResult summarises one replay of a TaskWorkload by one contender.
type TaskResult struct {
	Contender string
	Policy    string
	// Budget is the range the tasks' budgets were drawn from, in
	// multiples of the family's fastest run ("1.5-3"; empty when the
	// budgets were given).
	Budget           string
	CapacityBytes    int64
	CapacityFraction float64
	Requests         int
	// MeanAccuracy is the mean accuracy of the models that served, a
	// fraction; OnTimeAccuracy counts an answer that missed its budget as
	// accuracy 0 (a late answer is worth nothing).
	MeanAccuracy, OnTimeAccuracy float64
	// AccuracyBound is the mean accuracy of each request's preferred
	// variant, the most accurate whose run meets the budget: no answer
	// within the budget is more accurate, so it bounds OnTimeAccuracy.
	AccuracyBound float64
	// BudgetMisses counts answers later than their task's budget;
	// BudgetMissShare is their share of the requests.
	BudgetMisses    int
	BudgetMissShare float64
	// TotalLoadDelay sums the time requests waited for loads (and load
	// slots); P50Latency and P99Latency are nearest-rank percentiles of
	// the time to the answer (the wait plus the run).
	TotalLoadDelay         time.Duration
	P50Latency, P99Latency time.Duration
	// Hits counts requests whose model was resident (DelayedHits of them
	// still loading); Loads the misses loaded here, TransientLoads those
	// the policy declined to cache (served from a transient load, as in
	// Run); Upgrades, Fallbacks and Preloads the loads nobody waited for.
	Hits, DelayedHits, Loads, TransientLoads, Upgrades, Fallbacks, Preloads int
	// Served counts the requests each variant served, by name.
	Served map[string]int
}

// taskTally accumulates a TaskResult request by request.
type taskTally struct {
	requests, hits, delayed, loads, transient, upgrades, fallbacks, preloads, late int
	accuracy, onTime, bound                                                        float64
	loadDelay                                                                      time.Duration
	latencies                                                                      []time.Duration
	byVariant                                                                      []int
}

func newTaskTally(requests, variants int) taskTally {
	return taskTally{latencies: make([]time.Duration, 0, requests), byVariant: make([]int, variants)}
}

func (t *taskTally) hit(wait time.Duration) {
	t.hits++
	if wait > 0 {
		t.delayed++
	}
}

// served records a request that v answered after waiting wait for a
// load; bound is the accuracy of the task's preferred variant.
func (t *taskTally) served(v int, fam Variant, wait, budget time.Duration, bound float64) {
	t.requests++
	t.bound += bound
	t.byVariant[v]++
	t.loadDelay += wait
	lat := wait + fam.RunTime
	t.latencies = append(t.latencies, lat)
	t.accuracy += fam.Accuracy
	if lat > budget {
		t.late++
		return
	}
	t.onTime += fam.Accuracy
}

func (r *taskRun) result() TaskResult {
	t := &r.tally
	res := TaskResult{
		Contender: r.con.Name, Policy: r.p.Name(), CapacityBytes: r.cfg.CapacityBytes, Requests: t.requests,
		BudgetMisses: t.late, TotalLoadDelay: t.loadDelay,
		Hits: t.hits, DelayedHits: t.delayed, Loads: t.loads, TransientLoads: t.transient,
		Upgrades: t.upgrades, Fallbacks: t.fallbacks, Preloads: t.preloads, Served: map[string]int{},
	}
	if r.w.Range != (BudgetRange{}) {
		res.Budget = r.w.Range.String()
	}
	if total := r.w.TotalBytes(); total > 0 {
		res.CapacityFraction = float64(r.cfg.CapacityBytes) / float64(total)
	}
	if t.requests > 0 {
		n := float64(t.requests)
		res.MeanAccuracy, res.OnTimeAccuracy, res.BudgetMissShare = t.accuracy/n, t.onTime/n, float64(t.late)/n
		res.AccuracyBound = t.bound / n
	}
	slices.Sort(t.latencies)
	res.P50Latency, res.P99Latency = nearestRank(t.latencies, 0.50), nearestRank(t.latencies, 0.99)
	for v, n := range t.byVariant {
		if n > 0 {
			res.Served[r.w.Family[v].Name] = n
		}
	}
	return res
}

// nearestRank is the q-quantile of sorted (0 when empty).
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// WriteTaskJSON writes results as a JSON array (durations in ns).
func WriteTaskJSON(w io.Writer, results []TaskResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// WriteTaskTable writes results as an aligned table.
func WriteTaskTable(w io.Writer, results []TaskResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "budget\tcapacity\tcontender\tmean acc\ton-time acc\tbound\tbudget misses\tmiss share\tload delay\tp50\tp99\tloads\tupgrades\tfallbacks\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.3g%% (%s)\t%s\t%.2f\t%.2f\t%.2f\t%d\t%.2f%%\t%s\t%s\t%s\t%d\t%d\t%d\t\n",
			r.Budget, 100*r.CapacityFraction, bytesString(r.CapacityBytes), r.Contender, 100*r.MeanAccuracy, 100*r.OnTimeAccuracy, 100*r.AccuracyBound,
			r.BudgetMisses, 100*r.BudgetMissShare, seconds(r.TotalLoadDelay), taskMillis(r.P50Latency), taskMillis(r.P99Latency),
			r.Loads+r.TransientLoads, r.Upgrades, r.Fallbacks)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("sim: write table: %w", err)
	}
	return nil
}

func taskMillis(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }
