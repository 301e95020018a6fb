package store

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// TensorSpec is one model input or output. Datatype uses the Open Inference
// Protocol names ("FP32", "INT64", "BYTES", ...). A dimension of -1 is
// dynamic.
type TensorSpec struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// Record is the catalog entry of one model version.
type Record struct {
	Name         string            `json:"name"`
	Version      int64             `json:"version"`
	Digest       Digest            `json:"digest"`
	SizeBytes    int64             `json:"size_bytes"`
	Task         string            `json:"task,omitempty"`
	Accuracy     float64           `json:"accuracy,omitempty"`   // fraction in [0, 1]; 0 unknown
	Parameters   int64             `json:"parameters,omitempty"` // number of weights; 0 unknown
	Inputs       []TensorSpec      `json:"inputs,omitempty"`
	Outputs      []TensorSpec      `json:"outputs,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	MaxBatchSize int               `json:"max_batch_size,omitempty"` // 0: no batching dimension
	Platform     string            `json:"platform,omitempty"`       // e.g. "onnxruntime_onnx"
	Format       string            `json:"format"`                   // "onnx"
}

// Ref is "name:version".
func (r Record) Ref() string { return fmt.Sprintf("%s:%d", r.Name, r.Version) }

// recordSchema is the version byte in front of every encoded record. A
// reader refuses records with a higher byte rather than misreading them.
const recordSchema byte = 1

// maxRecordBytes bounds an encoded record; signatures are small.
const maxRecordBytes = 1 << 20

func encodeRecord(r Record) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("store: encode record %s: %w", r.Ref(), err)
	}
	return append([]byte{recordSchema}, body...), nil
}

// decodeRecord reads a catalog value. It never panics on malformed input.
func decodeRecord(b []byte) (Record, error) {
	var r Record
	if err := checkSchema(b, "record"); err != nil {
		return r, err
	}
	if err := json.Unmarshal(b[1:], &r); err != nil {
		return r, fmt.Errorf("store: decode record: %w", err)
	}
	if err := r.validate(); err != nil {
		return r, fmt.Errorf("store: decode record: %w", err)
	}
	return r, nil
}

func checkSchema(b []byte, what string) error {
	switch {
	case len(b) == 0:
		return fmt.Errorf("store: decode %s: empty", what)
	case len(b) > maxRecordBytes:
		return fmt.Errorf("store: decode %s: %d bytes, limit %d", what, len(b), maxRecordBytes)
	case b[0] > recordSchema:
		return fmt.Errorf("%w: %s has schema %d, this binary reads up to %d (upgrade EdgeServe)",
			ErrSchemaVersion, what, b[0], recordSchema)
	case b[0] == 0:
		return fmt.Errorf("%w: %s has schema 0", ErrSchemaVersion, what)
	}
	return nil
}

// validate checks everything a record must satisfy, for records being
// written and records read back.
func (r Record) validate() error {
	if err := ValidateName(r.Name); err != nil {
		return err
	}
	if r.Version <= 0 {
		return fmt.Errorf("%w: version %d must be positive", ErrInvalidName, r.Version)
	}
	if r.Digest.IsZero() || r.SizeBytes <= 0 {
		return fmt.Errorf("%w: %s: missing digest or size", ErrInvalidMeta, r.Ref())
	}
	return validateMeta(r.Task, r.Accuracy, r.Parameters, r.MaxBatchSize, r.Labels, r.Inputs, r.Outputs)
}

func validateMeta(task string, acc float64, params int64, batch int, labels map[string]string, sigs ...[]TensorSpec) error {
	if task != "" {
		if err := ValidateName(task); err != nil {
			return fmt.Errorf("%w: task: %v", ErrInvalidMeta, err)
		}
	}
	if math.IsNaN(acc) || acc < 0 || acc > 1 {
		return fmt.Errorf("%w: accuracy %v must be a fraction in [0, 1]", ErrInvalidMeta, acc)
	}
	if params < 0 || batch < 0 {
		return fmt.Errorf("%w: negative parameters %d or max batch size %d", ErrInvalidMeta, params, batch)
	}
	if err := validateLabels(labels); err != nil {
		return err
	}
	for _, sig := range sigs {
		if err := validateSignature(sig); err != nil {
			return err
		}
	}
	return nil
}

const maxLabelValueLen = 1024

func validateLabels(labels map[string]string) error {
	for k, v := range labels {
		if err := ValidateName(k); err != nil {
			return fmt.Errorf("%w: label key: %v", ErrInvalidMeta, err)
		}
		if len(v) > maxLabelValueLen {
			return fmt.Errorf("%w: label %s: value longer than %d bytes", ErrInvalidMeta, k, maxLabelValueLen)
		}
	}
	return nil
}

func validateSignature(specs []TensorSpec) error {
	for _, t := range specs {
		if t.Name == "" || len(t.Name) > MaxNameLen {
			return fmt.Errorf("%w: tensor name %q: length must be 1 to %d", ErrInvalidMeta, t.Name, MaxNameLen)
		}
		if !validDatatypes[t.Datatype] {
			return fmt.Errorf("%w: tensor %s: unknown datatype %q", ErrInvalidMeta, t.Name, t.Datatype)
		}
		for _, d := range t.Shape {
			if d < -1 {
				return fmt.Errorf("%w: tensor %s: dimension %d", ErrInvalidMeta, t.Name, d)
			}
		}
	}
	return nil
}

// validDatatypes are the Open Inference Protocol tensor datatypes.
var validDatatypes = map[string]bool{
	"BOOL": true, "UINT8": true, "UINT16": true, "UINT32": true, "UINT64": true,
	"INT8": true, "INT16": true, "INT32": true, "INT64": true,
	"FP16": true, "FP32": true, "FP64": true, "BYTES": true, "BF16": true,
}
