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
	"time"
)

// AzureConfig controls the conversion of the Azure Functions 2019
// per-minute invocation counts into a request trace.
type AzureConfig struct {
	// Seed seeds the generator that places each minute's invocations.
	Seed uint64
	// Minutes keeps only the first Minutes minutes (0: all of them).
	Minutes int
	// MaxRequests bounds the output so that a corrupt count cannot
	// exhaust memory (default 50 million).
	MaxRequests int
}

// DefaultAzureConfig converts the whole file with seed 1.
func DefaultAzureConfig() AzureConfig { return AzureConfig{Seed: 1, MaxRequests: 50_000_000} }

// ReadAzure converts the Azure Functions 2019 invocation counts
// (HashFunction,HashApp,HashOwner,minute_1..minute_N; "Serverless in the
// Wild", Shahrad et al., ATC 2020) into a trace. Each function with at
// least one invocation becomes one model, named "fn%04d" after its row
// (the first data row is fn0000), as the tenant's own model. Each minute's
// invocations are placed uniformly at random within the minute by a PCG
// generator seeded with cfg.Seed, then sorted by time (ties by model), so
// the result depends only on the file and the seed. Errors wrap
// ErrMalformed and name the line.
func ReadAzure(r io.Reader, cfg AzureConfig) (*Trace, error) {
	if cfg.Minutes < 0 || cfg.MaxRequests < 0 {
		return nil, errors.New("trace: azure: Minutes and MaxRequests must not be negative")
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
	minutes, err := checkAzureHeader(header, cfg.Minutes)
	if err != nil {
		return nil, nil, err
	}
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
		c, sum, err := parseAzureRow(rec[3:3+minutes], line)
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

func checkAzureHeader(h []string, keep int) (int, error) {
	if len(h) < 4 || h[0] != "HashFunction" || h[1] != "HashApp" || h[2] != "HashOwner" {
		return 0, malformed(1, "azure: header must start with HashFunction,HashApp,HashOwner,minute_1")
	}
	for i, name := range h[3:] {
		if name != "minute_"+strconv.Itoa(i+1) {
			return 0, malformed(1, "azure: column %d is %q, want minute_%d", i+4, name, i+1)
		}
	}
	minutes := len(h) - 3
	if keep > 0 && keep < minutes {
		minutes = keep
	}
	return minutes, nil
}

func parseAzureRow(fields []string, line int) ([]int32, int, error) {
	c := make([]int32, len(fields))
	sum := 0
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n < 0 {
			return nil, 0, malformed(line, "azure: minute_%d count %q is not a non-negative integer", i+1, f)
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
