package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgeserve/edgeserve/runtime/onnxpb"
	"github.com/edgeserve/edgeserve/store"
)

// tinyONNX is a real, minimal ONNX model: y = Identity(x).
func tinyONNX(t *testing.T) []byte {
	t.Helper()
	b, err := proto.Marshal(&onnxpb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 17}},
		Graph: &onnxpb.GraphProto{
			Name: "id",
			Node: []*onnxpb.NodeProto{{OpType: "Identity", Input: []string{"x"}, Output: []string{"y"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestModelsImportAndList(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(file, tinyONNX(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "models", "import", file, "--data-dir", data,
		"--task", "identity", "--accuracy", "0.5", "--label", "team=edge")
	if err != nil || !strings.Contains(out, "imported tiny:1 sha256:") {
		t.Fatalf("import: %q, %v", out, err)
	}
	repo := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(filepath.Join(repo, "tri", "4"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(repo, "tri", "config.pbtxt"), []byte(`name: "tri" platform: "onnxruntime_onnx"`), 0o644)
	_ = os.WriteFile(filepath.Join(repo, "tri", "4", "model.onnx"), tinyONNX(t), 0o644)
	if out, err := runCLI(t, "models", "import", repo, "--data-dir", data); err != nil || !strings.Contains(out, "imported tri:4") {
		t.Fatalf("import triton: %q, %v", out, err)
	}
	out, err = runCLI(t, "models", "ls", "--data-dir", data, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []store.Record
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("ls --json output %q: %v", out, err)
	}
	if len(recs) != 2 || recs[0].Ref() != "tiny:1" || recs[0].Labels["team"] != "edge" || recs[1].Ref() != "tri:4" {
		t.Fatalf("records %+v", recs)
	}
	out, err = runCLI(t, "models", "ls", "--data-dir", data)
	if err != nil || !strings.Contains(out, "tiny") || !strings.Contains(out, "0.500") {
		t.Fatalf("ls table %q, %v", out, err)
	}
}

func TestModelsImportErrors(t *testing.T) {
	data := t.TempDir()
	junk := filepath.Join(t.TempDir(), "junk.onnx")
	_ = os.WriteFile(junk, []byte("definitely not a model"), 0o644)
	cases := map[string][]string{
		"not onnx":       {"models", "import", junk, "--data-dir", data},
		"bad name":       {"models", "import", junk, "--data-dir", data, "--name", "../x"},
		"bad label":      {"models", "import", junk, "--data-dir", data, "--label", "novalue"},
		"no data dir":    {"models", "ls", "--data-dir", ""},
		"missing file":   {"models", "import", filepath.Join(data, "nope.onnx"), "--data-dir", data},
		"name with repo": {"models", "import", t.TempDir(), "--data-dir", data, "--name", "x"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := runCLI(t, args...); err == nil {
				t.Fatal("succeeded")
			}
		})
	}
}
