package zoo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Manifest describes one generated model. It is written next to the model as
// NAME.json and read by other EdgeServe tools; the JSON field names are a
// contract.
type Manifest struct {
	Name           string  `json:"name"`
	Family         string  `json:"family"`
	Task           string  `json:"task"`
	Accuracy       float64 `json:"accuracy"` // percent
	AccuracyMetric string  `json:"accuracy_metric"`
	AccuracySource string  `json:"accuracy_source"`
	Params         int64   `json:"params"`
	File           string  `json:"file"` // base name of the model, relative to the manifest
	FileBytes      int64   `json:"file_bytes"`
	Inputs         []IO    `json:"inputs"`
	Outputs        []IO    `json:"outputs"`
	Seed           uint64  `json:"seed"`
	Generator      string  `json:"generator"`
	// ExpectLoadError marks a model built to fail loading (tests only).
	ExpectLoadError bool `json:"expect_load_error,omitempty"`
}

// IO is one model input or output. Datatype is the Open Inference Protocol
// name ("FP32", "INT64", ...); a shape dimension of -1 is dynamic.
type IO struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// maxManifestBytes bounds what ReadManifest reads; real manifests are < 2 KB.
const maxManifestBytes = 1 << 20

// ReadManifest reads and validates the manifest at path.
func ReadManifest(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("zoo: read manifest: %w", err)
	}
	defer f.Close()
	m, err := DecodeManifest(f)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w (%s)", err, path)
	}
	return m, nil
}

// DecodeManifest decodes and validates one manifest. Unknown fields, trailing
// data, documents over 1 MiB and inconsistent values are errors wrapping
// ErrInvalidManifest.
func DecodeManifest(r io.Reader) (Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
	if err != nil {
		return Manifest{}, fmt.Errorf("zoo: read manifest: %w", err)
	}
	if len(data) > maxManifestBytes {
		return Manifest{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalidManifest, maxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("%w: data after the JSON object", ErrInvalidManifest)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Validate checks the fields other tools rely on.
func (m Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidManifest, fmt.Sprintf(format, args...))
	}
	switch {
	case !validName(m.Name):
		return bad("name %q", m.Name)
	case !validName(m.File):
		return bad("file %q is not a plain file name", m.File)
	case m.Task == "" || m.Family == "" || m.Generator == "":
		return bad("task, family and generator are required")
	case m.Params < 0 || m.FileBytes < 0:
		return bad("negative params or file_bytes")
	case m.Accuracy < 0 || m.Accuracy > 100:
		return bad("accuracy %v is not a percentage", m.Accuracy)
	case len(m.Inputs) == 0 || len(m.Outputs) == 0:
		return bad("a model needs inputs and outputs")
	}
	for _, t := range append(append([]IO(nil), m.Inputs...), m.Outputs...) {
		if err := t.validate(); err != nil {
			return bad("%s: %v", t.Name, err)
		}
	}
	return nil
}

func (t IO) validate() error {
	if t.Name == "" {
		return fmt.Errorf("empty tensor name")
	}
	if _, ok := datatypeCodes()[t.Datatype]; !ok {
		return fmt.Errorf("unknown datatype %q", t.Datatype)
	}
	for _, d := range t.Shape {
		if d < -1 {
			return fmt.Errorf("dimension %d", d)
		}
	}
	return nil
}

// validName accepts a non-empty base name that cannot escape a directory.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= 255 &&
		filepath.Base(s) == s && !strings.ContainsAny(s, `/\`+"\x00")
}

// writeManifest writes m as indented JSON to path atomically.
func writeManifest(path string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("zoo: encode manifest %s: %w", m.Name, err)
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
