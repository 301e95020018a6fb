package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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
	f := benchFlags{reps: 5, threads: 1, lib: ort.DefaultLibraryPath()}
	cmd := &cobra.Command{
		Use:   "runtime --models DIR [--json] [--reps N] [--threads N]",
		Short: "Measure load, first-run and warm-run times and memory of every model in DIR",
		Long: "For every *.onnx in DIR: load time with ONNX Runtime's default load and with the prepared\n" +
			"fast-loading form (median and p95 over --reps fresh loads, page cache warm, the two paths\n" +
			"alternating), first-run time, warm-run time of each form, measured memory and the miss/hit\n" +
			"ratio (load + first run over warm run). A fast load is a node's miss: no warm-up run, and\n" +
			"its first run is the request's own. Preparing the fast form is timed separately and not\n" +
			"counted in the load time.",
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

// model measures one model on both paths, interleaved: each rep loads it
// the default way, then the fast way, and the warm runs alternate between
// the two forms, so that drift on a shared machine hits both alike.
func (b *runtimeBench) model(ctx context.Context, path string) (benchModel, error) {
	m := readBenchManifest(path)
	src := runtime.Source{Name: m.Name, Path: path}
	// One load first: it warms the page cache and creates the prepared
	// form, whose time is reported on its own.
	prep, err := b.loadOnce(ctx, b.fast, src)
	if err != nil {
		return m, err
	}
	m.PrepareMS = ms(prep.PrepareTime)
	plain, fast, warm, err := b.loads(ctx, src)
	if err != nil {
		return m, err
	}
	m.LoadMS = benchPaths{stat(plain, loadTime), stat(fast, loadTime)}
	m.FirstRunMS = benchPaths{stat(plain, firstRun), stat(fast, firstRun)}
	m.WarmRunMS, m.FastWarmRunMS = warm.Default, warm.Fast
	m.MemoryBytes, m.fastMemory = medianMemory(plain, memoryBytes), medianMemory(fast, memoryBytes)
	m.AnonymousBytes = benchBytes{medianMemory(plain, anonymousBytes), medianMemory(fast, anonymousBytes)}
	m.MappedBytes = benchBytes{medianMemory(plain, mappedBytes), medianMemory(fast, mappedBytes)}
	m.MissHitRatio = benchRatio{missHit(m.LoadMS.Default, m.FirstRunMS.Default, warm.Default), missHit(m.LoadMS.Fast, m.FirstRunMS.Fast, warm.Default)}
	m.NodeMissHitRatio = missHit(m.LoadMS.Fast, m.FirstRunMS.Fast, warm.Fast)
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

// loads loads the model reps times on each path, alternating, keeping each
// load's profile, and times warm runs on the last load of each. A default
// load warms the model up (its first run is the warm-up); a fast load is
// a node's miss: no warm-up, and its first run is the request's own.
func (b *runtimeBench) loads(ctx context.Context, src runtime.Source) (plain, fast []runtime.Profile, warm benchWarm, err error) {
	var last [2]runtime.Model
	defer func() {
		for _, m := range last {
			if m != nil {
				m.Close()
			}
		}
	}()
	for range b.reps {
		for i, load := range []func(context.Context, runtime.Source) (runtime.Model, error){b.plain.Load, b.miss} {
			if last[i] != nil {
				last[i].Close()
				last[i] = nil
			}
			model, err := load(ctx, src)
			if err != nil {
				return nil, nil, warm, err
			}
			last[i] = model
			if i == 0 {
				plain = append(plain, model.Profile())
			} else {
				fast = append(fast, model.Profile())
			}
		}
	}
	warm, err = warmRuns(ctx, last[0], last[1], max(10, 2*b.reps))
	return plain, fast, warm, err
}

// miss loads the fast form as a node does on a request's miss, without a
// warm-up, and runs the request.
func (b *runtimeBench) miss(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	src.SkipWarmUp = true
	model, err := b.fast.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	if _, err := model.Run(ctx, benchInputs(model.Signature())); err != nil {
		model.Close()
		return nil, err
	}
	return model, nil
}

// warmRuns times n runs of each form on seeded random inputs, alternating.
func warmRuns(ctx context.Context, plain, fast runtime.Model, n int) (benchWarm, error) {
	models := [2]runtime.Model{plain, fast}
	var inputs [2][]runtime.Tensor
	var times [2][]float64
	for i, m := range models {
		inputs[i] = benchInputs(m.Signature())
	}
	for range n {
		for i, m := range models {
			start := time.Now()
			if _, err := m.Run(ctx, inputs[i]); err != nil {
				return benchWarm{}, err
			}
			times[i] = append(times[i], ms(time.Since(start)))
		}
	}
	return benchWarm{Default: quantiles(times[0]), Fast: quantiles(times[1])}, nil
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

func memoryBytes(p runtime.Profile) int64 { return p.MemoryBytes }

// anonymousBytes and mappedBytes are the profile's two tiers of memory:
// what the node cannot give back, and the weights the kernel maps.
func anonymousBytes(p runtime.Profile) int64 { return p.AnonymousBytes }
func mappedBytes(p runtime.Profile) int64    { return p.MappedBytes }

func medianMemory(ps []runtime.Profile, field func(runtime.Profile) int64) int64 {
	vals := make([]int64, len(ps))
	for i, p := range ps {
		vals[i] = field(p)
	}
	slices.Sort(vals)
	return vals[len(vals)/2]
}
