package zoo

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
)

// Options control generation.
type Options struct {
	// Seed is the base seed; each model draws its weights from streams
	// derived from Seed and its name, so one seed gives a reproducible zoo.
	Seed uint64
	// Force regenerates a model even when an up-to-date copy exists.
	Force bool
}

// DefaultOptions returns the options `edgeserve zoo` uses by default.
func DefaultOptions() Options {
	return Options{Seed: 1}
}

// Write generates model name into dir as NAME.onnx with its manifest
// NAME.json and returns the manifest. A model already there with the same
// generator and seed is kept as it is (see Ensure).
func Write(dir, name string, opts Options) (Manifest, error) {
	m, _, err := Ensure(dir, name, opts)
	return m, err
}

// Ensure is Write that also reports whether the model was generated (false:
// an up-to-date copy was already in dir). Files are written to temporary
// names and renamed, so an interrupted run leaves no partial model behind.
func Ensure(dir, name string, opts Options) (Manifest, bool, error) {
	e, err := lookup(name)
	if err != nil {
		return Manifest{}, false, err
	}
	if m, ok := upToDate(dir, name, opts); ok {
		return m, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, false, fmt.Errorf("zoo: %w", err)
	}
	g := e.build()
	file := name + ".onnx"
	if err := writeAtomic(filepath.Join(dir, file), func(w io.Writer) error {
		return encode(w, g, modelSeed(opts.Seed, name))
	}); err != nil {
		return Manifest{}, false, err
	}
	info, err := os.Stat(filepath.Join(dir, file))
	if err != nil {
		return Manifest{}, false, fmt.Errorf("zoo: %w", err)
	}
	m := manifestFor(e, g, opts.Seed, info.Size())
	if err := writeManifest(filepath.Join(dir, name+".json"), m); err != nil {
		return Manifest{}, false, err
	}
	return m, true, nil
}

// Encode writes model name as ONNX to w and returns its manifest (with
// FileBytes counted from what was written).
func Encode(w io.Writer, name string, opts Options) (Manifest, error) {
	e, err := lookup(name)
	if err != nil {
		return Manifest{}, err
	}
	g := e.build()
	cw := &countingWriter{w: w}
	if err := encode(cw, g, modelSeed(opts.Seed, name)); err != nil {
		return Manifest{}, err
	}
	return manifestFor(e, g, opts.Seed, cw.n), nil
}

// upToDate returns the existing manifest when dir already holds this model
// from this generator and seed, with a model file of the recorded size.
func upToDate(dir, name string, opts Options) (Manifest, bool) {
	if opts.Force {
		return Manifest{}, false
	}
	m, err := ReadManifest(filepath.Join(dir, name+".json"))
	if err != nil || m.Name != name || m.Generator != Generator || m.Seed != opts.Seed {
		return Manifest{}, false
	}
	info, err := os.Stat(filepath.Join(dir, m.File))
	if err != nil || info.Size() != m.FileBytes {
		return Manifest{}, false
	}
	return m, true
}

func manifestFor(e entry, g *graph, seed uint64, size int64) Manifest {
	return Manifest{
		Name:            e.name,
		Family:          e.family,
		Task:            e.task,
		Accuracy:        e.accuracy,
		AccuracyMetric:  e.metric,
		AccuracySource:  e.source,
		Params:          g.params(),
		File:            e.name + ".onnx",
		FileBytes:       size,
		Inputs:          ioSpecs(g.inputs),
		Outputs:         ioSpecs(g.outputs),
		Seed:            seed,
		Generator:       Generator,
		ExpectLoadError: e.badLoad,
	}
}

// modelSeed derives a model's seed from the base seed and its name.
func modelSeed(base uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return base ^ h.Sum64()
}

// writeAtomic writes path through a buffered temporary file in the same
// directory and renames it into place once complete and synced.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("zoo: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := errors.Join(bw.Flush(), f.Sync(), f.Chmod(0o644), f.Close()); err != nil {
		return fmt.Errorf("zoo: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("zoo: %w", err)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
