package cache

import "context"

// Resident is a loaded model as the cache sees it. The node adapts
// runtime.Model (MemoryBytes is its Profile().MemoryBytes).
type Resident interface {
	// MemoryBytes is the memory the loaded model takes, as measured.
	MemoryBytes() int64
	// Close releases the model. The cache calls it once, when no request
	// uses the model.
	Close() error
}

// GPUResident is implemented by models that also hold GPU memory; the cache
// charges it against Config.GPUCapacityBytes.
type GPUResident interface {
	// GPUMemoryBytes is the device memory the loaded model takes, as
	// measured (for example NVML's used memory across the load).
	GPUMemoryBytes() int64
}

// MappedResident is implemented by models that also map file-backed memory
// (weights memory-mapped from a file): the page cache, a second tier the
// kernel manages. The cache reports it and never charges it.
type MappedResident interface {
	// MappedBytes is the file-backed memory the model maps, as measured.
	MappedBytes() int64
}

// mappedBytes is m's mapped memory, 0 when it reports none.
func mappedBytes[M Resident](m M) int64 {
	if r, ok := any(m).(MappedResident); ok {
		return r.MappedBytes()
	}
	return 0
}

// Loader loads a model by name. It must honour ctx: the cache cancels it
// when every request waiting for the load has left, on LoadTimeout and on
// Close.
type Loader[M Resident] interface {
	Load(ctx context.Context, name string) (M, error)
}

// LoaderFunc adapts a function to Loader.
type LoaderFunc[M Resident] func(ctx context.Context, name string) (M, error)

// Load calls f.
func (f LoaderFunc[M]) Load(ctx context.Context, name string) (M, error) { return f(ctx, name) }

// WarmUpFunc runs a freshly loaded model once before it serves (for example
// an inference on zero inputs). An error fails the load.
type WarmUpFunc[M Resident] func(ctx context.Context, name string, m M) error
