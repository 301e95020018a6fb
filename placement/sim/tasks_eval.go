package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// TaskEval says what EvaluateTasks compares.
type TaskEval struct {
	// CapacityFractions are capacities as fractions of the workload's
	// total model bytes (every task's copy of every variant).
	CapacityFractions []float64
	// Config is every replay's settings; its CapacityBytes is set from
	// each fraction.
	Config TaskConfig
	// Parallel is the number of replays run at once (default GOMAXPROCS).
	Parallel int
	// Progress, when set, receives the number of requests replayed since
	// its previous call, from any goroutine, summed over all replays.
	Progress func(delta int)
}

// EvaluateTasks replays w for every contender at every capacity and
// returns the results ordered by capacity, then contender.
func EvaluateTasks(ctx context.Context, w *TaskWorkload, contenders []TaskContender, ev TaskEval) ([]TaskResult, error) {
	caps, err := fractionsOf(w.TotalBytes(), ev.CapacityFractions)
	if err != nil {
		return nil, err
	}
	results := make([]TaskResult, len(caps)*len(contenders))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp0(ev.Parallel, runtime.GOMAXPROCS(0)))
	for i, c := range caps {
		for j, con := range contenders {
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				cfg := ev.Config
				cfg.CapacityBytes, cfg.Progress = c, deltas(ev.Progress)
				r, err := RunTasks(w, con, cfg)
				if err != nil {
					return fmt.Errorf("sim: %s at %d bytes: %w", con.Name, c, err)
				}
				results[i*len(contenders)+j] = r
				return nil
			})
		}
	}
	return results, g.Wait()
}

// fractionsOf turns capacity fractions of total bytes into bytes.
func fractionsOf(total int64, fractions []float64) ([]int64, error) {
	if len(fractions) == 0 {
		return nil, fmt.Errorf("%w: no capacities", ErrInvalidEval)
	}
	out := make([]int64, len(fractions))
	for i, f := range fractions {
		if !(f > 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: capacity fraction %v is not positive", ErrInvalidEval, f)
		}
		out[i] = int64(math.Round(f * float64(total)))
	}
	return out, nil
}
