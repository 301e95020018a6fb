package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// The contender names Compare measures every policy against.
const (
	RefLRU        = "lru"
	RefFeasible   = "feasible"
	RefLowerBound = "lower-bound"
)

// Row is one contender at one capacity, with its cost relative to the
// references at that capacity. A ratio is nil when its reference is
// missing or zero.
type Row struct {
	Result
	CapacityFraction float64 `json:"CapacityFraction"`
	// VsFeasible, VsLowerBound and VsLRU divide this total load delay by
	// the reference's.
	VsFeasible   *float64 `json:"VsFeasible"`
	VsLowerBound *float64 `json:"VsLowerBound"`
	VsLRU        *float64 `json:"VsLRU"`
	// GapClosed is (LRU - this) / (LRU - feasible): 0 for LRU, 1 for the
	// feasible offline schedule.
	GapClosed *float64 `json:"GapClosed"`
	// FeasibleBy names the offline schedule that was the best feasible
	// one at this capacity (empty without the feasible reference).
	FeasibleBy string `json:"FeasibleBy,omitempty"`
}

// Compare computes each result's ratios to the references at the same
// capacity; totalBytes (the workload's) turns capacities into fractions.
func Compare(results []Result, totalBytes int64) []Row {
	refs := map[int64]map[string]time.Duration{}
	feasibleBy := map[int64]string{}
	for _, r := range results {
		if refs[r.CapacityBytes] == nil {
			refs[r.CapacityBytes] = map[string]time.Duration{}
		}
		refs[r.CapacityBytes][r.Policy] = r.TotalLoadDelay
		if r.Policy == RefFeasible {
			feasibleBy[r.CapacityBytes] = r.Schedule
		}
	}
	rows := make([]Row, len(results))
	for i, r := range results {
		ref := refs[r.CapacityBytes]
		rows[i] = Row{Result: r, VsFeasible: ratio(r.TotalLoadDelay, ref, RefFeasible),
			VsLowerBound: ratio(r.TotalLoadDelay, ref, RefLowerBound), VsLRU: ratio(r.TotalLoadDelay, ref, RefLRU),
			FeasibleBy: feasibleBy[r.CapacityBytes]}
		if totalBytes > 0 {
			rows[i].CapacityFraction = float64(r.CapacityBytes) / float64(totalBytes)
		}
		lru, okL := ref[RefLRU]
		feas, okF := ref[RefFeasible]
		if okL && okF && lru != feas {
			g := float64(lru-r.TotalLoadDelay) / float64(lru-feas)
			rows[i].GapClosed = &g
		}
	}
	return rows
}

func ratio(v time.Duration, ref map[string]time.Duration, name string) *float64 {
	d, ok := ref[name]
	if !ok || d == 0 {
		return nil
	}
	x := float64(v) / float64(d)
	return &x
}

// WriteJSON writes rows as an indented JSON array; durations are in
// nanoseconds.
func WriteJSON(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rows); err != nil {
		return fmt.Errorf("sim: write json: %w", err)
	}
	return nil
}

// WriteTable writes rows as an aligned text table.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "capacity\tpolicy\trequests\thit ratio\tbyte hit\tforwarded\ttotal delay\tp99 delay\t/feasible\t/lower bound\t/lru\tgap closed\t")
	prev := int64(-1)
	for _, r := range rows {
		if r.CapacityBytes != prev && prev >= 0 {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t\t")
		}
		prev = r.CapacityBytes
		hit, byteHit, p99 := fmt.Sprintf("%.4f", r.HitRatio), fmt.Sprintf("%.4f", r.ByteHitRatio), seconds(r.P99LoadDelay)
		fwd := "-"
		if r.Requests > 0 {
			fwd = fmt.Sprintf("%.4f", float64(r.Forwards)/float64(r.Requests))
		}
		if r.Policy == RefLowerBound { // only its total is meaningful
			hit, byteHit, p99, fwd = "-", "-", "-", "-"
		}
		fmt.Fprintf(tw, "%.0f%% (%s)\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			100*r.CapacityFraction, bytesString(r.CapacityBytes), r.Policy, r.Requests, hit, byteHit, fwd,
			seconds(r.TotalLoadDelay), p99, opt(r.VsFeasible), opt(r.VsLowerBound), opt(r.VsLRU), opt(r.GapClosed))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("sim: write table: %w", err)
	}
	return nil
}

func opt(x *float64) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *x)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func bytesString(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%d B", b)
}
