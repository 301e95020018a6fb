package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// benchReport is the JSON document `bench runtime --json` writes; the
// simulator reads it, so the field names are a contract.
type benchReport struct {
	ORTVersion string       `json:"ort_version"`
	CPU        string       `json:"cpu"`
	Threads    int          `json:"threads"`
	Reps       int          `json:"reps"`
	Models     []benchModel `json:"models"`
	Summary    benchSummary `json:"summary"`
}

type benchModel struct {
	Name         string     `json:"name"`
	FileBytes    int64      `json:"file_bytes"`
	Params       int64      `json:"params"`
	MemoryBytes  int64      `json:"memory_bytes"`
	PrepareMS    float64    `json:"prepare_ms"`
	LoadMS       benchPaths `json:"load_ms"`
	FirstRunMS   benchPaths `json:"first_run_ms"`
	WarmRunMS    benchStat  `json:"warm_run_ms"`
	MissHitRatio benchRatio `json:"miss_hit_ratio"`
	// FastWarmRunMS is the warm runs of the prepared form (WarmRunMS is
	// the default form's).
	FastWarmRunMS benchStat `json:"fast_warm_run_ms"`
	// AnonymousBytes and MappedBytes are the two tiers of the measured
	// memory: what the node cannot give back, and the mapped weights the
	// kernel can.
	AnonymousBytes benchBytes `json:"anonymous_bytes"`
	MappedBytes    benchBytes `json:"mapped_bytes"`
	// NodeMissHitRatio is a miss as a node sees it: the fast load plus the
	// request's own first run, over a warm run of the fast form.
	NodeMissHitRatio float64 `json:"node_miss_hit_ratio"`
	fastMemory       int64   // memory of the prepared form: table only
}

type benchBytes struct {
	Default int64 `json:"default"`
	Fast    int64 `json:"fast"`
}

// benchWarm is the warm runs of both forms.
type benchWarm struct{ Default, Fast benchStat }

type benchPaths struct {
	Default benchStat `json:"default"`
	Fast    benchStat `json:"fast"`
}

type benchStat struct {
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
}

type benchRatio struct {
	Default float64 `json:"default"`
	Fast    float64 `json:"fast"`
}

type benchSummary struct {
	Models5MB      int     `json:"models_5mb"`
	FastSpeedup5MB float64 `json:"fast_load_speedup_median_5mb"`
}

// summaryMinBytes: the summary covers models of at least 5 MB (10^6 bytes).
const summaryMinBytes = 5_000_000

// quantiles is the median and the 95th percentile (nearest rank).
func quantiles(vals []float64) benchStat {
	s := slices.Clone(vals)
	slices.Sort(s)
	return benchStat{Median: median(s), P95: s[min(len(s)-1, (len(s)*95+99)/100-1)]}
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func missHit(load, first, warm benchStat) float64 {
	if warm.Median <= 0 {
		return 0
	}
	return (load.Median + first.Median) / warm.Median
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summarize is the median over models of at least 5 MB of the default load
// time over the fast load time.
func summarize(models []benchModel) benchSummary {
	var ratios []float64
	for _, m := range models {
		if m.FileBytes >= summaryMinBytes && m.LoadMS.Fast.Median > 0 {
			ratios = append(ratios, m.LoadMS.Default.Median/m.LoadMS.Fast.Median)
		}
	}
	s := benchSummary{Models5MB: len(ratios)}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		s.FastSpeedup5MB = median(ratios)
	}
	return s
}

// readBenchManifest reads NAME.json next to the model if present; the
// file's name and size stand in for a missing manifest.
func readBenchManifest(path string) benchModel {
	m := benchModel{Name: strings.TrimSuffix(filepath.Base(path), ".onnx")}
	if info, err := os.Stat(path); err == nil {
		m.FileBytes = info.Size()
	}
	b, err := os.ReadFile(strings.TrimSuffix(path, ".onnx") + ".json")
	if err != nil {
		return m
	}
	var man struct {
		Name      string `json:"name"`
		Params    int64  `json:"params"`
		FileBytes int64  `json:"file_bytes"`
	}
	if json.Unmarshal(b, &man) == nil {
		m.Params = man.Params
		if man.Name != "" {
			m.Name = man.Name
		}
	}
	return m
}

// cpuModel is the CPU's model name from /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func printBenchTable(w io.Writer, r benchReport) error {
	fmt.Fprintf(w, "ONNX Runtime %s, %s, %d thread(s), median of %d fresh loads (page cache warm)\n\n", r.ORTVersion, r.CPU, r.Threads, r.Reps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tMB\tparams M\tprepare ms\tload ms\tfast load ms\tfirst run ms\tfast first ms\twarm ms\twarm p95\tfast warm ms\tmem MB\tfast mem MB\tmiss/hit\tfast miss/hit\tnode miss/hit\t")
	for _, m := range r.Models {
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%.0f\t%.1f\t%.2f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t\n",
			m.Name, float64(m.FileBytes)/1e6, float64(m.Params)/1e6, m.PrepareMS,
			m.LoadMS.Default.Median, m.LoadMS.Fast.Median, m.FirstRunMS.Default.Median, m.FirstRunMS.Fast.Median,
			m.WarmRunMS.Median, m.WarmRunMS.P95, m.FastWarmRunMS.Median,
			float64(m.MemoryBytes)/1e6, float64(m.fastMemory)/1e6, m.MissHitRatio.Default, m.MissHitRatio.Fast, m.NodeMissHitRatio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nmodels >= 5 MB: %d, median default/fast load time: %.1fx\n", r.Summary.Models5MB, r.Summary.FastSpeedup5MB)
	return err
}
