package ort

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/onnxpb"
)

// logChildEnv marks the test process TestORTLogsGoThroughZap starts.
const logChildEnv = "EDGESERVE_TEST_ORT_LOG_CHILD"

// warningModel is y = a + b (dimensions dynamic) with an initializer no
// node uses, which ONNX Runtime warns about ("Removing initializer ...")
// when it loads the model.
func warningModel(t testing.TB) string {
	return writeModel(t, &onnxpb.GraphProto{
		Name:        "warns",
		Node:        []*onnxpb.NodeProto{node("Add", []string{"a", "b"}, []string{"y"})},
		Initializer: []*onnxpb.TensorProto{float32Initializer("unused_weight", 1, 2, 3)},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("a", runtime.Float32, "n", "m"), valueInfo("b", runtime.Float32, "n", "m")},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", runtime.Float32, "n", "m")},
	})
}

func float32Initializer(name string, vals ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, DataType: int32(runtime.Float32), Dims: []int64{int64(len(vals))},
		RawData: float32Tensor(name, nil, vals...).Data}
}

// TestORTLogsGoThroughZap: ONNX Runtime's own messages (a warning at load,
// at warn level; the error of a failed run, which the caller gets too, at
// debug level) reach the Loader's zap logger, and nothing of
// ONNX Runtime's coloured text printer reaches the process's output. The
// environment is one per process, so the test runs in a fresh process of
// its own, whose output it reads whole.
func TestORTLogsGoThroughZap(t *testing.T) {
	if os.Getenv(logChildEnv) != "" {
		ortLogChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestORTLogsGoThroughZap$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), logChildEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "\x1b[") {
				t.Errorf("%s has an ANSI-coloured line: %q", name, line)
			}
		}
	}
	if err != nil || !strings.Contains(stdout.String(), "child: ONNX Runtime's messages reached zap") {
		t.Fatalf("child process: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
}

// TestLogRouterNewestOpenLoader: messages go to the newest open Loader's
// logger, back to the previous one when it closes, and to the fallback
// when none is open.
func TestLogRouterNewestOpenLoader(t *testing.T) {
	var r logRouter
	a, b := zap.NewNop(), zap.NewExample()
	r.add(a)
	r.add(b)
	if r.current() != b {
		t.Fatal("newest logger is not the destination")
	}
	r.remove(b)
	r.remove(b) // idempotent
	if r.current() != a {
		t.Fatal("closing the newest did not return to the previous")
	}
	r.remove(a)
	fb := r.current()
	if fb == a || fb == b || fb == nil || r.current() != fb {
		t.Fatal("no stable fallback with no loader open")
	}
}

// ortLogChild loads a model that makes ONNX Runtime warn and runs it on
// inputs it refuses, with an observed logger.
func ortLogChild(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l, err := New(testConfig(t, false), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := l.Load(context.Background(), runtime.Source{Name: "warns", Path: warningModel(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	bad := []runtime.Tensor{float32Tensor("a", []int64{1, 2}, 1, 2), float32Tensor("b", []int64{1, 3}, 1, 2, 3)}
	if _, err := m.Run(context.Background(), bad); err == nil {
		t.Fatal("a run on shapes that do not broadcast succeeded")
	}
	ort := logs.FilterLoggerName(loggerName)
	warned := ort.FilterLevelExact(zapcore.WarnLevel).FilterMessageSnippet("unused_weight")
	failed := ort.FilterLevelExact(zapcore.DebugLevel).FilterMessageSnippet("broadcast") // returned to the caller too
	if warned.Len() == 0 || failed.Len() == 0 {
		t.Fatalf("ONNX Runtime's messages in zap: %d warnings about the unused initializer, %d errors about the run; all: %+v",
			warned.Len(), failed.Len(), ort.All())
	}
	t.Logf("child: ONNX Runtime's messages reached zap: %q, %q", warned.All()[0].Message, failed.All()[0].Message)
}
