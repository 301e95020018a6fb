package profile

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// LoadPath selects which of the runtime benchmark's load measurements a
// profile uses: ONNX Runtime's default loading of the model file, or the
// project's prepared fast-loading form.
type LoadPath string

// The load paths that `edgeserve bench runtime` measures.
const (
	LoadDefault LoadPath = "default"
	LoadFast    LoadPath = "fast"
)

// stat is a measured distribution in milliseconds.
type stat struct {
	Median *float64 `json:"median"`
	P95    *float64 `json:"p95"`
}

// benchModel is one model of `edgeserve bench runtime --json`.
type benchModel struct {
	Name        string            `json:"name"`
	FileBytes   int64             `json:"file_bytes"`
	MemoryBytes int64             `json:"memory_bytes"`
	LoadMs      map[LoadPath]stat `json:"load_ms"`
	FirstRunMs  json.RawMessage   `json:"first_run_ms"`
	WarmRunMs   stat              `json:"warm_run_ms"`
}

type benchFile struct {
	Models []benchModel `json:"models"`
}

// ReadBench decodes the output of `edgeserve bench runtime --json`. For
// each model: SizeBytes is memory_bytes (file_bytes when memory was not
// measured); RunTime is the warm run median; LoadTime is the median load
// on path plus what the first run costs beyond a warm one (first_run_ms
// median minus warm_run_ms median, never below zero), since a miss pays
// both. first_run_ms may be one {median,p95} or one per load path like
// load_ms. Unknown fields are ignored so that the benchmark can grow.
func ReadBench(r io.Reader, path LoadPath) ([]Model, error) {
	var f benchFile
	if err := decodeStrict(r, &f); err != nil {
		return nil, err
	}
	if len(f.Models) == 0 {
		return nil, malformed("bench: no models")
	}
	out := make([]Model, 0, len(f.Models))
	for i, bm := range f.Models {
		m, err := bm.model(path)
		if err != nil {
			return nil, fmt.Errorf("%w (model %d)", err, i)
		}
		out = append(out, m)
	}
	return out, uniqueNames(out)
}

func (b benchModel) model(path LoadPath) (Model, error) {
	if b.Name == "" {
		return Model{}, malformed("bench: model without a name")
	}
	size := b.MemoryBytes
	if size <= 0 {
		size = b.FileBytes
	}
	if size <= 0 {
		return Model{}, malformed("bench: %s: neither memory_bytes nor file_bytes is positive", b.Name)
	}
	load, err := median(b.Name, "load_ms."+string(path), b.LoadMs[path])
	if err != nil {
		return Model{}, err
	}
	warm, err := median(b.Name, "warm_run_ms", b.WarmRunMs)
	if err != nil {
		return Model{}, err
	}
	first, err := b.firstRun(path)
	if err != nil {
		return Model{}, err
	}
	return Model{Name: b.Name, SizeBytes: size, LoadTime: load + max(0, first-warm), RunTime: warm}, nil
}

// firstRun reads first_run_ms in either of its accepted shapes.
func (b benchModel) firstRun(path LoadPath) (time.Duration, error) {
	var one stat
	if err := json.Unmarshal(b.FirstRunMs, &one); err == nil && one.Median != nil {
		return median(b.Name, "first_run_ms", one)
	}
	var perPath map[LoadPath]stat
	if err := json.Unmarshal(b.FirstRunMs, &perPath); err != nil {
		return 0, malformed("bench: %s: first_run_ms: %v", b.Name, err)
	}
	return median(b.Name, "first_run_ms."+string(path), perPath[path])
}

func median(model, field string, s stat) (time.Duration, error) {
	if s.Median == nil {
		return 0, malformed("bench: %s: %s.median is missing", model, field)
	}
	d, ok := duration(*s.Median, time.Millisecond)
	if !ok {
		return 0, malformed("bench: %s: %s.median %v is not between 0 and a day", model, field, *s.Median)
	}
	return d, nil
}
