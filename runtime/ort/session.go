package ort

import (
	"fmt"
	"strconv"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime"
)

// ONNX Runtime session configuration keys (onnxruntime_session_options_config_keys.h).
const (
	keyDisablePrepacking   = "session.disable_prepacking"
	keyExternalFile        = "session.optimized_model_external_initializers_file_name"
	keyExternalMinBytes    = "session.optimized_model_external_initializers_min_size_in_bytes"
	optimizedModelFileName = "optimized.onnx"
	optimizedDataFileName  = "optimized.data"
)

// sessionMode says how a session is created.
type sessionMode int

const (
	// modeDefault is ONNX Runtime's default load: full graph optimisation,
	// weight prepacking.
	modeDefault sessionMode = iota
	// modePrepared loads a prepared model: no optimisation, no prepacking.
	modePrepared
)

// newOptions builds session options for a mode and the configured threads
// and execution provider.
func (l *Loader) newOptions(mode sessionMode) (*onnx.SessionOptions, error) {
	opts, err := onnx.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: session options: %w", err)
	}
	if err := l.configure(opts, mode); err != nil {
		opts.Destroy()
		return nil, err
	}
	return opts, nil
}

func (l *Loader) configure(opts *onnx.SessionOptions, mode sessionMode) error {
	if l.cfg.IntraOpThreads > 0 {
		if err := opts.SetIntraOpNumThreads(l.cfg.IntraOpThreads); err != nil {
			return fmt.Errorf("ort: intra-op threads: %w", err)
		}
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return fmt.Errorf("ort: inter-op threads: %w", err)
	}
	if mode == modePrepared {
		if err := opts.SetGraphOptimizationLevel(onnx.GraphOptimizationLevelDisableAll); err != nil {
			return fmt.Errorf("ort: optimisation level: %w", err)
		}
		if err := opts.AddSessionConfigEntry(keyDisablePrepacking, "1"); err != nil {
			return fmt.Errorf("ort: disable prepacking: %w", err)
		}
	}
	return appendProvider(opts, l.cfg.Provider, l.cfg.DeviceID)
}

// appendProvider adds the GPU execution provider, if configured. A library
// built without it, or a machine without the NVIDIA stack, gives an error
// wrapping runtime.ErrUnavailable that says what is missing.
func appendProvider(opts *onnx.SessionOptions, provider string, device int) error {
	switch provider {
	case ProviderCUDA:
		return appendCUDA(opts, device)
	case ProviderTensorRT:
		return appendTensorRT(opts, device)
	}
	return nil
}

func appendCUDA(opts *onnx.SessionOptions, device int) error {
	cuda, err := onnx.NewCUDAProviderOptions()
	if err != nil {
		return unavailable("cuda", "the onnxruntime library has no CUDA execution provider (use the onnxruntime-gpu build)", err)
	}
	defer cuda.Destroy()
	if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(device)}); err != nil {
		return unavailable("cuda", "cannot configure CUDA device "+strconv.Itoa(device), err)
	}
	if err := opts.AppendExecutionProviderCUDA(cuda); err != nil {
		return unavailable("cuda", "CUDA execution provider did not start (needs libonnxruntime_providers_cuda.so, CUDA runtime, cuDNN and a GPU)", err)
	}
	return nil
}

func appendTensorRT(opts *onnx.SessionOptions, device int) error {
	trt, err := onnx.NewTensorRTProviderOptions()
	if err != nil {
		return unavailable("tensorrt", "the onnxruntime library has no TensorRT execution provider (use the onnxruntime-gpu build)", err)
	}
	defer trt.Destroy()
	if err := trt.Update(map[string]string{"device_id": strconv.Itoa(device)}); err != nil {
		return unavailable("tensorrt", "cannot configure TensorRT device "+strconv.Itoa(device), err)
	}
	if err := opts.AppendExecutionProviderTensorRT(trt); err != nil {
		return unavailable("tensorrt", "TensorRT execution provider did not start (needs libonnxruntime_providers_tensorrt.so, TensorRT, CUDA and a GPU)", err)
	}
	return nil
}

func unavailable(provider, what string, err error) error {
	return fmt.Errorf("%w: ort: %s provider: %s: %v", runtime.ErrUnavailable, provider, what, err)
}

// newSession creates a session for the model at path, allocating from the
// shared arena when shared is set (sharedarena.go).
func (l *Loader) newSession(path string, sig runtime.Signature, mode sessionMode, shared bool) (*onnx.DynamicAdvancedSession, error) {
	opts, err := l.newOptions(mode)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if err := useSharedArenaIf(shared, opts); err != nil {
		return nil, err
	}
	return l.newSessionWith(path, sig, opts)
}

// newSessionWith creates a session with the given options.
func (l *Loader) newSessionWith(path string, sig runtime.Signature, opts *onnx.SessionOptions) (*onnx.DynamicAdvancedSession, error) {
	sess, err := onnx.NewDynamicAdvancedSession(path, specNames(sig.Inputs), specNames(sig.Outputs), opts)
	if err != nil {
		return nil, fmt.Errorf("%w: ort: %v", runtime.ErrInvalidModel, err)
	}
	return sess, nil
}

func specNames(specs []runtime.TensorSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}
