package node

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no path here", "no path here"},
		{"open /var/lib/edgeserve/store/blobs/sha256/ab/abcd: no such file or directory", "open abcd: no such file or directory"},
		{"Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:563 void f()", "Status Message: element_wise_ops.h:563 void f()"},
		{`Load model from "/tmp/x/prepared/d1/optimized.onnx" failed`, `Load model from "optimized.onnx" failed`},
		{"moved to /data/store/quarantine/", "moved to quarantine"},
		{"two /a/b and (/c/d)", "two b and (d)"},
		{"/leading/path first", "path first"},
		{"relative data/store/blobs/sha256/ab", "relative ab"},
		{"path=/etc/x,next", "path=x,next"},
		{"see http://127.0.0.1:8000/v2/models/x", "see http://127.0.0.1:8000/v2/models/x"},
		{"content type application/json, method inference.GRPCInferenceService/ModelInfer", "content type application/json, method inference.GRPCInferenceService/ModelInfer"},
		{"shape [1,2] vs [1,3]; ratio 1/2", "shape [1,2] vs [1,3]; ratio 1/2"},
	}
	for _, tt := range tests {
		if got := scrub(tt.in); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if st := status.Convert(grpcError(os.ErrNotExist)); st.Message() != os.ErrNotExist.Error() {
		t.Errorf("grpcError changed a message without paths: %q", st.Message())
	}
	err := fmt.Errorf("%w: open %s: %w", runtime.ErrInvalidModel, "/srv/edgeserve/store/blobs/ab", fs.ErrNotExist)
	const want = "runtime: invalid model: open ab: file does not exist"
	if st := status.Convert(grpcError(err)); st.Code() != codes.FailedPrecondition || st.Message() != want {
		t.Errorf("grpcError = %v, want %q", st, want)
	}
	rec := httptest.NewRecorder()
	writeError(rec, err)
	if body := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(body, want) {
		t.Errorf("writeError = %d %s, want 400 with %q", rec.Code, body, want)
	}
}

// absPath is an absolute path starting a word in a message.
var absPath = regexp.MustCompile(`(^|[\s"'(\[{<=,;])/[^\s/]`)

// TestClientErrorsCarryNoServerPaths triggers failures that come from deep
// in the node (ONNX Runtime kernels, a model file ONNX Runtime cannot load,
// a corrupt blob on disk) over gRPC and HTTP, and checks that no message
// a client receives names a server file: not the data directory, not an
// absolute path, not ONNX Runtime's source tree. A client's bad shapes are
// its mistake: INVALID_ARGUMENT / 400.
func TestClientErrorsCarryNoServerPaths(t *testing.T) {
	var dataDir string
	tn := startNode(t, func(c *Config, _ *Deps) { dataDir = c.DataDir })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	var msgs []string
	check := func(what, msg string) {
		t.Helper()
		msgs = append(msgs, msg)
		if strings.Contains(msg, dataDir) || strings.Contains(msg, "onnxruntime_src") || absPath.MatchString(msg) {
			t.Errorf("%s: message carries a server path: %q", what, msg)
		}
	}
	url := func(model string) string { return "http://" + tn.HTTPAddr() + "/v2/models/" + model + "/infer" }

	t.Run("shapes that do not broadcast", func(t *testing.T) {
		req := addRequest("adder", []float32{1, 2}, []float32{1, 2, 3}, []int64{1, 2})
		req.Inputs[1].Shape = []int64{1, 3}
		_, err := tn.infer.ModelInfer(testCtx(t), req)
		wantCode(t, err, codes.InvalidArgument)
		check("gRPC", status.Convert(err).Message())
		code, body := httpDo(t, http.DefaultClient, "POST", url("adder"), "",
			`{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`)
		if code != http.StatusBadRequest {
			t.Errorf("HTTP = %d %s, want 400", code, body)
		}
		check("HTTP", body)
	})

	t.Run("a model ONNX Runtime cannot load", func(t *testing.T) {
		data, err := os.ReadFile(zooModel(t, "bad_unsupported_op"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pushBytes(adminCtx(t), tn.admin, "bad", data, 0, len(data)); err != nil {
			check("push", status.Convert(err).Message()) // refused at push
			return
		}
		in := &pb.ModelInferRequest{ModelName: "bad", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "x", Datatype: "FP32", Shape: []int64{1, 4}, Contents: &pb.InferTensorContents{Fp32Contents: make([]float32, 4)}}}}
		_, err = tn.infer.ModelInfer(testCtx(t), in)
		check("gRPC", status.Convert(err).Message())
		_, body := httpDo(t, http.DefaultClient, "POST", url("bad"), "",
			`{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[0,0,0,0]}]}`)
		check("HTTP", body)
	})

	t.Run("a corrupt model file", func(t *testing.T) {
		data, _ := tinyMLP(t)
		if _, err := pushBytes(adminCtx(t), tn.admin, "mlp", data, 0, len(data)); err != nil {
			t.Fatalf("push: %v", err)
		}
		// The node may still be preparing the model's fast form from the
		// good bytes; then the first load succeeds, so unload and try again.
		var err error
		for try := 0; try < 3 && err == nil; try++ {
			corruptFiles(t, dataDir, data)
			if _, err = tn.infer.ModelInfer(testCtx(t), mlpRequest()); err == nil {
				if _, err := tn.infer.RepositoryModelUnload(adminCtx(t), &pb.RepositoryModelUnloadRequest{ModelName: "mlp"}); err != nil {
					t.Fatal(err)
				}
				testutil.Eventually(t, "unload", func() bool { return !tn.cache.Resident("mlp:1") })
			}
		}
		if err == nil {
			t.Fatal("inference on a corrupt model file succeeded")
		}
		check("gRPC", status.Convert(err).Message())
		_, body := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/repository/models/mlp/load", testToken, "")
		check("HTTP load", body)
	})
	t.Run("a model file gone from disk", func(t *testing.T) {
		path := zooModel(t, "add_int64")
		push(t, tn.admin, "gone", path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range modelFiles(t, dataDir, data) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		req := &pb.ModelInferRequest{ModelName: "gone", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "a", Datatype: "INT64", Shape: []int64{1, 1}, Contents: &pb.InferTensorContents{Int64Contents: []int64{1}}},
			{Name: "b", Datatype: "INT64", Shape: []int64{1, 1}, Contents: &pb.InferTensorContents{Int64Contents: []int64{2}}}}}
		_, err = tn.infer.ModelInfer(testCtx(t), req)
		if err == nil {
			t.Fatal("inference on a deleted model file succeeded")
		}
		check("gRPC", status.Convert(err).Message())
		_, body := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/repository/models/gone/load", testToken, "")
		check("HTTP load", body)
	})
	t.Run("a blob found corrupt after a restart", func(t *testing.T) {
		data, err := os.ReadFile(zooModel(t, "add_fp32"))
		if err != nil {
			t.Fatal(err)
		}
		tn.stop(t)
		corruptFiles(t, dataDir, data)
		restarted := startNode(t, func(c *Config, _ *Deps) { c.DataDir = dataDir })
		_, err = restarted.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1}))
		if err == nil {
			t.Fatal("inference on a corrupt blob succeeded")
		}
		check("gRPC", status.Convert(err).Message())
	})
	for _, m := range msgs {
		t.Log(m)
	}
}

// modelFiles lists the files under dir that hold the model's bytes or are
// named after its digest (the blob and any prepared form).
func modelFiles(t *testing.T, dir string, data []byte) []string {
	t.Helper()
	sum := sha256.Sum256(data)
	hexDigest := hex.EncodeToString(sum[:])
	var paths []string
	// The node may be preparing the model in a temporary folder that it
	// renames or removes meanwhile: files that vanish are skipped.
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && (bytes.Equal(b, data) || strings.Contains(path, hexDigest)) {
			paths = append(paths, path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	})
	if err != nil || len(paths) == 0 {
		t.Fatalf("found %d files of the model under %s: %v", len(paths), dir, err)
	}
	return paths
}

// corruptFiles replaces the model's files under dir with bytes of the same
// size that are not ONNX, so that the next load of it fails. A new file is
// renamed over each: a session that maps the old file keeps its pages
// (rewriting it in place would fault).
func corruptFiles(t *testing.T, dir string, data []byte) {
	t.Helper()
	for _, path := range modelFiles(t, dir, data) {
		err := os.WriteFile(path+".corrupt", bytes.Repeat([]byte{0xff}, len(data)), 0o644)
		if err == nil {
			err = os.Rename(path+".corrupt", path)
		}
		if errors.Is(err, fs.ErrNotExist) { // a temporary folder went away
			os.Remove(path + ".corrupt")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
