package zoo

import (
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/edgeserve/edgeserve/internal/testutil"
)

// The ONNX Runtime environment is process-wide: it is initialised once in
// TestMain and every test that needs it calls needORT.
var ortInitErr error

func TestMain(m *testing.M) {
	if lib := testutil.ORTLibraryPath(); lib != "" {
		ort.SetSharedLibraryPath(lib)
		ortInitErr = ort.InitializeEnvironment()
	}
	code := m.Run()
	if ortInitErr == nil {
		ort.DestroyEnvironment()
	}
	os.Exit(code)
}

// needORT skips or fails the test, by testutil.ORTLibrary's rule, when no
// library is configured, and fails it when the library did not start.
func needORT(t *testing.T) {
	t.Helper()
	testutil.ORTLibrary(t)
	if ortInitErr != nil {
		t.Fatalf("ONNX Runtime is required: %v", ortInitErr)
	}
}

// session opens a generated model in ONNX Runtime.
func session(t *testing.T, dir string, m Manifest) (*ort.DynamicAdvancedSession, error) {
	t.Helper()
	needORT(t)
	return ort.NewDynamicAdvancedSession(filepath.Join(dir, m.File), ioNames(m.Inputs), ioNames(m.Outputs), nil)
}

func ioNames(ios []IO) []string {
	names := make([]string, len(ios))
	for i, x := range ios {
		names[i] = x.Name
	}
	return names
}

// run feeds raw little-endian inputs of the given element type and shape to
// the model and returns the raw output, allocated with outShape.
func run(t *testing.T, s *ort.DynamicAdvancedSession, dt ort.TensorElementDataType, shape, outShape []int64, outType ort.TensorElementDataType, inputs ...[]byte) []byte {
	t.Helper()
	vals := make([]ort.Value, len(inputs))
	for i, in := range inputs {
		v, err := ort.NewCustomDataTensor(ort.NewShape(shape...), in, dt)
		if err != nil {
			t.Fatalf("input tensor: %v", err)
		}
		defer v.Destroy()
		vals[i] = v
	}
	outBytes := make([]byte, elems(outShape)*elemSize(outType))
	out, err := ort.NewCustomDataTensor(ort.NewShape(outShape...), outBytes, outType)
	if err != nil {
		t.Fatalf("output tensor: %v", err)
	}
	defer out.Destroy()
	if err := s.Run(vals, []ort.Value{out}); err != nil {
		t.Fatalf("run: %v", err)
	}
	return append([]byte(nil), out.GetData()...)
}

func elems(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

func elemSize(t ort.TensorElementDataType) int64 {
	switch t {
	case ort.TensorElementDataTypeBool, ort.TensorElementDataTypeUint8, ort.TensorElementDataTypeInt8:
		return 1
	case ort.TensorElementDataTypeFloat16:
		return 2
	case ort.TensorElementDataTypeInt64, ort.TensorElementDataTypeDouble:
		return 8
	default:
		return 4
	}
}
