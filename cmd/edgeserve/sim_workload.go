package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// azureFile is the invocation-count file of the shared sample; a
// directory given to --azure may hold one file of that layout under any
// name matching azureGlob instead.
const (
	azureFile = "invocations-minutes-0001-0720.csv"
	azureGlob = "invocations*.csv"
)

// traceFlags choose and shape the trace a command reads or generates.
type traceFlags struct {
	csvFile   string
	azure     string
	synthetic bool
	seed      uint64
	minutes   string
	site      string
	syn       trace.SyntheticConfig
}

func (f *traceFlags) register(fs *pflag.FlagSet) {
	f.syn = trace.DefaultSyntheticConfig()
	fs.StringVar(&f.csvFile, "trace", "", "CSV trace file (time_ms,model[,site])")
	fs.StringVar(&f.azure, "azure", "", azureUsage)
	fs.BoolVar(&f.synthetic, "synthetic", false, "generate a synthetic trace")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for placing Azure invocations within minutes, or for the synthetic trace")
	fs.StringVar(&f.minutes, "minutes", "", minutesUsage)
	fs.StringVar(&f.site, "site", "", "CSV trace with sites: replay only this site's requests")
	fs.IntVar(&f.syn.Models, "models", f.syn.Models, "synthetic: number of models")
	fs.DurationVar(&f.syn.Duration, "duration", f.syn.Duration, "synthetic: trace length")
	fs.Float64Var(&f.syn.RatePerSecond, "rate", f.syn.RatePerSecond, "synthetic: mean requests per second outside bursts")
	fs.Float64Var(&f.syn.ZipfExponent, "zipf", f.syn.ZipfExponent, "synthetic: Zipf popularity exponent (0: uniform)")
	fs.Float64Var(&f.syn.DiurnalAmplitude, "diurnal-amplitude", f.syn.DiurnalAmplitude, "synthetic: rate swing in [0,1)")
	fs.DurationVar(&f.syn.DiurnalPeriod, "diurnal-period", f.syn.DiurnalPeriod, "synthetic: period of the rate swing")
	fs.DurationVar(&f.syn.DriftInterval, "drift-interval", f.syn.DriftInterval, "synthetic: popularity drift interval (0: none)")
	fs.Float64Var(&f.syn.DriftFraction, "drift-fraction", f.syn.DriftFraction, "synthetic: fraction of ranks swapped per drift")
	fs.Float64Var(&f.syn.BurstsPerHour, "bursts-per-hour", f.syn.BurstsPerHour, "synthetic: mean bursts per hour (0: none)")
	fs.DurationVar(&f.syn.BurstDuration, "burst-duration", f.syn.BurstDuration, "synthetic: length of a burst")
	fs.Float64Var(&f.syn.BurstRatePerSecond, "burst-rate", f.syn.BurstRatePerSecond, "synthetic: requests per second to the burst's model")
}

var errTraceSource = errors.New("give exactly one of --trace, --azure, --synthetic")

// load reads, converts or generates the trace.
func (f *traceFlags) load() (*trace.Trace, error) {
	n := 0
	for _, set := range []bool{f.csvFile != "", f.azure != "", f.synthetic} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errTraceSource
	}
	switch {
	case f.csvFile != "":
		return readFile(f.csvFile, trace.ReadCSV)
	case f.azure != "":
		return f.loadAzure()
	}
	f.syn.Seed = f.seed
	return trace.Generate(f.syn)
}

// Usage of the flags every command that reads the Azure sample shares.
const (
	azureUsage = "Azure Functions 2019 invocations file, or a directory holding one (" + azureFile +
		", or a single " + azureGlob + " of the same layout)"
	minutesUsage = "Azure: keep only minutes N (the first N) or A-B (minute_A to minute_B of the file, both kept; time 0 is minute A's start); empty: all"
)

func (f *traceFlags) loadAzure() (*trace.Trace, error) {
	path, err := azureInvocations(f.azure)
	if err != nil {
		return nil, err
	}
	cfg := trace.DefaultAzureConfig()
	cfg.Seed = f.seed
	if cfg.FirstMinute, cfg.Minutes, err = parseMinutes(f.minutes); err != nil {
		return nil, err
	}
	return readFile(path, func(r io.Reader) (*trace.Trace, error) { return trace.ReadAzure(r, cfg) })
}

// azureInvocations resolves --azure: a file is itself; a directory gives
// its azureFile, else its only file matching azureGlob.
func azureInvocations(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return path, nil // readFile reports a missing file
	}
	if _, err := os.Stat(filepath.Join(path, azureFile)); err == nil {
		return filepath.Join(path, azureFile), nil
	}
	found, err := filepath.Glob(filepath.Join(path, azureGlob))
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("--azure %s: no %s or %s in the directory", path, azureFile, azureGlob)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("--azure %s: %d files match %s; name one: %s", path, len(found), azureGlob, strings.Join(found, ", "))
}

// parseMinutes reads --minutes: "" (all), "N" (the first N minutes) or
// "A-B" (minutes A to B of the file's labels, both kept). It returns
// trace.AzureConfig's FirstMinute and Minutes.
func parseMinutes(s string) (first, count int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("--minutes %q: want N or A-B with 1 <= A <= B", s)
		}
		return 0, n, nil
	}
	from, errA := strconv.Atoi(a)
	to, errB := strconv.Atoi(b)
	if errA != nil || errB != nil || from < 1 || to < from {
		return 0, 0, fmt.Errorf("--minutes %q: want N or A-B with 1 <= A <= B", s)
	}
	return from, to - from + 1, nil
}

func readFile[T any](path string, decode func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	v, err := decode(f)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// workloadFlags add the model profiles and how trace models map to them.
type workloadFlags struct {
	traceFlags
	profiles    string
	loadPath    string
	mapping     string
	mappingSeed uint64
}

func (f *workloadFlags) register(fs *pflag.FlagSet) {
	f.traceFlags.register(fs)
	fs.StringVar(&f.profiles, "profiles", "poster", "model profiles: zoo, poster, m5 (from the shared data: $EDGESERVE_SHARED or ../shared beside the checkout), or a JSON file (bench output or CremeBrulee format)")
	fs.StringVar(&f.loadPath, "load-path", string(profile.LoadDefault), "bench profiles: load path to use (default or fast)")
	fs.StringVar(&f.mapping, "mapping", "auto", "how trace models get profiles: name; shared (each trace model is one of the profiled models, "+
		"so several share it); per-function (each trace model is its own model with a profile's costs; alias round-robin); "+
		"or auto (name when every trace model names a profile, else shared for --azure and per-function otherwise)")
	fs.Uint64Var(&f.mappingSeed, "mapping-seed", 1, "seed of the shared and per-function mappings of trace models to profiles")
}

// workload builds the simulator's input and says how long that took.
func (f *workloadFlags) workload() (*sim.Workload, time.Duration, error) {
	start := time.Now()
	tr, err := f.load()
	if err == nil && f.site != "" {
		tr, err = tr.ForSite(f.site)
	}
	if err != nil {
		return nil, 0, err
	}
	set, err := profile.Load(f.profiles, profile.LoadPath(f.loadPath))
	if err != nil {
		return nil, 0, err
	}
	w, err := f.mapTrace(tr, set)
	return w, time.Since(start), err
}

// mapTrace gives the trace's models profiles as --mapping says.
func (f *workloadFlags) mapTrace(tr *trace.Trace, set []profile.Model) (*sim.Workload, error) {
	switch f.mapping {
	case "name":
		return sim.MapByName(tr, set)
	case "shared":
		return sim.MapShared(tr, set, f.mappingSeed)
	case "per-function", "round-robin":
		return sim.MapRoundRobin(tr, set, f.mappingSeed)
	case "auto":
		w, err := sim.MapByName(tr, set)
		switch {
		case !errors.Is(err, sim.ErrMapping):
			return w, err
		case f.azure != "":
			return sim.MapShared(tr, set, f.mappingSeed)
		}
		return sim.MapRoundRobin(tr, set, f.mappingSeed)
	}
	return nil, fmt.Errorf("--mapping %q: want name, shared, per-function or auto", f.mapping)
}
