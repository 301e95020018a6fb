package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

func TestCompare(t *testing.T) {
	s := time.Second
	results := []Result{
		{Policy: RefLRU, CapacityBytes: 100, TotalLoadDelay: 10 * s},
		{Policy: "x", CapacityBytes: 100, TotalLoadDelay: 7 * s},
		{Policy: RefFeasible, CapacityBytes: 100, TotalLoadDelay: 4 * s},
		{Policy: RefLowerBound, CapacityBytes: 100, TotalLoadDelay: 2 * s},
		{Policy: "x", CapacityBytes: 200, TotalLoadDelay: 3 * s},
	}
	rows := Compare(results, 400)
	x := rows[1]
	if x.CapacityFraction != 0.25 || *x.VsFeasible != 1.75 || *x.VsLowerBound != 3.5 || *x.VsLRU != 0.7 || *x.GapClosed != 0.5 {
		t.Fatalf("x at 100: %+v", x)
	}
	if *rows[0].GapClosed != 0 || *rows[2].GapClosed != 1 {
		t.Fatalf("gap closed: lru %v, feasible %v, want 0 and 1", *rows[0].GapClosed, *rows[2].GapClosed)
	}
	if y := rows[4]; y.VsFeasible != nil || y.VsLRU != nil || y.GapClosed != nil {
		t.Fatalf("without references at 200 the ratios must be nil: %+v", y)
	}
	var table, js bytes.Buffer
	if err := WriteTable(&table, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "1.750") || !strings.Contains(table.String(), "25% (100 B)") {
		t.Fatalf("table lacks x's ratio or the capacity:\n%s", table.String())
	}
	if err := WriteJSON(&js, rows); err != nil {
		t.Fatal(err)
	}
	var back []Row
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != 5 || *back[1].GapClosed != 0.5 || back[4].GapClosed != nil {
		t.Fatalf("json round trip: %v %+v", err, back)
	}
}

func smallWorkload(t *testing.T) *Workload {
	t.Helper()
	cfg := trace.DefaultSyntheticConfig()
	cfg.Duration, cfg.Models = 10*time.Minute, 40
	tr, err := trace.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := MapRoundRobin(tr, profile.Poster(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func lruContender() Contender {
	return Contender{Name: "lru", Run: func(w *Workload, c int64, o Options) (Result, error) {
		return Run(w, newTestLRU(len(w.Models)), c, o), nil
	}}
}

func TestEvaluate(t *testing.T) {
	w := smallWorkload(t)
	var progress atomic.Int64
	fractions := []float64{0.1, 0.25, 0.5}
	results, err := Evaluate(context.Background(), w, []Contender{lruContender(), {Name: "copy", Run: lruContender().Run}},
		EvalConfig{CapacityFractions: fractions, Parallel: 3, Progress: func(d int) { progress.Add(int64(d)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 6 {
		t.Fatalf("%d results, want 6", len(results))
	}
	for i, r := range results {
		c := int64(fractions[i/2]*float64(w.TotalBytes()) + 0.5)
		want := Run(w, newTestLRU(len(w.Models)), c, Options{})
		want.Policy = []string{"lru", "copy"}[i%2]
		if r != want {
			t.Fatalf("result %d: %+v, want %+v", i, r, want)
		}
	}
	if results[0].HitRatio >= results[4].HitRatio {
		t.Fatalf("hit ratio does not grow with capacity: %v at 10%%, %v at 50%%", results[0].HitRatio, results[4].HitRatio)
	}
	if got, want := progress.Load(), int64(6*len(w.Requests)); got != want {
		t.Fatalf("progress summed to %d, want %d", got, want)
	}
	failing := Contender{Name: "broken", Run: func(*Workload, int64, Options) (Result, error) { return Result{}, errors.New("boom") }}
	if _, err := Evaluate(context.Background(), w, []Contender{failing}, EvalConfig{CapacityFractions: fractions}); err == nil {
		t.Fatal("a failing contender's error was lost")
	}
	if _, err := Evaluate(context.Background(), w, nil, EvalConfig{CapacityFractions: []float64{-1}}); !errors.Is(err, ErrInvalidEval) {
		t.Fatalf("negative capacity: err = %v", err)
	}
}

func TestSavePlot(t *testing.T) {
	s := time.Second
	rows := Compare([]Result{
		{Policy: "lru", CapacityBytes: 50, TotalLoadDelay: 9 * s},
		{Policy: "gdsf", CapacityBytes: 50, TotalLoadDelay: 6 * s},
		{Policy: "lru", CapacityBytes: 25, TotalLoadDelay: 20 * s},
		{Policy: "gdsf", CapacityBytes: 25, TotalLoadDelay: 12 * s},
	}, 100)
	dir := t.TempDir()
	pngFile := filepath.Join(dir, "delay.png")
	if err := SavePlot(pngFile, rows, "test"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 400 {
		t.Fatalf("png: %v, %v", err, img)
	}
	svgFile := filepath.Join(dir, "delay.svg")
	if err := SavePlot(svgFile, rows, "test"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(svgFile); !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("gdsf")) {
		t.Fatal("svg lacks the svg element or the legend")
	}
	// A zero delay (the lower bound at a large capacity) cannot go on a
	// log scale; the plot falls back to a linear one.
	zero := append(rows, Row{Result: Result{Policy: "lower-bound", CapacityBytes: 50}, CapacityFraction: 0.5})
	if err := SavePlot(filepath.Join(dir, "zero.png"), zero, "test"); err != nil {
		t.Fatal(err)
	}
	if err := SavePlot(filepath.Join(dir, "x.jpg"), rows, "t"); !errors.Is(err, ErrPlotFormat) {
		t.Fatalf("jpg: err = %v", err)
	}
}
