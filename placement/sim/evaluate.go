package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Contender is one line of a comparison: an online policy or an offline
// reference, under a report name.
type Contender struct {
	Name string
	// Run replays the workload at a capacity. It must not modify w and
	// may be called concurrently for different capacities.
	Run func(w *Workload, capacityBytes int64, opts Options) (Result, error)
}

// EvalConfig says what to compare.
type EvalConfig struct {
	// CapacityFractions are capacities as fractions of the workload's
	// total model bytes.
	CapacityFractions []float64
	// Parallel is the number of replays run at once (default GOMAXPROCS).
	Parallel int
	// Progress, when set, receives the number of requests replayed since
	// its previous call, from any goroutine, summed over all replays.
	Progress func(delta int)
	// InstantLoads replays with Options.InstantLoads.
	InstantLoads bool
	// Forward is Options.Forward: the peer of the forwarding forms.
	Forward *Forward
}

// DefaultCapacityFractions are the capacities reported by default.
func DefaultCapacityFractions() []float64 { return []float64{0.10, 0.25, 0.50} }

// ErrInvalidEval is returned (wrapped) for an unusable EvalConfig.
var ErrInvalidEval = errors.New("sim: invalid evaluation")

// Evaluate replays w for every contender at every capacity and returns the
// results ordered by capacity, then contender. Each Result's Policy is the
// contender's name.
func Evaluate(ctx context.Context, w *Workload, contenders []Contender, cfg EvalConfig) ([]Result, error) {
	caps, err := capacities(w, cfg.CapacityFractions)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(caps)*len(contenders))
	g, ctx := errgroup.WithContext(ctx)
	parallel := cfg.Parallel
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(parallel)
	for i, c := range caps {
		for j, con := range contenders {
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := con.Run(w, c, Options{Progress: deltas(cfg.Progress), InstantLoads: cfg.InstantLoads, Forward: cfg.Forward})
				if err != nil {
					return fmt.Errorf("sim: %s at %d bytes: %w", con.Name, c, err)
				}
				r.Policy, r.CapacityBytes = con.Name, c
				results[i*len(contenders)+j] = r
				return nil
			})
		}
	}
	return results, g.Wait()
}

func capacities(w *Workload, fractions []float64) ([]int64, error) {
	if len(fractions) == 0 {
		return nil, fmt.Errorf("%w: no capacities", ErrInvalidEval)
	}
	total := w.TotalBytes()
	out := make([]int64, len(fractions))
	for i, f := range fractions {
		if !(f > 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: capacity fraction %v is not positive", ErrInvalidEval, f)
		}
		out[i] = int64(math.Round(f * float64(total)))
	}
	return out, nil
}

// deltas turns one replay's cumulative progress into increments. A
// replay reports from a single goroutine, so last needs no lock.
func deltas(report func(int)) func(int) {
	if report == nil {
		return nil
	}
	last := 0
	return func(done int) {
		report(done - last)
		last = done
	}
}
