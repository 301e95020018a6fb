package sim

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// ErrPlotFormat is returned for a plot file name that is neither .png nor
// .svg.
var ErrPlotFormat = errors.New("sim: plot file must end in .png or .svg")

// SavePlot draws total load delay (seconds) against capacity (fraction of
// the workload's model bytes), one line per contender, into file (.png or
// .svg).
func SavePlot(file string, rows []Row, title string) error {
	if err := CheckPlotFile(file); err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "capacity (fraction of all model bytes)"
	p.Y.Label.Text = "total load delay (s)"
	p.Legend.Top = true
	logY := allPositive(rows)
	if logY {
		// Delays span orders of magnitude across capacities.
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Label.Text += " (log scale)"
	}
	var lines []any
	for _, name := range contenderNames(rows) {
		lines = append(lines, name, points(rows, name))
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return fmt.Errorf("sim: plot: %w", err)
	}
	if !logY {
		p.Y.Min = 0
	}
	if err := p.Save(8*vg.Inch, 5*vg.Inch, file); err != nil {
		return fmt.Errorf("sim: plot: %w", err)
	}
	return nil
}

// CheckPlotFile reports whether SavePlot can write file's format, so that
// callers can reject a bad name before a long replay.
func CheckPlotFile(file string) error {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".png", ".svg":
		return nil
	}
	return fmt.Errorf("%w: %q", ErrPlotFormat, file)
}

func allPositive(rows []Row) bool {
	for _, r := range rows {
		if r.TotalLoadDelay <= 0 {
			return false
		}
	}
	return len(rows) > 0
}

// contenderNames lists the contenders in order of first appearance.
func contenderNames(rows []Row) []string {
	var names []string
	for _, r := range rows {
		if !slices.Contains(names, r.Policy) {
			names = append(names, r.Policy)
		}
	}
	return names
}

func points(rows []Row, name string) plotter.XYs {
	var xy plotter.XYs
	for _, r := range rows {
		if r.Policy == name {
			xy = append(xy, plotter.XY{X: r.CapacityFraction, Y: r.TotalLoadDelay.Seconds()})
		}
	}
	slices.SortFunc(xy, func(a, b plotter.XY) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
	return xy
}
