package policy

import (
	"fmt"
	"math"
	"time"
)

// table holds every model's size and load cost, indexed by Key, so that
// policies keep their per-model state in dense slices.
type table struct {
	size []int64
	cost []time.Duration
}

// newTable checks that the keys are dense (0..len(models)-1, each once)
// and that sizes and costs are usable.
func newTable(models []Entry) (table, error) {
	t := table{size: make([]int64, len(models)), cost: make([]time.Duration, len(models))}
	seen := make([]bool, len(models))
	for _, e := range models {
		if e.Key < 0 || int(e.Key) >= len(models) || seen[e.Key] {
			return table{}, fmt.Errorf("policy: key %d is not dense or repeats (want 0..%d once each): %w", e.Key, len(models)-1, ErrBadModels)
		}
		if e.SizeBytes < 0 || e.LoadCost < 0 {
			return table{}, fmt.Errorf("policy: model %d has size %d bytes and load cost %v: %w", e.Key, e.SizeBytes, e.LoadCost, ErrBadModels)
		}
		seen[e.Key] = true
		t.size[e.Key], t.cost[e.Key] = e.SizeBytes, e.LoadCost
	}
	return t, nil
}

// learn records e's size and cost as reported by the caller (the node
// measures memory after a load, which may differ from the catalog's).
func (t *table) learn(e Entry) {
	if e.SizeBytes >= 0 {
		t.size[e.Key] = e.SizeBytes
	}
	if e.LoadCost > 0 {
		t.cost[e.Key] = e.LoadCost
	}
}

// costPerByte is the load cost, in seconds, per byte (a model of no
// measured size counts as one byte).
func (t *table) costPerByte(k Key) float64 {
	return t.cost[k].Seconds() / float64(max(t.size[k], 1))
}

// logSize is the log of the size, a model of no measured size counting as
// one byte.
func (t *table) logSize(k Key) float64 {
	return math.Log(float64(max(t.size[k], 1)))
}
