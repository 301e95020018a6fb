package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// ClusterSweep replays w for every contender at every memory fraction
// (each node's budget is the fraction of w's model bytes), parallel
// replays at once (default GOMAXPROCS). The oracle, whose memory is
// unbounded, is replayed once and reported at every fraction. Results are
// ordered by fraction, then contender.
func ClusterSweep(ctx context.Context, w *Workload, base ClusterConfig, fractions []float64, cons []ClusterContender, parallel int) ([]ClusterResult, error) {
	if len(fractions) == 0 || len(cons) == 0 {
		return nil, fmt.Errorf("%w: no memory fractions or no contenders", ErrInvalidEval)
	}
	for _, f := range fractions {
		if !(f > 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: memory fraction %v is not positive", ErrInvalidEval, f)
		}
	}
	out := make([]ClusterResult, len(fractions)*len(cons))
	g, ctx := errgroup.WithContext(ctx)
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(parallel)
	for i, f := range fractions {
		for j, con := range cons {
			if con == Oracle && i > 0 {
				continue // copied from the first fraction below
			}
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				cfg := base
				cfg.NodeBudgetBytes = int64(math.Round(f * float64(w.TotalBytes())))
				r, err := RunCluster(w, cfg, con)
				if err != nil {
					return fmt.Errorf("sim: cluster %s at %.2f: %w", con, f, err)
				}
				r.MemoryFraction = f
				out[i*len(cons)+j] = r
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := 1; i < len(fractions); i++ {
		for j, con := range cons {
			if con == Oracle {
				out[i*len(cons)+j] = out[j]
				out[i*len(cons)+j].MemoryFraction = fractions[i]
			}
		}
	}
	return out, nil
}

// WithinOracle is the smallest memory fraction at which con's p99 latency
// is at most factor times the oracle's, among results (one ClusterSweep);
// false when there is none or no oracle.
func WithinOracle(results []ClusterResult, con ClusterContender, factor float64) (float64, bool) {
	best, found := 0.0, false
	for _, r := range results {
		if r.Contender != con {
			continue
		}
		for _, o := range results {
			if o.Contender == Oracle && o.MemoryFraction == r.MemoryFraction &&
				float64(r.P99) <= factor*float64(o.P99) && (!found || r.MemoryFraction < best) {
				best, found = r.MemoryFraction, true
			}
		}
	}
	return best, found
}
