package ort

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgeserve/edgeserve/runtime"
)

// Execution providers.
const (
	ProviderCPU      = "cpu"
	ProviderCUDA     = "cuda"
	ProviderTensorRT = "tensorrt"
)

// LibraryEnv is the environment variable DefaultConfig reads the library
// path from.
const LibraryEnv = "EDGESERVE_ORT_LIB"

// Config holds the backend's settings.
type Config struct {
	// LibraryPath is the ONNX Runtime shared library (libonnxruntime.so.1).
	// Default: DefaultLibraryPath().
	LibraryPath string
	// IntraOpThreads is the number of threads one inference may use; 0 lets
	// ONNX Runtime use every core. Default 1: a node runs many models.
	IntraOpThreads int
	// Provider is the execution provider: "cpu", "cuda" or "tensorrt".
	Provider string
	// DeviceID is the GPU the cuda and tensorrt providers run on.
	DeviceID int
	// FastLoad loads models from their prepared form, preparing it on first
	// load. Off: every load is ONNX Runtime's default load.
	FastLoad bool
	// PreparedDir is where prepared forms live; required when FastLoad is on.
	PreparedDir string
	// WarmRunWeight is the weight of each new run in the warm-run moving
	// average, in (0, 1].
	WarmRunWeight float64
	// ExternalMinBytes: initializers of at least this many bytes go into the
	// prepared form's aligned external data file.
	ExternalMinBytes int64
	// AlignBytes is the alignment of each initializer in the external data
	// file; a multiple of the page size so ONNX Runtime can memory-map it.
	AlignBytes int64
	// SharedArena has the sessions of loads without warm-up (a request's
	// miss) allocate from one CPU arena shared by the process instead of an
	// arena each, so that their first runs reuse memory earlier runs
	// faulted in (sharedarena.go). Its free memory is reported by
	// Loader.HeldBytes.
	SharedArena bool
}

// DefaultConfig is CPU execution, one thread, fast loading into a directory
// under the user cache directory.
func DefaultConfig() Config {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return Config{
		LibraryPath:      DefaultLibraryPath(),
		IntraOpThreads:   1,
		Provider:         ProviderCPU,
		FastLoad:         true,
		PreparedDir:      dir + "/edgeserve/prepared",
		WarmRunWeight:    0.2,
		ExternalMinBytes: 1024,
		AlignBytes:       64 << 10,
		SharedArena:      true,
	}
}

func (c Config) validate() error {
	switch {
	case c.LibraryPath == "":
		return fmt.Errorf("%w: ort: no onnxruntime library: set %s or Config.LibraryPath (run make setup)", runtime.ErrUnavailable, LibraryEnv)
	case c.IntraOpThreads < 0:
		return fmt.Errorf("ort: IntraOpThreads %d < 0", c.IntraOpThreads)
	case c.Provider != ProviderCPU && c.Provider != ProviderCUDA && c.Provider != ProviderTensorRT:
		return fmt.Errorf("ort: unknown provider %q (want cpu, cuda or tensorrt)", c.Provider)
	case c.FastLoad && c.PreparedDir == "":
		return fmt.Errorf("ort: FastLoad needs PreparedDir")
	case c.WarmRunWeight <= 0 || c.WarmRunWeight > 1:
		return fmt.Errorf("ort: WarmRunWeight %v not in (0, 1]", c.WarmRunWeight)
	case c.ExternalMinBytes < 0:
		return fmt.Errorf("ort: ExternalMinBytes %d < 0", c.ExternalMinBytes)
	case c.AlignBytes < 4096 || c.AlignBytes%4096 != 0:
		return fmt.Errorf("ort: AlignBytes %d is not a multiple of 4096", c.AlignBytes)
	}
	return nil
}

// setupLibrary is where `make setup` puts the pinned ONNX Runtime build,
// relative to the repository root that holds bin/.
const setupLibrary = ".cache/onnxruntime/1.30.0/libonnxruntime.so.1"

// DefaultLibraryPath is $EDGESERVE_ORT_LIB, or else the library `make
// setup` installed beside the running binary's bin/ folder (so binaries
// built by `make build` find it without any variable), or else "".
func DefaultLibraryPath() string {
	if p := os.Getenv(LibraryEnv); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(exe), "..", setupLibrary)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return filepath.Clean(p)
}
