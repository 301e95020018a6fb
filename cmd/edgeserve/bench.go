package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
)

// benchFlags are the options of `edgeserve bench runtime`.
type benchFlags struct {
	models  string
	json    bool
	reps    int
	threads int
	lib     string
}

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmark EdgeServe components"}
	cmd.AddCommand(newBenchRuntimeCmd())
	return cmd
}

func newBenchRuntimeCmd() *cobra.Command {
	f := benchFlags{reps: 5, threads: 1, lib: os.Getenv(ort.LibraryEnv)}
	cmd := &cobra.Command{
		Use:   "runtime --models DIR [--json] [--reps N] [--threads N]",
		Short: "Measure load, first-run and warm-run times and memory of every model in DIR",
		Long: "For every *.onnx in DIR: load time with ONNX Runtime's default load and with the prepared\n" +
			"fast-loading form (median and p95 over --reps fresh loads, page cache warm), first-run time,\n" +
			"warm-run time, measured memory and the miss/hit ratio (load + first run over warm run).\n" +
			"Preparing the fast form is timed separately and not counted in the load time.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchRuntime(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.models, "models", "", "directory of *.onnx models (with optional NAME.json manifests)")
	fl.BoolVar(&f.json, "json", false, "write the results as JSON instead of a table")
	fl.IntVar(&f.reps, "reps", f.reps, "fresh loads per model and path")
	fl.IntVar(&f.threads, "threads", f.threads, "ONNX Runtime intra-op threads")
	fl.StringVar(&f.lib, "ort-lib", f.lib, "ONNX Runtime library (default $"+ort.LibraryEnv+")")
	return cmd
}

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
	fastWarm     benchStat  // warm runs of the prepared form: table only
	fastMemory   int64      // memory of the prepared form: table only
}

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

func runBenchRuntime(ctx context.Context, stdout, progress io.Writer, f benchFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.models == "" || f.reps < 1 || f.threads < 0 {
		return fmt.Errorf("bench: need --models DIR, --reps >= 1 and --threads >= 0")
	}
	paths, err := filepath.Glob(filepath.Join(f.models, "*.onnx"))
	if err != nil || len(paths) == 0 {
		return fmt.Errorf("bench: no *.onnx models in %s", f.models)
	}
	prepared, err := os.MkdirTemp("", "edgeserve-bench-*")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(prepared)
	b, err := newRuntimeBench(f, prepared)
	if err != nil {
		return err
	}
	report := benchReport{ORTVersion: ort.Version(), CPU: cpuModel(), Threads: f.threads, Reps: f.reps}
	for i, path := range paths {
		fmt.Fprintf(progress, "bench: [%d/%d] %s\n", i+1, len(paths), filepath.Base(path))
		m, err := b.model(ctx, path)
		if err != nil {
			fmt.Fprintf(progress, "bench: skipping %s: %v\n", filepath.Base(path), err)
			continue
		}
		report.Models = append(report.Models, m)
	}
	report.Summary = summarize(report.Models)
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return printBenchTable(stdout, report)
}

// runtimeBench holds a loader per path.
type runtimeBench struct {
	reps        int
	plain, fast *ort.Loader
}

func newRuntimeBench(f benchFlags, preparedDir string) (*runtimeBench, error) {
	cfg := ort.DefaultConfig()
	cfg.LibraryPath = f.lib
	cfg.IntraOpThreads = f.threads
	cfg.FastLoad = false
	plain, err := ort.New(cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg.FastLoad = true
	cfg.PreparedDir = preparedDir
	fast, err := ort.New(cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return &runtimeBench{reps: f.reps, plain: plain, fast: fast}, nil
}

// model measures one model on both paths.
func (b *runtimeBench) model(ctx context.Context, path string) (benchModel, error) {
	m := readBenchManifest(path)
	src := runtime.Source{Name: m.Name, Path: path}
	// One load each first: it warms the page cache and creates the
	// prepared form, whose time is reported on its own.
	prep, err := b.loadOnce(ctx, b.fast, src)
	if err != nil {
		return m, err
	}
	m.PrepareMS = ms(prep.PrepareTime)
	plain, plainWarm, err := b.loads(ctx, b.plain, src)
	if err != nil {
		return m, err
	}
	fast, fastWarm, err := b.loads(ctx, b.fast, src)
	if err != nil {
		return m, err
	}
	m.LoadMS = benchPaths{stat(plain, loadTime), stat(fast, loadTime)}
	m.FirstRunMS = benchPaths{stat(plain, firstRun), stat(fast, firstRun)}
	m.WarmRunMS, m.fastWarm = plainWarm, fastWarm
	m.MemoryBytes, m.fastMemory = medianMemory(plain), medianMemory(fast)
	m.MissHitRatio = benchRatio{missHit(m.LoadMS.Default, m.FirstRunMS.Default, plainWarm), missHit(m.LoadMS.Fast, m.FirstRunMS.Fast, plainWarm)}
	return m, nil
}

func (b *runtimeBench) loadOnce(ctx context.Context, l *ort.Loader, src runtime.Source) (runtime.Profile, error) {
	model, err := l.Load(ctx, src)
	if err != nil {
		return runtime.Profile{}, err
	}
	defer model.Close()
	return model.Profile(), nil
}

// loads loads the model reps times, keeping each load's profile, and
// times warm runs on the last load.
func (b *runtimeBench) loads(ctx context.Context, l *ort.Loader, src runtime.Source) ([]runtime.Profile, benchStat, error) {
	var profiles []runtime.Profile
	for i := range b.reps {
		model, err := l.Load(ctx, src)
		if err != nil {
			return nil, benchStat{}, err
		}
		profiles = append(profiles, model.Profile())
		if i < b.reps-1 {
			model.Close()
			continue
		}
		warm, err := warmRuns(ctx, model, max(10, 2*b.reps))
		model.Close()
		if err != nil {
			return nil, benchStat{}, err
		}
		return profiles, warm, nil
	}
	return nil, benchStat{}, errors.New("bench: no loads")
}

// warmRuns times n runs on seeded random inputs.
func warmRuns(ctx context.Context, m runtime.Model, n int) (benchStat, error) {
	inputs := benchInputs(m.Signature())
	times := make([]float64, 0, n)
	for range n {
		start := time.Now()
		if _, err := m.Run(ctx, inputs); err != nil {
			return benchStat{}, err
		}
		times = append(times, ms(time.Since(start)))
	}
	return quantiles(times), nil
}

// benchInputs builds inputs of the signature's shape (dynamic dimensions
// 1) with seeded random bytes; float inputs get small finite values.
func benchInputs(sig runtime.Signature) []runtime.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	ins := make([]runtime.Tensor, len(sig.Inputs))
	for i, s := range sig.Inputs {
		shape := make([]int64, len(s.Shape))
		for j, d := range s.Shape {
			shape[j] = max(d, 1)
		}
		n, _ := runtime.ByteSize(s.Type, shape)
		data := make([]byte, n)
		if s.Type != runtime.Float32 {
			ins[i] = runtime.Tensor{Name: s.Name, Type: s.Type, Shape: shape, Data: data}
			continue
		}
		for k := 0; k+4 <= len(data); k += 4 {
			data[k+3] = 0x3f // 0.5 .. 1.0 in float32
			data[k+2] = byte(rng.Uint32()) & 0x7f
		}
		ins[i] = runtime.Tensor{Name: s.Name, Type: s.Type, Shape: shape, Data: data}
	}
	return ins
}

func loadTime(p runtime.Profile) time.Duration { return p.LoadTime }
func firstRun(p runtime.Profile) time.Duration { return p.FirstRun }

func stat(ps []runtime.Profile, field func(runtime.Profile) time.Duration) benchStat {
	vals := make([]float64, len(ps))
	for i, p := range ps {
		vals[i] = ms(field(p))
	}
	return quantiles(vals)
}

func medianMemory(ps []runtime.Profile) int64 {
	vals := make([]int64, len(ps))
	for i, p := range ps {
		vals[i] = p.MemoryBytes
	}
	slices.Sort(vals)
	return vals[len(vals)/2]
}

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
	fmt.Fprintln(tw, "model\tMB\tparams M\tprepare ms\tload ms\tfast load ms\tfirst run ms\tfast first ms\twarm ms\twarm p95\tfast warm ms\tmem MB\tfast mem MB\tmiss/hit\tfast miss/hit\t")
	for _, m := range r.Models {
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%.0f\t%.1f\t%.2f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t%.2f\t%.2f\t\n",
			m.Name, float64(m.FileBytes)/1e6, float64(m.Params)/1e6, m.PrepareMS,
			m.LoadMS.Default.Median, m.LoadMS.Fast.Median, m.FirstRunMS.Default.Median, m.FirstRunMS.Fast.Median,
			m.WarmRunMS.Median, m.WarmRunMS.P95, m.fastWarm.Median,
			float64(m.MemoryBytes)/1e6, float64(m.fastMemory)/1e6, m.MissHitRatio.Default, m.MissHitRatio.Fast)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nmodels >= 5 MB: %d, median default/fast load time: %.1fx\n", r.Summary.Models5MB, r.Summary.FastSpeedup5MB)
	return err
}
