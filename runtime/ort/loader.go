package ort

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	onnx "github.com/yalue/onnxruntime_go"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/edgeserve/edgeserve/runtime"
)

// Loader loads ONNX models into ONNX Runtime sessions.
type Loader struct {
	cfg Config
	log *zap.Logger
	// ortLog receives ONNX Runtime's own messages while this is the newest
	// open Loader (logrouter.go).
	ortLog *zap.Logger
	// prepares deduplicates concurrent preparations of one prepared form.
	prepares singleflight.Group
	// measureMu serialises the measured part of loads (session creation,
	// warm-up and the resident-memory readings around them): a model's
	// memory is the process's growth across its own load, which a second
	// load running at the same time would add to or hide. Preparation and
	// inference still run concurrently.
	measureMu sync.Mutex
	// primed is set once a first, unmeasured load has absorbed ONNX
	// Runtime's one-time start-up memory. Guarded by measureMu.
	primed bool
	// warmMemory is the memory last measured for a model file across a
	// load with its warm-up run, by path (warmmemory.go). Guarded by
	// measureMu.
	warmMemory map[string]residentSet
	// sigs remembers the signatures of the files loaded (sigmemo.go).
	sigs sigMemo
}

var _ runtime.Loader = (*Loader)(nil)

// New validates cfg and initialises ONNX Runtime (once per process). A
// missing library gives an error wrapping runtime.ErrUnavailable.
func New(cfg Config, log *zap.Logger) (*Loader, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	l := &Loader{cfg: cfg, log: log, ortLog: log.Named(loggerName)}
	environment.logs.add(l.ortLog)
	if err := acquireEnvironment(cfg.LibraryPath); err != nil {
		environment.logs.remove(l.ortLog)
		return nil, err
	}
	l.checkSharedArena()
	return l, nil
}

// Close stops sending ONNX Runtime's log messages to this Loader's logger.
// Models it loaded stay usable. Close is idempotent.
func (l *Loader) Close() error {
	environment.logs.remove(l.ortLog)
	return nil
}

// Load loads a model and runs it once on zero inputs (dynamic dimensions 1)
// so that the first real request does not pay for lazy initialisation;
// with src.SkipWarmUp it skips that run once it knows the model's memory
// (warmmemory.go). With
// FastLoad it loads the prepared form, preparing it first if needed; if
// preparing fails for a reason other than a bad model, it falls back to the
// default load. Errors wrap runtime.ErrInvalidModel for files ONNX Runtime
// cannot load and runtime.ErrUnavailable for a missing execution provider.
func (l *Loader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, mode, prepTime, err := l.resolve(ctx, src)
	if err != nil {
		return nil, err
	}
	m, err := l.loadFile(src.Name, path, mode, !src.SkipWarmUp)
	if err != nil {
		return nil, err
	}
	m.profile.PrepareTime = prepTime
	return m, nil
}

// resolve picks the file to load: the prepared form with FastLoad (made
// now if missing), else the original.
func (l *Loader) resolve(ctx context.Context, src runtime.Source) (string, sessionMode, time.Duration, error) {
	if !l.cfg.FastLoad {
		return src.Path, modeDefault, 0, nil
	}
	path, took, err := l.ensurePrepared(ctx, src)
	switch {
	case err == nil:
		return path, modePrepared, took, nil
	case errors.Is(err, runtime.ErrInvalidModel), errors.Is(err, runtime.ErrUnavailable), errors.Is(err, fs.ErrNotExist), ctx.Err() != nil:
		return "", 0, 0, err
	}
	l.log.Warn("ort: cannot prepare model, loading it the default way", zap.String("model", src.Name), zap.Error(err))
	return src.Path, modeDefault, 0, nil
}

// loadFile creates the session, runs the warm-up if warm and measures both.
// A load without warm-up of a file whose warmed memory is known (a
// request's miss) reads no resident memory: it reports the warmed figures
// (warmmemory.go).
func (l *Loader) loadFile(name, path string, mode sessionMode, warm bool) (*model, error) {
	l.measureMu.Lock()
	defer l.measureMu.Unlock()
	l.primeLocked(name, path, mode)
	if !warm && l.knowsWarmMemoryLocked(path) {
		m, err := l.openFile(name, path, mode, false)
		if err != nil {
			return nil, err
		}
		m.setMemory(l.warmMemory[path])
		return m, nil
	}
	return l.measuredLoadLocked(name, path, mode)
}

// measuredLoadLocked creates the session with its warm-up run and measures
// the process's growth across both. The caller holds measureMu.
func (l *Loader) measuredLoadLocked(name, path string, mode sessionMode) (*model, error) {
	// So that reused free memory does not hide this load's growth. A load
	// without warm-up reports this figure instead of measuring, so it
	// reuses the C heap's free memory: pages already mapped, which its
	// first run does not fault in again (docs/miss-path.md).
	releaseFreedMemory()
	before, err := readResident()
	if err != nil {
		return nil, err
	}
	m, err := l.openFile(name, path, mode, true)
	if err != nil {
		return nil, err
	}
	after, err := readResident()
	if err != nil {
		m.Close()
		return nil, err
	}
	grown := after.minus(before)
	l.recordWarmMemoryLocked(path, grown)
	m.setMemory(grown)
	return m, nil
}

// primeLocked makes the first load of this Loader once without measuring
// it, so that ONNX Runtime's one-time start-up memory (registries, the
// platform's kernels) is not charged to the first model loaded after
// start. A failure is left to the measured load to report.
func (l *Loader) primeLocked(name, path string, mode sessionMode) {
	if l.primed {
		return
	}
	l.primed = true
	if m, err := l.openFile(name, path, mode, true); err == nil {
		m.Close()
	}
}

// openFile creates the session and runs the warm-up if warm.
func (l *Loader) openFile(name, path string, mode sessionMode, warm bool) (*model, error) {
	start := time.Now()
	sig, err := l.sigs.read(path)
	if err != nil {
		return nil, fmt.Errorf("ort: load %s: %w", name, err)
	}
	shared := !warm && mode == modePrepared && l.cfg.SharedArena
	sess, unmap, err := l.openSession(path, sig.Signature, mode, shared)
	if err != nil {
		return nil, fmt.Errorf("ort: load %s: %w", name, err)
	}
	m := &model{name: name, sig: sig, sess: sess, unmap: unmap, warm: runtime.NewEWMA(l.cfg.WarmRunWeight), shared: shared}
	m.profile.LoadTime = time.Since(start)
	m.profile.Prepared = mode == modePrepared
	if err := l.warmUpIf(warm, m); err != nil {
		m.Close()
		return nil, fmt.Errorf("ort: load %s: warm-up run: %w", name, err)
	}
	return m, nil
}

// openSession creates the session: a prepared form from its ORT format file
// when it has one (ortformat.go), falling back to its ONNX graph if that
// fails; unmap, when not nil, releases what the session maps and runs
// after the session is destroyed. With shared set the session allocates
// from the shared arena (sharedarena.go).
func (l *Loader) openSession(path string, sig runtime.Signature, mode sessionMode, shared bool) (*onnx.DynamicAdvancedSession, func(), error) {
	if mode == modePrepared {
		if ortPath := ortFormatOf(path); ortPath != "" {
			sess, unmap, err := l.newORTSession(ortPath, sig, shared)
			if err == nil {
				return sess, unmap, nil
			}
			l.log.Warn("ort: cannot load the ORT format, loading the ONNX graph", zap.String("path", ortPath), zap.Error(err))
		}
	}
	sess, err := l.newSession(path, sig, mode, shared)
	return sess, nil, err
}

// warmUpIf runs the warm-up when warm is set.
func (l *Loader) warmUpIf(warm bool, m *model) error {
	if !warm {
		return nil
	}
	return l.warmUp(m)
}

// warmUp runs the model once on zero inputs and records it as FirstRun.
func (l *Loader) warmUp(m *model) error {
	ins, err := zeroInputs(m.sig.Inputs)
	if err != nil {
		return err
	}
	start := time.Now()
	// A model that fails on zero inputs is the model's fault, whatever the
	// run error says about inputs.
	if _, err := m.run(context.Background(), ins); err != nil {
		var re *runError
		if errors.As(err, &re) {
			return fmt.Errorf("%w: %s", runtime.ErrInvalidModel, re.msg)
		}
		return fmt.Errorf("%w: %v", runtime.ErrInvalidModel, err)
	}
	m.observe(time.Since(start))
	return nil
}
