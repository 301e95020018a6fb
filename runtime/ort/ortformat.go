package ort

import (
	"fmt"
	"os"
	"path/filepath"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/runtime"
)

// The prepared form also holds the optimised graph in ONNX Runtime's own
// format (a flatbuffer, PreparedORTFile), saved at prepare time from the
// prepared graph without optimising it again. A load maps that file
// read-only and has ONNX Runtime use the mapped bytes as they are, the
// initializers included (session.use_ort_model_bytes_directly and
// session.use_ort_model_bytes_for_initializers): nothing is parsed into a
// protobuf or copied, and the weights stay file-backed pages, the mapped
// tier of docs/memory.md, mapped all at once (MAP_POPULATE). It creates
// sessions faster and their first runs
// are shorter than the ONNX form with mapped external weights
// (docs/miss-path.md). A prepared form without it (an older layout, or a
// save that failed) loads the ONNX form.

// PreparedORTFile is the prepared form's ONNX Runtime format model inside
// its directory, next to PreparedModelFile.
const PreparedORTFile = "model.ort"

// ONNX Runtime session configuration keys for the ORT format.
const (
	keySaveFormat           = "session.save_model_format"
	keyLoadFormat           = "session.load_model_format"
	keyBytesDirectly        = "session.use_ort_model_bytes_directly"
	keyBytesForInitializers = "session.use_ort_model_bytes_for_initializers"
)

// saveORTFormat saves the prepared model at graph as PreparedORTFile in
// its directory: written under a temporary name and renamed into place.
func (l *Loader) saveORTFormat(graph string, sig runtime.Signature) error {
	dir := filepath.Dir(graph)
	tmp, err := os.CreateTemp(dir, ".model-*.ort")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	opts, err := l.newOptions(modePrepared)
	if err != nil {
		return err
	}
	defer opts.Destroy()
	if err := opts.AddSessionConfigEntry(keySaveFormat, "ORT"); err != nil {
		return fmt.Errorf("session config %s: %w", keySaveFormat, err)
	}
	if err := opts.SetOptimizedModelFilePath(tmp.Name()); err != nil {
		return fmt.Errorf("optimized model path: %w", err)
	}
	sess, err := l.newSessionWith(graph, sig, opts)
	if err != nil {
		return err
	}
	if err := sess.Destroy(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, PreparedORTFile))
}

// ortFormatOf is the ORT format file next to a prepared graph, "" when it
// has none.
func ortFormatOf(graph string) string {
	p := filepath.Join(filepath.Dir(graph), PreparedORTFile)
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return p
}

// newORTSession creates a session from the ORT format file at path, mapped
// read-only; unmap releases the mapping once the session is destroyed.
// With shared set it allocates from the shared arena (sharedarena.go).
func (l *Loader) newORTSession(path string, sig runtime.Signature, shared bool) (*onnx.DynamicAdvancedSession, func(), error) {
	// MAP_POPULATE maps every page at once (reading those not in the page
	// cache): one call instead of a page fault at each first touch in the
	// first run, which a virtual machine makes costly (docs/miss-path.md).
	data, unmap, err := mapFileFlags(path, mapPopulate)
	if err != nil {
		return nil, nil, err
	}
	opts, err := l.newOptions(modePrepared)
	if err != nil {
		unmap()
		return nil, nil, err
	}
	defer opts.Destroy()
	if err := useSharedArenaIf(shared, opts); err != nil {
		unmap()
		return nil, nil, err
	}
	for _, k := range []string{keyLoadFormat, keyBytesDirectly, keyBytesForInitializers} {
		v := "1"
		if k == keyLoadFormat {
			v = "ORT"
		}
		if err := opts.AddSessionConfigEntry(k, v); err != nil {
			unmap()
			return nil, nil, fmt.Errorf("ort: session config %s: %w", k, err)
		}
	}
	// The mapping is outside Go's heap, so ONNX Runtime may keep pointing
	// into it after the call; it lives until unmap.
	sess, err := onnx.NewDynamicAdvancedSessionWithONNXData(data, specNames(sig.Inputs), specNames(sig.Outputs), opts)
	if err != nil {
		unmap()
		return nil, nil, fmt.Errorf("%w: ort: %v", runtime.ErrInvalidModel, err)
	}
	return sess, unmap, nil
}
