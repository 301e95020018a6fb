package ort

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// ortAlignThresholdBytes is ONNX Runtime's own alignment threshold when it
// saves an optimised model (ModelSavingOptions' align_threshold, 1 MiB):
// external initializers larger than it start at page-aligned offsets.
const ortAlignThresholdBytes = 1 << 20

// externalRef is where an external initializer's data lies.
type externalRef struct {
	location     string
	offset, size int64
}

// externalRefOf reads t's external data entries; ok is false for an
// initializer stored inline.
func externalRefOf(t *onnxpb.TensorProto) (externalRef, bool, error) {
	if t.GetDataLocation() != onnxpb.TensorProto_EXTERNAL {
		return externalRef{}, false, nil
	}
	var r externalRef
	var err error
	for _, e := range t.GetExternalData() {
		switch e.GetKey() {
		case "location":
			r.location = e.GetValue()
		case "offset":
			r.offset, err = strconv.ParseInt(e.GetValue(), 10, 64)
		case "length":
			r.size, err = strconv.ParseInt(e.GetValue(), 10, 64)
		}
		if err != nil {
			return r, true, fmt.Errorf("initializer %q: bad %s: %w", t.GetName(), e.GetKey(), err)
		}
	}
	return r, true, nil
}

// eachInitializer calls f on every initializer of g and of its subgraphs.
func eachInitializer(g *onnxpb.GraphProto, f func(*onnxpb.TensorProto) error) error {
	for _, t := range g.GetInitializer() {
		if err := f(t); err != nil {
			return err
		}
	}
	for _, n := range g.GetNode() {
		for _, a := range n.GetAttribute() {
			subs := a.GetGraphs()
			if a.GetG() != nil {
				subs = append(subs, a.GetG())
			}
			for _, s := range subs {
				if err := eachInitializer(s, f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ownLayoutMapped reports whether ONNX Runtime's own saved layout can be
// kept as the prepared form: every external initializer lies in dataFile,
// and each one larger than ortAlignThresholdBytes starts at a multiple of
// pageBytes, as ONNX Runtime 1.30 writes them. ONNX Runtime memory-maps
// such a file at load (its mapping rounds smaller initializers' offsets
// down to a page itself), so rewriting it gains nothing and pads the file.
// A layout that fails the check (another ONNX Runtime version) gets the
// rewrite in align.go.
func ownLayoutMapped(m *onnxpb.ModelProto, dataFile string, pageBytes int64) (bool, error) {
	ok := true
	err := eachInitializer(m.GetGraph(), func(t *onnxpb.TensorProto) error {
		r, external, err := externalRefOf(t)
		if err != nil || !external {
			return err
		}
		if r.location != dataFile || r.offset < 0 || r.size < 0 || (r.size > ortAlignThresholdBytes && r.offset%pageBytes != 0) {
			ok = false
		}
		return nil
	})
	return ok, err
}

// adopt publishes ONNX Runtime's own saved model in work as the prepared
// form: its weights file moves to a unique name in outDir (no copy) and the
// graph is pointed at it.
func adopt(m *onnxpb.ModelProto, work, outDir string) (string, error) {
	weights, err := os.CreateTemp(outDir, "model-*.weights")
	if err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	weights.Close()
	published := false
	defer func() {
		if !published {
			os.Remove(weights.Name())
		}
	}()
	err = os.Rename(filepath.Join(work, optimizedDataFileName), weights.Name())
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // no file: every initializer is inline
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	name := filepath.Base(weights.Name())
	_ = eachInitializer(m.GetGraph(), func(t *onnxpb.TensorProto) error {
		for _, e := range t.GetExternalData() {
			if e.GetKey() == "location" {
				e.Value = name
			}
		}
		return nil
	})
	path, err := publish(m, outDir)
	published = err == nil
	return path, err
}
