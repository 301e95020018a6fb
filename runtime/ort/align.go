package ort

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// align publishes the model ONNX Runtime saved in work into outDir as the
// prepared form and returns the path of the prepared graph. ONNX Runtime's
// own layout is kept when it is memory-mapped as it is (ownLayoutMapped);
// otherwise the model is rewritten so that every initializer of at least
// ExternalMinBytes lives in one weights file at an AlignBytes-aligned
// offset.
func (l *Loader) align(work, outDir string) (string, error) {
	m, err := readModel(filepath.Join(work, optimizedModelFileName))
	if err != nil {
		return "", err
	}
	own, err := ownLayoutMapped(m, optimizedDataFileName, int64(os.Getpagesize()))
	if err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	if own {
		return adopt(m, work, outDir)
	}
	return l.rewrite(m, work, outDir)
}

// rewrite writes m's initializers into one weights file at aligned offsets
// and publishes the pair into outDir.
func (l *Loader) rewrite(m *onnxpb.ModelProto, work, outDir string) (string, error) {
	weights, err := os.CreateTemp(outDir, "model-*.weights")
	if err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	// The weights file already has its final, unique name; it only becomes
	// part of the prepared form when the graph that names it is published.
	published := false
	defer func() {
		if !published {
			os.Remove(weights.Name())
		}
	}()
	w := &alignedWriter{dst: bufio.NewWriterSize(weights, 1<<20), align: l.cfg.AlignBytes, min: l.cfg.ExternalMinBytes, name: filepath.Base(weights.Name()), srcDir: work}
	err = w.graph(m.GetGraph())
	if err == nil {
		err = w.finish()
	}
	if cerr := weights.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("ort: prepare: write weights: %w", err)
	}
	path, err := publish(m, outDir)
	published = err == nil
	return path, err
}

func readModel(path string) (*onnxpb.ModelProto, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ort: prepare: read optimised model: %w", err)
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("ort: prepare: parse optimised model: %w", err)
	}
	return m, nil
}

// publish writes the graph and renames it into place.
func publish(m *onnxpb.ModelProto, outDir string) (string, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("ort: prepare: encode model: %w", err)
	}
	graph, err := os.CreateTemp(outDir, ".model-*.onnx")
	if err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	defer os.Remove(graph.Name())
	if _, err := graph.Write(b); err != nil {
		graph.Close()
		return "", fmt.Errorf("ort: prepare: write model: %w", err)
	}
	if err := graph.Close(); err != nil {
		return "", fmt.Errorf("ort: prepare: write model: %w", err)
	}
	final := filepath.Join(outDir, PreparedModelFile)
	if err := os.Rename(graph.Name(), final); err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	return final, nil
}

// alignedWriter appends initializer data to the weights file at aligned
// offsets and points the initializers at it.
type alignedWriter struct {
	dst    *bufio.Writer
	align  int64
	min    int64
	name   string // the weights file's name, relative to the graph
	srcDir string // where ONNX Runtime's external data lives
	off    int64  // bytes written so far
}

// graph moves the initializers of g and of every subgraph.
func (w *alignedWriter) graph(g *onnxpb.GraphProto) error {
	for _, t := range g.GetInitializer() {
		if err := w.tensor(t); err != nil {
			return fmt.Errorf("initializer %q: %w", t.GetName(), err)
		}
	}
	for _, n := range g.GetNode() {
		for _, a := range n.GetAttribute() {
			if err := w.attribute(a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *alignedWriter) attribute(a *onnxpb.AttributeProto) error {
	if a.GetG() != nil {
		if err := w.graph(a.GetG()); err != nil {
			return err
		}
	}
	for _, g := range a.GetGraphs() {
		if err := w.graph(g); err != nil {
			return err
		}
	}
	return nil
}

// tensor moves one initializer's data into the weights file if it is
// external or at least min bytes of raw data.
func (w *alignedWriter) tensor(t *onnxpb.TensorProto) error {
	data, err := w.data(t)
	if err != nil || data == nil {
		return err
	}
	if err := w.pad(); err != nil {
		return err
	}
	if _, err := w.dst.Write(data); err != nil {
		return err
	}
	t.RawData = nil
	t.DataLocation = onnxpb.TensorProto_EXTERNAL
	t.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: "location", Value: w.name},
		{Key: "offset", Value: strconv.FormatInt(w.off, 10)},
		{Key: "length", Value: strconv.Itoa(len(data))},
	}
	w.off += int64(len(data))
	return nil
}

// data returns the bytes to move, or nil to leave the tensor as it is.
func (w *alignedWriter) data(t *onnxpb.TensorProto) ([]byte, error) {
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return w.readExternal(t)
	}
	if int64(len(t.GetRawData())) >= w.min && len(t.GetRawData()) > 0 {
		return t.GetRawData(), nil
	}
	return nil, nil
}

// readExternal reads a tensor's data from ONNX Runtime's external file.
func (w *alignedWriter) readExternal(t *onnxpb.TensorProto) ([]byte, error) {
	kv := map[string]string{}
	for _, e := range t.GetExternalData() {
		kv[e.GetKey()] = e.GetValue()
	}
	loc := kv["location"]
	if loc == "" || filepath.IsAbs(loc) || filepath.Base(loc) != loc {
		return nil, fmt.Errorf("unexpected external location %q", loc)
	}
	off, _ := strconv.ParseInt(kv["offset"], 10, 64)
	n, err := strconv.ParseInt(kv["length"], 10, 64)
	if err != nil || off < 0 || n < 0 {
		return nil, fmt.Errorf("bad external data %v", kv)
	}
	f, err := os.Open(filepath.Join(w.srcDir, loc))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(io.NewSectionReader(f, off, n), buf); err != nil {
		return nil, fmt.Errorf("read external data: %w", err)
	}
	return buf, nil
}

// pad writes zeros up to the next aligned offset.
func (w *alignedWriter) pad() error {
	n := (w.align - w.off%w.align) % w.align
	if n == 0 {
		return nil
	}
	_, err := w.dst.Write(make([]byte, n))
	w.off += n
	return err
}

// finish flushes the file.
func (w *alignedWriter) finish() error {
	return w.dst.Flush()
}
