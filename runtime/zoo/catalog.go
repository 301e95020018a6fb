package zoo

import (
	"fmt"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// Accuracy sources recorded in manifests. The weights are random: the
// accuracy is the trained architecture's published figure, which is what
// EdgeServe's model selection reasons about.
const (
	sourcePoster = "EdgeServe poster (Guo, Walls, Ogden), Table I; the column matches " +
		"the top-5 figures of the TensorFlow Lite hosted-models list (e.g. MobileNetV1 0.25: 74.1); " +
		"accuracy of the trained architecture, this file has random weights"
	sourceKeras = "Keras Applications documentation, top-5 ImageNet accuracy; " +
		"accuracy of the trained architecture, this file has random weights"
	sourceNone = "test model, not a classifier"
)

// Families and tasks written to manifests.
const (
	TaskImageClassification = "image-classification"
	TaskTest                = "test"
	FamilyTest              = "test"
)

// entry is one model the zoo can generate.
type entry struct {
	name      string
	family    string
	task      string
	accuracy  float64 // percent
	metric    string
	source    string
	published int64 // published parameter count (0 for test models)
	set       string
	badLoad   bool // the model must fail to load
	build     func() *graph
}

// Set names accepted by Names.
const (
	SetTest  = "test"
	SetSmall = "small"
	SetFull  = "full"
)

// catalog lists every generated model, small ones first. Published
// parameter counts include BatchNormalization's moving statistics, as Keras
// reports them.
func catalog() []entry {
	return append(classifiers(), testModels()...)
}

func classifiers() []entry {
	poster := func(name, family string, acc float64, published int64, set string, build func() *graph) entry {
		return entry{name, family, TaskImageClassification, acc, "top-5", sourcePoster, published, set, false, build}
	}
	keras := func(name, family string, acc float64, published int64, build func() *graph) entry {
		return entry{name, family, TaskImageClassification, acc, "top-5", sourceKeras, published, SetFull, false, build}
	}
	mobile := func(name string, alpha float64) func() *graph {
		return func() *graph { return mobileNetV1(name, alpha) }
	}
	return []entry{
		poster("squeezenet1.1", "squeezenet", 72.9, 1_235_496, SetSmall, squeezeNet11),
		poster("mobilenet_v1_0.25", "mobilenet_v1", 74.1, 475_544, SetSmall, mobile("mobilenet_v1_0.25", 0.25)),
		poster("mobilenet_v1_0.5", "mobilenet_v1", 84.9, 1_342_536, SetSmall, mobile("mobilenet_v1_0.5", 0.5)),
		poster("mobilenet_v1_0.75", "mobilenet_v1", 88.1, 2_601_976, SetFull, mobile("mobilenet_v1_0.75", 0.75)),
		poster("mobilenet_v1_1.0", "mobilenet_v1", 90.6, 4_253_864, SetFull, mobile("mobilenet_v1_1.0", 1.0)),
		poster("densenet121", "densenet", 85.6, 8_062_504, SetFull, denseNet121),
		poster("inception_v3", "inception", 93.8, 23_851_784, SetFull, inceptionV3),
		poster("nasnet_mobile", "nasnet", 91.5, 5_326_716, SetFull, nasNetMobile),
		poster("nasnet_large", "nasnet", 96.1, 88_949_818, SetFull, nasNetLarge),
		poster("inception_v4", "inception", 95.1, 42_679_816, SetFull, inceptionV4),
		poster("inception_resnet_v2", "inception_resnet", 94.0, 55_873_736, SetFull, inceptionResNetV2),
		keras("resnet50", "resnet", 92.1, 25_636_712, resNet50),
		keras("vgg16", "vgg", 90.1, 138_357_544, vgg16),
	}
}

func testModels() []entry {
	test := func(name string, build func() *graph) entry {
		return entry{name: name, family: FamilyTest, task: TaskTest, metric: "none", source: sourceNone, set: SetTest, build: build}
	}
	bin := func(name, op string, t onnxpb.TensorProto_DataType) entry {
		return test(name, func() *graph { return elementwise(name, op, t) })
	}
	bad := test("bad_unsupported_op", unsupportedOp)
	bad.badLoad = true
	return []entry{
		bin("add_fp32", "Add", onnxpb.TensorProto_FLOAT),
		bin("add_fp16", "Add", onnxpb.TensorProto_FLOAT16),
		bin("add_int64", "Add", onnxpb.TensorProto_INT64),
		bin("add_int32", "Add", onnxpb.TensorProto_INT32),
		bin("add_uint8", "Add", onnxpb.TensorProto_UINT8),
		bin("and_bool", "And", onnxpb.TensorProto_BOOL),
		test("tiny_mlp", tinyMLP),
		bad,
	}
}

func lookup(name string) (entry, error) {
	for _, e := range catalog() {
		if e.name == name {
			return e, nil
		}
	}
	return entry{}, fmt.Errorf("%w: %q", ErrUnknownModel, name)
}

// Names lists the models of a set: "test" (tiny graphs for serving tests),
// "small" (fast classifiers plus the test set) or "full" (everything).
func Names(set string) ([]string, error) {
	var names []string
	for _, e := range catalog() {
		if inSet(e.set, set) {
			names = append(names, e.name)
		}
	}
	if names == nil {
		return nil, fmt.Errorf("%w: %q (want %s, %s or %s)", ErrUnknownSet, set, SetTest, SetSmall, SetFull)
	}
	return names, nil
}

// inSet reports whether a model of set have belongs to set want: the sets
// nest, test ⊂ small ⊂ full.
func inSet(have, want string) bool {
	rank := map[string]int{SetTest: 0, SetSmall: 1, SetFull: 2}
	w, ok := rank[want]
	return ok && rank[have] <= w
}

// Params is the parameter count of a model, computed from its graph without
// drawing any weights.
func Params(name string) (int64, error) {
	e, err := lookup(name)
	if err != nil {
		return 0, err
	}
	return e.build().params(), nil
}

// PublishedParams is the parameter count published for the architecture
// (Keras Applications / torchvision, BatchNormalization statistics
// included), or 0 for test models.
func PublishedParams(name string) (int64, error) {
	e, err := lookup(name)
	return e.published, err
}

// Info describes a model the zoo can generate, for listings.
type Info struct {
	Name            string
	Family          string
	Task            string
	Set             string // smallest set that holds the model
	Accuracy        float64
	AccuracyMetric  string
	PublishedParams int64
}

// Catalog lists every model the zoo generates, smallest set first.
func Catalog() []Info {
	var out []Info
	for _, e := range catalog() {
		out = append(out, Info{e.name, e.family, e.task, e.set, e.accuracy, e.metric, e.published})
	}
	return out
}
