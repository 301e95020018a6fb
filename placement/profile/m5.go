package profile

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// kerasSizeMB is the "Size (MB)" column of the Keras Applications model
// table (https://keras.io/api/applications/), the size of each model's
// published ImageNet weights. The CremeBrulee measurements did not record
// memory, so these stand in for each model's loaded size.
var kerasSizeMB = map[string]float64{
	"Xception": 88, "VGG16": 528, "VGG19": 549,
	"ResNet50": 98, "ResNet50V2": 98, "ResNet101": 171, "ResNet101V2": 171,
	"ResNet152": 232, "ResNet152V2": 232,
	"InceptionV3": 92, "InceptionResNetV2": 215,
	"MobileNet": 16, "MobileNetV2": 14,
	"DenseNet121": 33, "DenseNet169": 57, "DenseNet201": 80,
	"NASNetMobile": 23, "NASNetLarge": 343,
	"EfficientNetB0": 29, "EfficientNetB1": 31, "EfficientNetB2": 36, "EfficientNetB3": 48,
	"EfficientNetB4": 75, "EfficientNetB5": 118, "EfficientNetB6": 166, "EfficientNetB7": 256,
}

// m5Entry is one model of the CremeBrulee measurement file; latencies are
// in seconds.
type m5Entry struct {
	Name        *string  `json:"name"`
	LoadLatency *float64 `json:"avg_load_latency"`
	ExecLatency *float64 `json:"avg_exec_latency"`
}

// ReadM5 decodes the CremeBrulee Keras measurements on an AWS m5.large
// (Ogden et al., "Many Models at the Edge", ACSOS 2021): a JSON array of
// {name, avg_load_latency, avg_exec_latency, avg_unload_latency,
// loaded_size} with latencies in seconds. LoadTime is avg_load_latency,
// RunTime avg_exec_latency. loaded_size was never recorded (always 0), so
// it is ignored and SizeBytes comes from the Keras Applications table
// (kerasSizeMB); a model missing from that table is an error.
func ReadM5(r io.Reader) ([]Model, error) {
	var entries []m5Entry
	if err := decodeStrict(r, &entries); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, malformed("m5: no models")
	}
	out := make([]Model, 0, len(entries))
	for i, e := range entries {
		m, err := e.model()
		if err != nil {
			return nil, fmt.Errorf("%w (model %d)", err, i)
		}
		out = append(out, m)
	}
	return out, uniqueNames(out)
}

func (e m5Entry) model() (Model, error) {
	if e.Name == nil || *e.Name == "" || e.LoadLatency == nil || e.ExecLatency == nil {
		return Model{}, malformed("m5: name, avg_load_latency and avg_exec_latency are required")
	}
	size, ok := kerasSizeMB[*e.Name]
	if !ok {
		return Model{}, malformed("m5: no published Keras size for %q", *e.Name)
	}
	load, ok1 := duration(*e.LoadLatency, time.Second)
	run, ok2 := duration(*e.ExecLatency, time.Second)
	if !ok1 || !ok2 {
		return Model{}, malformed("m5: %s: latencies must be between 0 and a day", *e.Name)
	}
	return Model{Name: *e.Name, SizeBytes: megabytes(size), LoadTime: load, RunTime: run}, nil
}

// decodeStrict decodes exactly one JSON value from r into v.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return malformed("%v", err)
	}
	if dec.More() {
		return malformed("trailing data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("trailing data after the JSON value")
	}
	return nil
}

func uniqueNames(models []Model) error {
	seen := make(map[string]bool, len(models))
	for _, m := range models {
		if seen[m.Name] {
			return malformed("model %q appears twice", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}
