package zoo

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func validManifest() Manifest {
	return Manifest{
		Name: "m", Family: "f", Task: TaskImageClassification, Accuracy: 90.1,
		AccuracyMetric: "top-5", AccuracySource: "s", Params: 10, File: "m.onnx", FileBytes: 100,
		Inputs:  []IO{{Name: "input", Datatype: "FP32", Shape: []int64{-1, 3, 224, 224}}},
		Outputs: []IO{{Name: "probs", Datatype: "FP32", Shape: []int64{-1, 1000}}},
		Seed:    1, Generator: Generator,
	}
}

func TestManifestRoundTrip(t *testing.T) {
	want := validManifest()
	path := filepath.Join(t.TempDir(), "m.json")
	if err := writeManifest(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip changed the manifest:\n got %s\nwant %s", a, b)
	}
}

// TestManifestJSONFields pins the field names other tools read.
func TestManifestJSONFields(t *testing.T) {
	data, err := json.Marshal(validManifest())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"name", "family", "task", "accuracy", "accuracy_metric", "accuracy_source",
		"params", "file", "file_bytes", "inputs", "outputs", "seed", "generator"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("field %q missing from %s", f, data)
		}
	}
	if _, ok := fields["expect_load_error"]; ok {
		t.Errorf("expect_load_error written for a loadable model")
	}
	if !strings.Contains(string(fields["inputs"]), `"datatype":"FP32","shape":[-1,3,224,224]`) {
		t.Errorf("inputs encoded as %s", fields["inputs"])
	}
}

func TestDecodeManifestRejectsMalformed(t *testing.T) {
	encode := func(edit func(*Manifest)) string {
		m := validManifest()
		edit(&m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name, doc string
	}{
		{"empty", ""},
		{"not json", "onnx"},
		{"truncated", encode(func(*Manifest) {})[:40]},
		{"array", "[]"},
		{"wrong type", `{"name": 3}`},
		{"unknown field", strings.Replace(encode(func(*Manifest) {}), `{`, `{"extra":1,`, 1)},
		{"trailing data", encode(func(*Manifest) {}) + `{}`},
		{"no name", encode(func(m *Manifest) { m.Name = "" })},
		{"path in file", encode(func(m *Manifest) { m.File = "../etc/passwd" })},
		{"absolute file", encode(func(m *Manifest) { m.File = "/m.onnx" })},
		{"dot file", encode(func(m *Manifest) { m.File = ".." })},
		{"negative params", encode(func(m *Manifest) { m.Params = -1 })},
		{"negative size", encode(func(m *Manifest) { m.FileBytes = -5 })},
		{"accuracy over 100", encode(func(m *Manifest) { m.Accuracy = 930 })},
		{"no inputs", encode(func(m *Manifest) { m.Inputs = nil })},
		{"no outputs", encode(func(m *Manifest) { m.Outputs = []IO{} })},
		{"bad datatype", encode(func(m *Manifest) { m.Inputs[0].Datatype = "float" })},
		{"bad dimension", encode(func(m *Manifest) { m.Outputs[0].Shape = []int64{-2} })},
		{"empty tensor name", encode(func(m *Manifest) { m.Inputs[0].Name = "" })},
		{"no generator", encode(func(m *Manifest) { m.Generator = "" })},
		{"oversize", `{"name":"` + strings.Repeat("a", maxManifestBytes) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeManifest(strings.NewReader(tt.doc))
			if !errors.Is(err, ErrInvalidManifest) {
				t.Fatalf("got %v, want ErrInvalidManifest", err)
			}
		})
	}
}

func TestReadManifestMissingFile(t *testing.T) {
	_, err := ReadManifest(filepath.Join(t.TempDir(), "absent.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}

// FuzzDecodeManifest checks that any input either decodes to a manifest
// that validates and survives a re-encode, or fails with ErrInvalidManifest.
func FuzzDecodeManifest(f *testing.F) {
	good, _ := json.Marshal(validManifest())
	f.Add(good)
	f.Add([]byte(`{"name":"x"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalidManifest) {
				t.Fatalf("error %v does not wrap ErrInvalidManifest", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded manifest does not validate: %v", err)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeManifest(bytes.NewReader(again)); err != nil {
			t.Fatalf("re-encoded manifest fails: %v", err)
		}
	})
}
