package ort

import (
	"context"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// firstRunVariants are BenchmarkFirstRun's arena variants: an arena per
// session, and the environment's shared arena (Config.SharedArena).
var firstRunVariants = []string{"own", "shared"}

// BenchmarkFirstRun is a node's miss without the node: per model and per
// arena variant in turn, close the model's session (the eviction), load it
// again without warm-up on one goroutine (the cache's load) and run it on
// another (the request), then three warm runs. Goroutines are not locked
// to threads, as in a node. It reports per model and variant the medians
// of the load, the first run and a warm run in milliseconds, first/warm,
// (load + first)/warm, and the process's page faults in the first run;
// and at the end the shared arena's free memory (Loader.HeldBytes) in MiB,
// with every model loaded. Models: $EDGESERVE_BENCH_MODEL, from $EDGESERVE_ZOO_DIR when set.
func BenchmarkFirstRun(b *testing.B) {
	names, dir := benchModels(b, missPartsModels)
	loaders := map[string]*Loader{}
	for _, v := range firstRunVariants {
		cfg := testConfig(b, true)
		cfg.SharedArena = v == "shared"
		l, err := New(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		loaders[v] = l
	}
	type key struct{ model, variant string }
	loaded := map[key]runtime.Model{}
	defer func() {
		for _, m := range loaded {
			m.Close()
		}
	}()
	srcs := map[string]runtime.Source{}
	for _, name := range names {
		if _, _, err := zoo.Ensure(dir, name, zoo.DefaultOptions()); err != nil {
			b.Fatal(err)
		}
		srcs[name] = runtime.Source{Name: name, Path: filepath.Join(dir, name+".onnx")}
		for _, v := range firstRunVariants {
			m, err := loaders[v].Load(context.Background(), srcs[name]) // measured, with warm-up
			if err != nil {
				b.Fatal(err)
			}
			loaded[key{name, v}] = m
		}
	}
	type part struct{ model, variant, part string }
	took := map[part][]float64{}
	once := func(record bool) {
		for _, name := range names {
			for _, v := range firstRunVariants {
				k := key{name, v}
				m, parts := firstRunMiss(b, loaders[v], srcs[name], loaded[k])
				loaded[k] = m
				for p, x := range parts {
					if record {
						took[part{name, v, p}] = append(took[part{name, v, p}], x)
					}
				}
			}
		}
	}
	once(false)
	b.ResetTimer()
	for range b.N {
		once(true)
	}
	b.StopTimer()
	med := func(p part) float64 {
		s := slices.Clone(took[p])
		slices.Sort(s)
		return s[len(s)/2]
	}
	if st, err := sharedArenaStats(); err == nil {
		b.ReportMetric(float64(st.total-st.inUse)/(1<<20), "held-MiB")
	} else {
		b.Error(err)
	}
	for _, name := range names {
		for _, v := range firstRunVariants {
			load, first, warm := med(part{name, v, "load"}), med(part{name, v, "first"}), med(part{name, v, "warm"})
			pre := name + "/" + v + "/"
			b.ReportMetric(load, pre+"load-ms")
			b.ReportMetric(first, pre+"first-ms")
			b.ReportMetric(warm, pre+"warm-ms")
			b.ReportMetric(first/warm, pre+"first/warm")
			b.ReportMetric((load+first)/warm, pre+"miss/warm")
			b.ReportMetric(med(part{name, v, "faults"}), pre+"first-faults")
		}
	}
}

// firstRunMiss closes old, loads src again without warm-up on a goroutine
// of its own and runs it once on another, then three times more; it
// returns the new model and the parts in milliseconds (faults: the
// process's minor page faults in the first run).
func firstRunMiss(b *testing.B, l *Loader, src runtime.Source, old runtime.Model) (runtime.Model, map[string]float64) {
	parts := map[string]float64{}
	src.SkipWarmUp = true
	loadC := make(chan runtime.Model)
	go func() {
		old.Close()
		start := time.Now()
		m, err := l.Load(context.Background(), src)
		if err != nil {
			b.Error(err)
		}
		parts["load"] = ms(time.Since(start))
		loadC <- m
	}()
	m := <-loadC
	if m == nil {
		b.FailNow()
	}
	in := []runtime.Tensor{randomInput(m.Signature().Inputs[0], 1)}
	var warm []float64
	for i := range 4 {
		doneC := make(chan struct{})
		go func() {
			defer close(doneC)
			f0 := processFaults()
			start := time.Now()
			if _, err := m.Run(context.Background(), in); err != nil {
				b.Error(err)
			}
			if i == 0 {
				parts["first"] = ms(time.Since(start))
				parts["faults"] = float64(processFaults() - f0)
			} else {
				warm = append(warm, ms(time.Since(start)))
			}
		}()
		<-doneC
	}
	slices.Sort(warm)
	parts["warm"] = warm[1]
	return m, parts
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

// processFaults is the process's minor page faults so far.
func processFaults() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Minflt
}
