// Package nvml discovers NVIDIA GPUs and their memory through NVML
// (github.com/NVIDIA/go-nvml, which dlopens libnvidia-ml). A machine without
// the library, the driver or a GPU is a normal state, not an error: Probe
// then reports no GPUs and the reason, and the node runs on its host-memory
// budget.
package nvml

import (
	"fmt"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
)

// DefaultLibrary is the NVML library the driver installs.
const DefaultLibrary = "libnvidia-ml.so.1"

// Config holds the probe's settings.
type Config struct {
	// LibraryPath is the NVML library to load: a file path or a name the
	// dynamic linker resolves. Default: libnvidia-ml.so.1.
	LibraryPath string
}

// DefaultConfig uses the driver's library from the linker's search path.
func DefaultConfig() Config {
	return Config{LibraryPath: DefaultLibrary}
}

// GPU is one device as NVML reports it.
type GPU struct {
	Index int
	Name  string
	UUID  string
	// Memory in bytes at the time of the probe.
	MemoryTotalBytes uint64
	MemoryUsedBytes  uint64
	MemoryFreeBytes  uint64
}

// Report is the result of a probe.
type Report struct {
	GPUs []GPU
	// Reason says why no GPU is reported ("" when NVML answered).
	Reason string
}

// Count is the number of GPUs found.
func (r Report) Count() int { return len(r.GPUs) }

// String summarises the report for logs.
func (r Report) String() string {
	if r.Reason != "" {
		return "no GPU: " + r.Reason
	}
	s := fmt.Sprintf("%d GPU(s)", len(r.GPUs))
	for _, g := range r.GPUs {
		s += fmt.Sprintf("; %d %s %d/%d MiB free", g.Index, g.Name, g.MemoryFreeBytes>>20, g.MemoryTotalBytes>>20)
	}
	return s
}

// Probe loads NVML, lists the GPUs with their memory and unloads NVML.
// It never fails: whatever is missing becomes the report's Reason.
func Probe(cfg Config) Report {
	path := cfg.LibraryPath
	if path == "" {
		path = DefaultLibrary
	}
	lib := gonvml.New(gonvml.WithLibraryPath(path))
	if ret := lib.Init(); ret != gonvml.SUCCESS {
		return Report{Reason: initReason(path, ret)}
	}
	defer lib.Shutdown()
	return devices(lib)
}

func initReason(path string, ret gonvml.Return) string {
	switch ret {
	case gonvml.ERROR_LIBRARY_NOT_FOUND:
		return fmt.Sprintf("nvml: cannot load %s (NVIDIA driver not installed?)", path)
	case gonvml.ERROR_DRIVER_NOT_LOADED:
		return "nvml: NVIDIA driver not loaded"
	case gonvml.ERROR_NO_PERMISSION:
		return "nvml: no permission to access the GPUs"
	}
	return fmt.Sprintf("nvml: init: %v", ret)
}

// devices lists every GPU; a device that cannot be queried is skipped, and
// if none can, the report says why.
func devices(lib gonvml.Interface) Report {
	n, ret := lib.DeviceGetCount()
	if ret != gonvml.SUCCESS {
		return Report{Reason: fmt.Sprintf("nvml: device count: %v", ret)}
	}
	var r Report
	var lastErr string
	for i := range n {
		g, err := device(lib, i)
		if err != "" {
			lastErr = err
			continue
		}
		r.GPUs = append(r.GPUs, g)
	}
	if len(r.GPUs) == 0 {
		r.Reason = "nvml: no GPU found"
		if lastErr != "" {
			r.Reason = lastErr
		}
	}
	return r
}

func device(lib gonvml.Interface, i int) (GPU, string) {
	d, ret := lib.DeviceGetHandleByIndex(i)
	if ret != gonvml.SUCCESS {
		return GPU{}, fmt.Sprintf("nvml: device %d: %v", i, ret)
	}
	g := GPU{Index: i}
	g.Name, _ = d.GetName()
	g.UUID, _ = d.GetUUID()
	mem, ret := d.GetMemoryInfo()
	if ret != gonvml.SUCCESS {
		return GPU{}, fmt.Sprintf("nvml: device %d memory: %v", i, ret)
	}
	g.MemoryTotalBytes, g.MemoryUsedBytes, g.MemoryFreeBytes = mem.Total, mem.Used, mem.Free
	return g, ""
}
