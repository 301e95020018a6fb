package cache

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// Config holds the cache's settings.
type Config struct {
	// CapacityBytes is the memory budget, in bytes, of the pool the cache
	// guards (host memory, or GPU memory on a GPU node).
	CapacityBytes int64
	// GPUCapacityBytes is the GPU memory budget, in bytes, for models that
	// report GPU memory (GPUResident); 0 means none is enforced. A node on
	// a GPU execution provider sets it at start from NVML: the GPU's free
	// memory minus a reserve (node.Config.GPUReserveBytes), unless
	// node.Config.GPUBudgetBytes sets it.
	GPUCapacityBytes int64
	// MaxConcurrentLoads bounds the loads that run at once so that loads do
	// not starve inference of CPU and memory bandwidth.
	MaxConcurrentLoads int
	// LoadTimeout bounds one load including its warm-up; 0 means no bound
	// beyond the waiters' own deadlines.
	LoadTimeout time.Duration
	// RoomWait is how long a load waits for in-use models to be released
	// when no idle model can be evicted; after it the load fails with
	// ErrNoCapacity. 0 fails at once. The waiters' deadlines bound it too.
	RoomWait time.Duration
	// BackoffBase is the back-off after a model's first failed load; it
	// doubles with every further consecutive failure, up to BackoffMax.
	BackoffBase time.Duration
	// BackoffMax caps the back-off.
	BackoffMax time.Duration
	// HistorySize is the number of requests the history ring keeps.
	HistorySize int
	// MaxModels bounds the distinct model names the cache tracks. Names
	// become policy keys 0, 1, 2... in first-seen order, so it is also the
	// key space the policy must accept (policy.New over MaxModels entries).
	// A new name beyond it fails with ErrTooManyModels.
	MaxModels int
	// ColdLoadFactor is how many times a load with none of a model's
	// weights in the page cache costs one with all of them there, used
	// with Deps.PageCached until the cache has timed both kinds of load of
	// the model; 0 means DefaultColdLoadFactor.
	ColdLoadFactor float64
}

// DefaultColdLoadFactor is about the median cold/warm ratio of a load of
// the zoo's models measured on a small machine (docs/miss-path.md).
const DefaultColdLoadFactor = 2.5

// coldLoadFactor is ColdLoadFactor or its default.
func (c Config) coldLoadFactor() float64 {
	if c.ColdLoadFactor == 0 {
		return DefaultColdLoadFactor
	}
	return c.ColdLoadFactor
}

// DefaultConfig returns settings for a small edge node (2 GiB budget).
func DefaultConfig() Config {
	return Config{
		CapacityBytes:      2 << 30,
		MaxConcurrentLoads: 2,
		LoadTimeout:        2 * time.Minute,
		RoomWait:           30 * time.Second,
		BackoffBase:        time.Second,
		BackoffMax:         time.Minute,
		HistorySize:        4096,
		MaxModels:          4096,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.CapacityBytes <= 0:
		return fmt.Errorf("cache: CapacityBytes must be positive, got %d", c.CapacityBytes)
	case c.GPUCapacityBytes < 0:
		return fmt.Errorf("cache: GPUCapacityBytes must not be negative, got %d", c.GPUCapacityBytes)
	case c.MaxConcurrentLoads <= 0:
		return fmt.Errorf("cache: MaxConcurrentLoads must be positive, got %d", c.MaxConcurrentLoads)
	case c.LoadTimeout < 0 || c.RoomWait < 0:
		return errors.New("cache: LoadTimeout and RoomWait must not be negative")
	case c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase:
		return fmt.Errorf("cache: need 0 < BackoffBase (%v) <= BackoffMax (%v)", c.BackoffBase, c.BackoffMax)
	case c.HistorySize <= 0:
		return fmt.Errorf("cache: HistorySize must be positive, got %d", c.HistorySize)
	case c.MaxModels <= 0:
		return fmt.Errorf("cache: MaxModels must be positive, got %d", c.MaxModels)
	case c.ColdLoadFactor != 0 && !(c.ColdLoadFactor >= 1):
		return fmt.Errorf("cache: ColdLoadFactor must be 0 or at least 1, got %v", c.ColdLoadFactor)
	}
	return nil
}

// Clock tells the time; tests inject a controllable one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Deps are the cache's collaborators.
type Deps[M Resident] struct {
	// Loader loads a model on a miss. Required.
	Loader Loader[M]
	// Policy chooses eviction victims. Required; the cache serialises calls.
	// It must accept keys 0..Config.MaxModels-1.
	Policy policy.Policy
	// WarmUp, if set, runs after every load, before the model is published.
	WarmUp WarmUpFunc[M]
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// Clock defaults to the system clock. It dates history, back-offs and
	// policy calls; waits use real timers.
	Clock Clock
	// Registerer receives the cache's metrics; nil registers none. A process
	// with several caches wraps it with distinguishing labels.
	Registerer prometheus.Registerer
	// PageCached, if set, says how much of a model's weights the page
	// cache holds now, from 0 to 1 (ok false: unknown). The cost of a load
	// the cache hands its policy (policy.Entry.LoadCost) then depends on
	// it: a model whose weights must be read from disk costs more to load
	// than one whose weights are still cached (loadcost.go). The cache
	// calls it once for each load it starts, holding its lock: it must be
	// quick and must not call the cache.
	PageCached func(name string) (fraction float64, ok bool)
	// HeldBytes, if set, is host memory the runtime holds outside every
	// loaded model's charge now (for ONNX Runtime, its shared arena's free
	// memory: ort.Loader.HeldBytes). The cache counts it as used whenever
	// it decides whether a load fits. It is called holding the cache's
	// lock: it must be quick and must not call the cache.
	HeldBytes func() int64
	// ModelLabel maps a model's name to the model label of the per-model
	// series (load_duration_seconds); the default is the name itself. The
	// node maps "name:version" to the name, as its own series do.
	ModelLabel func(name string) string
}

func (d *Deps[M]) fill() error {
	if d.Loader == nil || d.Policy == nil {
		return errors.New("cache: Deps.Loader and Deps.Policy are required")
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Clock == nil {
		d.Clock = systemClock{}
	}
	if d.ModelLabel == nil {
		d.ModelLabel = func(name string) string { return name }
	}
	return nil
}
