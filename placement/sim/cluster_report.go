package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WriteClusterTable writes one line per result: latencies in ms, load
// delay in s, the hit/load/forward shares, memory held as a fraction of
// every model on every node, and bytes moved between sites.
func WriteClusterTable(w io.Writer, results []ClusterResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "memory\tcontender\trequests\tp50 ms\tp95 ms\tp99 ms\tmean ms\tload delay s\thit\tload\tforward\theld\tGB between sites\t")
	for i, r := range results {
		if i > 0 && r.MemoryFraction != results[i-1].MemoryFraction {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t\t\t")
		}
		fmt.Fprintf(tw, "%.0f%%\t%s\t%d\t%s\t%s\t%s\t%s\t%.1f\t%.4f\t%.4f\t%.4f\t%.4f\t%.3f\t\n",
			100*r.MemoryFraction, r.Contender, r.Requests, millis(r.P50), millis(r.P95), millis(r.P99), millis(r.Mean),
			r.TotalLoadDelay.Seconds(), r.HitShare, r.LoadShare, r.ForwardShare, r.HeldFraction, float64(r.BytesBetweenSites)/1e9)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("sim: write table: %w", err)
	}
	return nil
}

func millis(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// WriteClusterJSON writes the results as an indented JSON array.
func WriteClusterJSON(w io.Writer, results []ClusterResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		return fmt.Errorf("sim: write json: %w", err)
	}
	return nil
}

// SaveClusterPlot draws p99 latency (ms, log scale) against memory
// fraction, one line per contender, into file (.png or .svg).
func SaveClusterPlot(file string, results []ClusterResult, title string) error {
	if err := CheckPlotFile(file); err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "memory per node (fraction of all model bytes)"
	p.Y.Label.Text = "p99 latency (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	var lines []any
	var names []ClusterContender
	for _, r := range results {
		if !slices.Contains(names, r.Contender) {
			names = append(names, r.Contender)
		}
	}
	for _, name := range names {
		var xy plotter.XYs
		for _, r := range results {
			if r.Contender == name {
				xy = append(xy, plotter.XY{X: r.MemoryFraction, Y: max(float64(r.P99)/float64(time.Millisecond), 1e-3)})
			}
		}
		lines = append(lines, string(name), xy)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return fmt.Errorf("sim: plot: %w", err)
	}
	if err := p.Save(8*vg.Inch, 5*vg.Inch, file); err != nil {
		return fmt.Errorf("sim: plot: %w", err)
	}
	return nil
}
