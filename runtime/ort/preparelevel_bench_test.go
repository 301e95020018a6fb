package ort

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// BenchmarkPrepareLevel compares prepared forms optimised at ONNX
// Runtime's extended level (no NCHWc layout) and at every level (what
// Prepare does): the graph's node count (logged), and the CPU time of
// session creation, the first run and a warm run of each, loaded as Load
// does (ortpopulate in BenchmarkMissParts). Fewer nodes might make
// creation cheaper. Models: $EDGESERVE_BENCH_MODEL (comma-separated;
// default nasnet_mobile), from $EDGESERVE_ZOO_DIR when set.
func BenchmarkPrepareLevel(b *testing.B) {
	names, dir := benchModels(b, []string{"nasnet_mobile"})
	l := newTestLoader(b, false)
	levels := []struct {
		name  string
		level onnx.GraphOptimizationLevel
	}{{"extended", onnx.GraphOptimizationLevelEnableExtended}, {"all", onnx.GraphOptimizationLevelEnableAll}}
	paths := map[string]string{}
	for _, name := range names {
		if _, _, err := zoo.Ensure(dir, name, zoo.DefaultOptions()); err != nil {
			b.Fatal(err)
		}
		for _, lv := range levels {
			path := prepareAtLevel(b, l, filepath.Join(dir, name+".onnx"), lv.level)
			m, err := readModel(path)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s prepared at %s: %d nodes", name, lv.name, len(m.GetGraph().GetNode()))
			paths[name+"/"+lv.name] = path
		}
	}
	v := missPartsVariants[slices.IndexFunc(missPartsVariants, func(v missPartsVariant) bool { return v.name == "ortpopulate" })]
	took := map[string][]time.Duration{}
	b.ResetTimer()
	for range b.N {
		for _, name := range names {
			for _, lv := range levels {
				parts := missParts(b, l, paths[name+"/"+lv.name], v)
				for _, p := range []string{"createcpu", "firstcpu", "warmcpu"} {
					k := name + "/" + lv.name + "/" + p
					took[k] = append(took[k], parts[p])
				}
			}
		}
	}
	b.StopTimer()
	for k, ds := range took {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1e3, k+"-ms")
	}
}

// prepareAtLevel saves the model at src optimised at level, with external
// weights and its ORT format beside it, and returns the optimised graph's
// path.
func prepareAtLevel(b *testing.B, l *Loader, src string, level onnx.GraphOptimizationLevel) string {
	b.Helper()
	sig, err := readSignature(src)
	if err != nil {
		b.Fatal(err)
	}
	opts, err := l.newOptions(modeDefault)
	if err != nil {
		b.Fatal(err)
	}
	defer opts.Destroy()
	path := filepath.Join(b.TempDir(), optimizedModelFileName)
	for _, set := range []func() error{
		func() error { return opts.SetGraphOptimizationLevel(level) },
		func() error { return opts.AddSessionConfigEntry(keyExternalFile, optimizedDataFileName) },
		func() error { return opts.AddSessionConfigEntry(keyExternalMinBytes, "1024") },
		func() error { return opts.SetOptimizedModelFilePath(path) },
	} {
		if err := set(); err != nil {
			b.Fatal(err)
		}
	}
	sess, err := l.newSessionWith(src, sig.Signature, opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.Destroy(); err != nil {
		b.Fatal(err)
	}
	if err := saveORTFormat(l, path); err != nil {
		b.Fatal(err)
	}
	return path
}
