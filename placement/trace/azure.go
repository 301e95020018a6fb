package trace

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AzureConfig controls the conversion of the Azure Functions 2019
// per-minute invocation counts into a request trace.
type AzureConfig struct {
	// Seed seeds the generator that places each minute's invocations.
	Seed uint64
	// FirstMinute is the first minute kept, by its column's label
	// (minute_N; 0: the file's first column). The trace's time 0 is the
	// start of that minute.
	FirstMinute int
	// Minutes keeps only Minutes minutes from FirstMinute (0: all the
	// rest).
	Minutes int
	// MaxRequests bounds the output so that a corrupt count cannot
	// exhaust memory (default 50 million).
	MaxRequests int
}

// DefaultAzureConfig converts the whole file with seed 1.
func DefaultAzureConfig() AzureConfig { return AzureConfig{Seed: 1, MaxRequests: 50_000_000} }

// ReadAzure converts the Azure Functions 2019 invocation counts
// (HashFunction,HashApp,HashOwner,minute_S..minute_N, consecutive from
// any S >= 1, so that a file holding a later part of the day reads too;
// "Serverless in the Wild", Shahrad et al., ATC 2020) into a trace. Each function with at
// least one invocation becomes one model, named "fn%04d" after its row
// (the first data row is fn0000), as the tenant's own model. Each minute's
// invocations are placed uniformly at random within the minute by a PCG
// generator seeded with cfg.Seed, then sorted by time (ties by model), so
// the result depends only on the file and the seed. Errors wrap
// ErrMalformed and name the line.
func ReadAzure(r io.Reader, cfg AzureConfig) (*Trace, error) {
	if cfg.Minutes < 0 || cfg.MaxRequests < 0 || cfg.FirstMinute < 0 {
		return nil, errors.New("trace: azure: FirstMinute, Minutes and MaxRequests must not be negative")
	}
	if cfg.MaxRequests == 0 {
		cfg.MaxRequests = DefaultAzureConfig().MaxRequests
	}
	counts, names, err := readAzureCounts(r, cfg)
	if err != nil {
		return nil, err
	}
	return spreadMinutes(counts, names, cfg.Seed), nil
}

// readAzureCounts returns, for each kept function, its per-minute counts.
func readAzureCounts(r io.Reader, cfg AzureConfig) ([][]int32, []string, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, nil, malformed(1, "azure: missing header: %v", err)
	}
	from, minutes, err := checkAzureHeader(header, cfg.FirstMinute, cfg.Minutes)
	if err != nil {
		return nil, nil, err
	}
	firstLabel := header[3+from]
	var counts [][]int32
	var names []string
	total := 0
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return counts, names, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: azure: %w", ErrMalformed, err)
		}
		line, _ := cr.FieldPos(0)
		c, sum, err := parseAzureRow(rec[3+from:3+from+minutes], firstLabel, line)
		if err != nil {
			return nil, nil, err
		}
		if total += sum; total > cfg.MaxRequests {
			return nil, nil, malformed(line, "azure: more than %d invocations", cfg.MaxRequests)
		}
		if sum > 0 {
			counts = append(counts, c)
			names = append(names, fmt.Sprintf("fn%04d", row))
		}
	}
}

// checkAzureHeader checks the header's layout and returns the index of
// the first kept minute column (from 0) and how many are kept.
func checkAzureHeader(h []string, first, keep int) (int, int, error) {
	if len(h) < 4 || h[0] != "HashFunction" || h[1] != "HashApp" || h[2] != "HashOwner" {
		return 0, 0, malformed(1, "azure: header must start with HashFunction,HashApp,HashOwner,minute_N")
	}
	start, err := strconv.Atoi(strings.TrimPrefix(h[3], "minute_"))
	if err != nil || start < 1 || !strings.HasPrefix(h[3], "minute_") {
		return 0, 0, malformed(1, "azure: column 4 is %q, want minute_N with N >= 1", h[3])
	}
	for i, name := range h[3:] {
		if name != "minute_"+strconv.Itoa(start+i) {
			return 0, 0, malformed(1, "azure: column %d is %q, want minute_%d", i+4, name, start+i)
		}
	}
	last := start + len(h) - 4
	if first == 0 {
		first = start
	}
	if first < start || first > last {
		return 0, 0, fmt.Errorf("trace: azure: first minute %d is outside the file's minutes %d-%d", first, start, last)
	}
	from := first - start
	minutes := len(h) - 3 - from
	if keep > 0 && keep < minutes {
		minutes = keep
	}
	return from, minutes, nil
}

// parseAzureRow parses one row's kept counts; the first is labelled
// first (minute_N) in errors.
func parseAzureRow(fields []string, first string, line int) ([]int32, int, error) {
	base, _ := strconv.Atoi(strings.TrimPrefix(first, "minute_"))
	c := make([]int32, len(fields))
	sum := 0
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n < 0 {
			return nil, 0, malformed(line, "azure: minute_%d count %q is not a non-negative integer", base+i, f)
		}
		c[i] = int32(n)
		sum += int(n)
	}
	return c, sum, nil
}

// spreadMinutes places each minute's invocations uniformly in the minute.
func spreadMinutes(counts [][]int32, names []string, seed uint64) *Trace {
	t := &Trace{Models: names}
	if len(counts) == 0 {
		return t
	}
	total := 0
	for _, c := range counts {
		for _, n := range c {
			total += int(n)
		}
	}
	t.Requests = make([]Request, 0, total)
	rng := rand.New(rand.NewPCG(seed, 0x5eed_a2e0))
	for m := range counts[0] {
		start := len(t.Requests)
		base := time.Duration(m) * time.Minute
		for fn, c := range counts {
			for range c[m] {
				at := base + time.Duration(rng.Int64N(int64(time.Minute)))
				t.Requests = append(t.Requests, Request{Time: at, Model: int32(fn)})
			}
		}
		slices.SortFunc(t.Requests[start:], byTimeThenModel)
	}
	return t
}

func byTimeThenModel(a, b Request) int {
	if c := cmp.Compare(a.Time, b.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Model, b.Model)
}
