package ort

import (
	"context"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	onnx "github.com/yalue/onnxruntime_go"
	"golang.org/x/sys/unix"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// missPartsModels are BenchmarkMissParts' default models: the five of
// node.BenchmarkMissHit.
var missPartsModels = []string{"mobilenet_v1_1.0", "nasnet_mobile", "densenet121", "resnet50", "inception_v3"}

// missPartsVariant is one way of creating the prepared form's session.
type missPartsVariant struct {
	name string
	// opts adjusts the prepared mode's session options.
	opts func(*onnx.SessionOptions) error
	// trim returns the C heap's free memory to the kernel before the
	// session is created (releaseFreedMemory), as Close did before: the
	// session faults its pages in afresh.
	trim bool
	// ortBytes loads the ORT format from a read-only mapping of its file,
	// its initializers pointing into the mapping.
	ortBytes bool
	// populate maps the ORT format file with MAP_POPULATE.
	populate bool
	// ortFormat loads the ORT format (flatbuffer) form of the prepared
	// model, saved from it with no further optimisation.
	ortFormat bool
	// after runs between the session's creation and its first run.
	after func(b *testing.B, path string)
}

// missPartsVariants are the variants BenchmarkMissParts compares; the
// first is what Load does.
var missPartsVariants = []missPartsVariant{
	{name: "base"},
	{name: "touch", after: touchMapped},
	{name: "trim", trim: true},
	{name: "ort", ortFormat: true, opts: func(o *onnx.SessionOptions) error {
		return o.AddSessionConfigEntry("session.load_model_format", "ORT")
	}},
	{name: "ortbytes", ortBytes: true, opts: ortBytesOptions},
	{name: "ortpopulate", ortBytes: true, populate: true, opts: ortBytesOptions},
	{name: "noarena", opts: func(o *onnx.SessionOptions) error { return o.SetCpuMemArena(false) }},
	{name: "nopattern", opts: func(o *onnx.SessionOptions) error { return o.SetMemPattern(false) }},
	{name: "prepack", opts: func(o *onnx.SessionOptions) error { return o.AddSessionConfigEntry(keyDisablePrepacking, "0") }},
	// What Load does, with one more option each: ways that might make
	// session creation cheaper for a graph that is already optimised.
	{name: "pop-noinline", ortBytes: true, populate: true, opts: withOptions(ortBytesOptions, configEntry("session.disable_aot_function_inlining", "1"))},
	{name: "pop-nopattern", ortBytes: true, populate: true, opts: withOptions(ortBytesOptions, func(o *onnx.SessionOptions) error { return o.SetMemPattern(false) })},
	{name: "pop-noarena", ortBytes: true, populate: true, opts: withOptions(ortBytesOptions, func(o *onnx.SessionOptions) error { return o.SetCpuMemArena(false) })},
	{name: "pop-nofallback", ortBytes: true, populate: true, opts: withOptions(ortBytesOptions, configEntry("session.disable_cpu_ep_fallback", "1"))},
	{name: "pop-noloop", ortBytes: true, populate: true, opts: withOptions(ortBytesOptions, configEntry("session.graph_optimizations_loop_level", "0"))},
	{name: "pop-parallel", ortBytes: true, populate: true, opts: withOptions(ortBytesOptions, func(o *onnx.SessionOptions) error {
		return o.SetExecutionMode(onnx.ExecutionModeParallel)
	})},
}

// withOptions applies each of fs in turn.
func withOptions(fs ...func(*onnx.SessionOptions) error) func(*onnx.SessionOptions) error {
	return func(o *onnx.SessionOptions) error {
		for _, f := range fs {
			if err := f(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// configEntry sets one session configuration entry.
func configEntry(key, value string) func(*onnx.SessionOptions) error {
	return func(o *onnx.SessionOptions) error { return o.AddSessionConfigEntry(key, value) }
}

// BenchmarkMissParts splits a miss of the prepared form (no warm-up) into
// its parts, per model and per session variant: reading the signature,
// creating the session, the first run and a warm run (the median of the
// next three), all in milliseconds, and miss/warm ((signature + create +
// first) / warm). Models and variants run in turn in every iteration.
// Models: $EDGESERVE_BENCH_MODEL (comma-separated; default the five of
// node.BenchmarkMissHit), from $EDGESERVE_ZOO_DIR when set.
func BenchmarkMissParts(b *testing.B) {
	names, dir := benchModels(b, missPartsModels)
	l := newTestLoader(b, false)
	prepared := map[string]string{}
	for _, name := range names {
		if _, _, err := zoo.Ensure(dir, name, zoo.DefaultOptions()); err != nil {
			b.Fatal(err)
		}
		out, err := l.Prepare(context.Background(), filepath.Join(dir, name+".onnx"), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		prepared[name] = out
		if err := saveORTFormat(l, out); err != nil {
			b.Fatalf("%s: ORT format: %v", name, err)
		}
	}
	variants := missPartsVariants
	if s := os.Getenv("EDGESERVE_BENCH_VARIANTS"); s != "" {
		variants = slices.DeleteFunc(slices.Clone(variants), func(v missPartsVariant) bool { return !slices.Contains(strings.Split(s, ","), v.name) })
	}
	type key struct{ model, variant, part string }
	took := map[key][]time.Duration{}
	once := func(record bool) {
		for _, name := range names {
			for _, v := range variants {
				parts := missParts(b, l, prepared[name], v)
				if record {
					for p, d := range parts {
						took[key{name, v.name, p}] = append(took[key{name, v.name, p}], d)
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
	med := func(k key) float64 {
		s := slices.Clone(took[k])
		if len(s) == 0 {
			return 0
		}
		slices.Sort(s)
		return float64(s[len(s)/2].Microseconds()) / 1e3
	}
	for _, name := range names {
		for _, v := range variants {
			var miss float64
			for _, p := range []string{"createflt", "firstflt", "warmflt"} {
				b.ReportMetric(med(key{name, v.name, p})*1e3, name+"/"+v.name+"/"+p)
			}
			for _, p := range []string{"aftercpu", "createcpu", "createsys", "firstcpu", "firstsys", "warmcpu", "warmsys"} {
				b.ReportMetric(med(key{name, v.name, p}), name+"/"+v.name+"/"+p+"-ms")
			}
			for _, p := range []string{"sig", "create", "first", "warm"} {
				ms := med(key{name, v.name, p})
				b.ReportMetric(ms, name+"/"+v.name+"/"+p+"-ms")
				if p != "warm" {
					miss += ms
				}
			}
			b.ReportMetric(miss/med(key{name, v.name, "warm"}), name+"/"+v.name+"/miss/warm")
		}
	}
}

// missParts times one miss of the prepared model at path under variant v,
// then three warm runs.
func missParts(b *testing.B, l *Loader, path string, v missPartsVariant) map[string]time.Duration {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	parts := map[string]time.Duration{}
	start := time.Now()
	sig, err := readSignature(path)
	if err != nil {
		b.Fatal(err)
	}
	parts["sig"] = time.Since(start)
	if v.trim {
		releaseFreedMemory()
	}
	u0 := usageNow()
	start = time.Now()
	opts, err := l.newOptions(modePrepared)
	if err != nil {
		b.Fatal(err)
	}
	if v.opts != nil {
		if err := v.opts(opts); err != nil {
			b.Fatal(err)
		}
	}
	sessPath := path
	if v.ortFormat {
		sessPath = ortFormatPath(path)
	}
	var sess *onnx.DynamicAdvancedSession
	if v.ortBytes {
		mapped := mapReadOnly(b, ortFormatPath(path), v.populate)
		defer unix.Munmap(mapped) //nolint:errcheck // read-only
		sess, err = onnx.NewDynamicAdvancedSessionWithONNXData(mapped, specNames(sig.Inputs), specNames(sig.Outputs), opts)
	} else {
		sess, err = l.newSessionWith(sessPath, sig.Signature, opts)
	}
	opts.Destroy()
	if err != nil {
		b.Fatal(err)
	}
	since(parts, "create", start, u0)
	if v.after != nil {
		u0 = usageNow()
		start = time.Now()
		v.after(b, path)
		since(parts, "after", start, u0)
	}
	m := &model{name: "parts", sig: sig, sess: sess, warm: runtime.NewEWMA(0.2)}
	defer m.Close()
	in := []runtime.Tensor{randomInput(sig.Inputs[0], 1)}
	var warm []time.Duration
	for i := range 4 {
		u0 = usageNow()
		start = time.Now()
		if _, err := m.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			since(parts, "first", start, u0)
		} else {
			warm = append(warm, time.Since(start))
			since(parts, "warm", start, u0) // the last warm run's CPU time
		}
	}
	slices.Sort(warm)
	parts["warm"] = warm[1]
	return parts
}

// threadUsage is the calling thread's CPU time (user, system) and minor
// page faults so far; the caller has locked its goroutine to the thread.
// ONNX Runtime with one intra-op thread runs on the calling thread, so
// these are a part's own costs whatever else the machine runs.
type threadUsage struct {
	user, sys time.Duration
	faults    int64
}

func usageNow() threadUsage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return threadUsage{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano()), faults: ru.Minflt}
}

// since records the wall time, CPU time, system time and faults of part
// since start and u0 into parts.
func since(parts map[string]time.Duration, part string, start time.Time, u0 threadUsage) {
	u := usageNow()
	parts[part] = time.Since(start)
	parts[part+"cpu"] = u.user - u0.user + u.sys - u0.sys
	parts[part+"sys"] = u.sys - u0.sys
	parts[part+"flt"] = time.Duration(u.faults-u0.faults) * time.Microsecond // read back by med as faults/1e3
}

// touchMapped reads ONNX Runtime's mappings of the weights file next to
// the prepared graph at path through /proc/self/mem, which faults their
// pages in as a first run's reads would.
func touchMapped(b *testing.B, path string) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		b.Fatal(err)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close()
	dir := filepath.Dir(path)
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[5], dir) || !strings.HasSuffix(f[5], ".weights") {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		a, _ := strconv.ParseUint(lo, 16, 64)
		z, _ := strconv.ParseUint(hi, 16, 64)
		if _, err := mem.ReadAt(make([]byte, z-a), int64(a)); err != nil {
			b.Fatal(err)
		}
	}
}

// ortFormatPath is where saveORTFormat saves the prepared model at path.
func ortFormatPath(path string) string { return strings.TrimSuffix(path, ".onnx") + ".ort" }

// saveORTFormat saves the prepared model at path in ONNX Runtime's own
// format, without optimising it further.
func saveORTFormat(l *Loader, path string) error {
	sig, err := readSignature(path)
	if err != nil {
		return err
	}
	opts, err := l.newOptions(modePrepared)
	if err != nil {
		return err
	}
	defer opts.Destroy()
	if err := opts.AddSessionConfigEntry("session.save_model_format", "ORT"); err != nil {
		return err
	}
	if err := opts.SetOptimizedModelFilePath(ortFormatPath(path)); err != nil {
		return err
	}
	sess, err := l.newSessionWith(path, sig.Signature, opts)
	if err != nil {
		return err
	}
	return sess.Destroy()
}

// mapReadOnly maps the file at path read-only.
func mapReadOnly(b *testing.B, path string, populate bool) []byte {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	flags := unix.MAP_SHARED
	if populate {
		flags |= unix.MAP_POPULATE
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, flags)
	if err != nil {
		b.Fatal(err)
	}
	return mem
}

// ortBytesOptions are the options of a session from the ORT format's bytes.
func ortBytesOptions(o *onnx.SessionOptions) error {
	for _, k := range []string{keyLoadFormat, keyBytesDirectly, keyBytesForInitializers} {
		v := "1"
		if k == keyLoadFormat {
			v = "ORT"
		}
		if err := o.AddSessionConfigEntry(k, v); err != nil {
			return err
		}
	}
	return nil
}

// benchModels are a benchmark's models: $EDGESERVE_BENCH_MODEL
// (comma-separated), else defaults; and the folder they are written to:
// $EDGESERVE_ZOO_DIR, else a temporary one.
func benchModels(b *testing.B, defaults []string) (names []string, dir string) {
	names = defaults
	if s := os.Getenv(benchModelEnv); s != "" {
		names = strings.Split(s, ",")
	}
	dir = os.Getenv("EDGESERVE_ZOO_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	return names, dir
}
