package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// gapSummary is the smallest share of the LRU-to-offline gap a policy
// closes over the points of one accounting and mapping (nil when no point
// has a gap).
type gapSummary struct {
	Accounting string   `json:"accounting"`
	Mapping    string   `json:"mapping"`
	Policy     string   `json:"policy"`
	MinClosed  *float64 `json:"min_gap_closed"`
}

// summarizeGap gives each accounting and mapping's smallest share per policy,
// in the order of the points and their rows.
func summarizeGap(points []gapPoint) []gapSummary {
	var out []gapSummary
	index := map[[3]string]int{}
	for _, p := range points {
		for _, r := range p.Rows {
			key := [3]string{p.Accounting, p.Mapping, r.Policy}
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, gapSummary{Accounting: p.Accounting, Mapping: p.Mapping, Policy: r.Policy})
			}
			if r.Closed != nil && (out[i].MinClosed == nil || *r.Closed < *out[i].MinClosed) {
				v := *r.Closed
				out[i].MinClosed = &v
			}
		}
	}
	return out
}

func writeGapJSON(w io.Writer, points []gapPoint, policies []string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Points   []gapPoint   `json:"points"`
		Smallest []gapSummary `json:"smallest_gap_closed"`
	}{points, summarizeGap(points)})
}

// writeGapTable prints one line per point: LRU's and the feasible
// schedule's delays in seconds, the bound as a ratio to LRU, then each
// policy's ratio to LRU, gap closed and bound gap closed; then the
// smallest gap closed per accounting and mapping.
func writeGapTable(w io.Writer, points []gapPoint, policies []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "accounting\tmapping\tprofiles\tseed\tcap\tlru_s\tfeasible_s\tfeasible_by\tlb/lru\t")
	for _, n := range policies {
		fmt.Fprintf(tw, "| %s ratio\tgap\tlbgap\t", n)
	}
	fmt.Fprintln(tw)
	for _, p := range points {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.2f\t%.0f\t%.0f\t%s\t%s\t", p.Accounting, p.Mapping, p.Profiles, p.MappingSeed,
			p.CapacityFraction, p.LRU.Seconds(), p.Feasible.Seconds(), p.FeasibleBy, ratioOf(p.Bound, p.LRU))
		for _, r := range p.Rows {
			fmt.Fprintf(tw, "| %s\t%s\t%s\t", fmtShare(r.RatioToLRU, 1, "%.3f"), fmtShare(r.Closed, 100, "%.1f%%"), fmtShare(r.BoundClosed, 100, "%.1f%%"))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeSummary(w, summarizeGap(points))
}

func writeSummary(w io.Writer, sums []gapSummary) error {
	var line strings.Builder
	for i, s := range sums {
		if i == 0 || s.Accounting != sums[i-1].Accounting || s.Mapping != sums[i-1].Mapping {
			if line.Len() > 0 {
				fmt.Fprintln(w, line.String())
				line.Reset()
			}
			fmt.Fprintf(&line, "%s %s: smallest gap closed:", s.Accounting, s.Mapping)
		}
		fmt.Fprintf(&line, " %s %s", s.Policy, fmtShare(s.MinClosed, 100, "%.1f%%"))
	}
	if line.Len() > 0 {
		_, err := fmt.Fprintln(w, line.String())
		return err
	}
	return nil
}

func ratioOf(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

// fmtShare prints v x scale, or "-" for no value.
func fmtShare(v *float64, scale float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v*scale)
}
