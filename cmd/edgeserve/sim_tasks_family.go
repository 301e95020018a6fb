package main

import (
	"fmt"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// posterZooNames names each model of the poster's Table I as the zoo's
// catalog does. ResNet-50 and VGG-16, which the zoo also generates, are
// not in the table, so the family has no costs for them measured on the
// same machine and they are left out (docs/tasks.md).
var posterZooNames = map[string]string{
	"SqueezeNet":        "squeezenet1.1",
	"MobileNetV1-0.25":  "mobilenet_v1_0.25",
	"MobileNetV1-0.5":   "mobilenet_v1_0.5",
	"MobileNetV1-0.75":  "mobilenet_v1_0.75",
	"MobileNetV1-1.0":   "mobilenet_v1_1.0",
	"DenseNet":          "densenet121",
	"NASNetMobile":      "nasnet_mobile",
	"NASNetLarge":       "nasnet_large",
	"InceptionV3":       "inception_v3",
	"InceptionV4":       "inception_v4",
	"InceptionResNetV2": "inception_resnet_v2",
}

// imageClassificationFamily is the poster's 11 CNNs as one task's
// variants: sizes, load and run times from Table I (profile.Poster), named
// and given the top-5 accuracy of the zoo's catalog.
func imageClassificationFamily() ([]sim.Variant, error) {
	acc := map[string]float64{}
	for _, info := range zoo.Catalog() {
		if info.Task == zoo.TaskImageClassification {
			acc[info.Name] = info.Accuracy / 100
		}
	}
	var out []sim.Variant
	for _, m := range profile.Poster() {
		name, ok := posterZooNames[m.Name]
		if !ok || acc[name] == 0 {
			return nil, fmt.Errorf("sim tasks: poster model %s has no accuracy in the zoo's catalog", m.Name)
		}
		m.Name = name
		out = append(out, sim.Variant{Model: m, Accuracy: acc[name]})
	}
	return out, nil
}
