package ort

import (
	"fmt"
	"os"
	"sync"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime"
)

// environment is the process-global ONNX Runtime environment. The binding
// holds the library handle and the environment in package variables, so
// there can only be one per process, bound to one library file. It is
// created on first use and never destroyed: the binding's DestroyEnvironment
// dlcloses the library, and ONNX Runtime does not support being unloaded and
// loaded again in one process. This is the one global of the package.
var environment struct {
	// logs receives ONNX Runtime's log messages (logsink.go); it has its own
	// lock, since ONNX Runtime may log while mu is held.
	logs logRouter

	mu      sync.Mutex // guards the fields below
	libPath string     // library the environment was created from
	err     error      // error of the first initialisation, sticky
	// arenaErr says why the shared arena could not be set up (sharedarena.go);
	// the environment is usable without it.
	arenaErr error
}

// acquireEnvironment makes sure the environment exists and was created from
// libPath.
func acquireEnvironment(libPath string) error {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	if _, err := os.Stat(libPath); err != nil {
		return fmt.Errorf("%w: ort: onnxruntime library: %v (run make setup, or set EDGESERVE_ORT_LIB)", runtime.ErrUnavailable, err)
	}
	if environment.libPath != "" {
		if environment.libPath != libPath {
			return fmt.Errorf("%w: ort: environment already uses %s, cannot switch to %s in one process", runtime.ErrUnavailable, environment.libPath, libPath)
		}
		return environment.err
	}
	environment.libPath = libPath
	// Created first with our logging function, the environment the binding
	// initialises below is this one (ortlog.c).
	if err := createLoggingEnv(libPath, ortLogLevel); err != nil {
		environment.err = fmt.Errorf("%w: ort: initialise onnxruntime from %s: %v", runtime.ErrUnavailable, libPath, err)
		return environment.err
	}
	onnx.SetSharedLibraryPath(libPath)
	if err := onnx.InitializeEnvironment(onnx.WithLogLevelWarning()); err != nil {
		environment.err = fmt.Errorf("%w: ort: initialise onnxruntime from %s: %v", runtime.ErrUnavailable, libPath, err)
		return environment.err
	}
	if err := registerSharedArena(); err != nil {
		environment.arenaErr = fmt.Errorf("ort: shared arena: %w", err)
	}
	return nil
}

// sharedArenaError says why the environment has no shared arena, nil when
// it has one.
func sharedArenaError() error {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	return environment.arenaErr
}

// Version is the version of the loaded ONNX Runtime library, or "" before a
// Loader was created.
func Version() string {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	if environment.libPath == "" || environment.err != nil {
		return ""
	}
	return onnx.GetVersion()
}
