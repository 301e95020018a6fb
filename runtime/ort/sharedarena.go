package ort

import (
	"fmt"

	onnx "github.com/yalue/onnxruntime_go"
	"go.uber.org/zap"
)

// The shared arena. ONNX Runtime gives each session a CPU arena of its own
// by default: the arena grows as the session's first run asks for its
// activations, faulting fresh pages in, and it is freed with the session.
// A session made by a load without warm-up (a request's miss) allocates
// instead from one arena registered with the environment, so its first run
// reuses the pages earlier sessions' runs used, whichever thread it runs
// on (docs/miss-path.md measures what that saves). Measured loads keep an
// arena of their own, so that a model's measured memory stays its own
// (loader.go).
//
// The arena keeps what it takes from the C heap: after a session is
// closed, its runs' memory stays in the arena, free, for the next. That
// memory is nobody's charge, so the Loader reports it (HeldBytes) and the
// cache counts it as used on top of the models' charges. It is at most
// what the runs in progress at one time have needed, since the arena only
// grows when a run finds too little free; a resident shared-arena model's
// charge (its isolated measured memory, arena included) counts its
// activations a second time, which errs on the side of the budget.

// keyUseEnvAllocators has a session allocate from the allocators registered
// with the environment instead of making its own.
const keyUseEnvAllocators = "session.use_env_allocators"

// registerSharedArena registers one CPU arena allocator with the
// environment, right after the environment is made, and the probe that
// reads its statistics (arenastats.go).
func registerSharedArena() error {
	info, err := onnx.GetMemoryInfo()
	if err != nil {
		return err
	}
	cfg, err := onnx.NewArenaCfg(0, -1, -1, -1) // ONNX Runtime's defaults
	if err != nil {
		return err
	}
	defer cfg.Destroy()
	if err := onnx.CreateAndRegisterAllocator(info, cfg); err != nil {
		return err
	}
	return startArenaProbe()
}

// useSharedArenaIf opts a session's options into the shared arena when
// shared is set.
func useSharedArenaIf(shared bool, opts *onnx.SessionOptions) error {
	if !shared {
		return nil
	}
	if err := opts.AddSessionConfigEntry(keyUseEnvAllocators, "1"); err != nil {
		return fmt.Errorf("ort: session config %s: %w", keyUseEnvAllocators, err)
	}
	return nil
}

// checkSharedArena turns SharedArena off, with a warning, when the
// environment could not set the arena up (an ONNX Runtime older than 1.23,
// or Windows).
func (l *Loader) checkSharedArena() {
	if !l.cfg.SharedArena {
		return
	}
	if err := sharedArenaError(); err != nil {
		l.log.Warn("ort: no shared arena, sessions keep an arena each", zap.Error(err))
		l.cfg.SharedArena = false
	}
}

// HeldBytes is the memory the shared arena holds free: taken from the C
// heap for runs that have finished, and charged to no model. It is 0 when
// the Loader does not use the shared arena, and the same for every Loader
// of the process (there is one arena).
func (l *Loader) HeldBytes() int64 {
	if !l.cfg.SharedArena {
		return 0
	}
	st, err := sharedArenaStats()
	if err != nil {
		return 0
	}
	return max(st.total-st.inUse, 0)
}
