package node

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/grpc/codes"
)

// realLoader builds an ONNX Runtime loader for tests that wrap it.
func realLoader(t testing.TB) runtime.Loader {
	t.Helper()
	cfg := ort.DefaultConfig()
	cfg.LibraryPath = testutil.ORTLibrary(t)
	cfg.PreparedDir = filepath.Join(t.TempDir(), "prepared")
	l, err := ort.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGracefulDrain: a request in flight when shutdown starts completes
// with its result; requests after that are refused; Run returns nil and
// the models are unloaded.
func TestGracefulDrain(t *testing.T) {
	gl := &gatedLoader{Loader: realLoader(t), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	tn := startNode(t, func(_ *Config, d *Deps) { d.Loader = gl })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))

	type result struct {
		resp *pb.ModelInferResponse
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1, 2}, []float32{3, 4}, []int64{1, 2}))
		inflight <- result{resp, err}
	}()
	<-gl.entered // the request is inside the model's Run

	tn.cancel() // begin shutdown
	testutil.Eventually(t, "draining", tn.draining.Load)
	_, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1}, []float32{1}, []int64{1, 1}))
	wantCode(t, err, codes.Unavailable)
	select {
	case r := <-inflight:
		t.Fatalf("in-flight request ended before its run finished: %v", r.err)
	default:
	}

	close(gl.gate)
	r := <-inflight
	if r.err != nil {
		t.Fatalf("in-flight request failed during drain: %v", r.err)
	}
	if got := readF32(r.resp.GetRawOutputContents()[0]); got[0] != 4 || got[1] != 6 {
		t.Fatalf("in-flight result = %v", got)
	}
	tn.stop(t)
	if tn.cache.Resident("adder:1") {
		t.Fatal("model still loaded after drain")
	}
}

// blockingLoader never finishes a load before its context ends, like a
// load that takes longer than the client is willing to wait.
type blockingLoader struct{}

func (blockingLoader) Load(ctx context.Context, _ runtime.Source) (runtime.Model, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// storeModel puts the model file at path into the node's store directly,
// without the load check a push makes.
func storeModel(t testing.TB, tn *testNode, name, path string) {
	t.Helper()
	if _, err := tn.store.(*store.Store).ImportFile(context.Background(), path, store.ModelMeta{Name: name}); err != nil {
		t.Fatal(err)
	}
}

// TestDeadlineBoundsLoad: the client's deadline bounds waiting for a load.
func TestDeadlineBoundsLoad(t *testing.T) {
	tn := startNode(t, func(_ *Config, d *Deps) { d.Loader = blockingLoader{} })
	storeModel(t, tn, "adder", zooModel(t, "add_fp32")) // a push would wait for its load check
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := tn.infer.ModelInfer(ctx, addRequest("adder", []float32{1}, []float32{1}, []int64{1, 1}))
	wantCode(t, err, codes.DeadlineExceeded)
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("request waited %v past its 200ms deadline", waited)
	}
}

// TestHTTPRequestTimeout: an HTTP request is bounded by RequestTimeout and
// gets 504 when the load does not finish in time.
func TestHTTPRequestTimeout(t *testing.T) {
	tn := startNode(t, func(c *Config, d *Deps) {
		d.Loader = blockingLoader{}
		c.Server.RequestTimeout = 200 * time.Millisecond
	})
	storeModel(t, tn, "adder", zooModel(t, "add_fp32"))
	body := `{"inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[1]},{"name":"b","shape":[1,1],"datatype":"FP32","data":[1]}]}`
	status, out := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", "", body)
	if status != http.StatusGatewayTimeout || !strings.Contains(out, "deadline") {
		t.Fatalf("= %d %s, want 504", status, out)
	}
}

// TestDrainTimeout: a request still running when DrainTimeout expires is
// cut off, yet the shutdown succeeds: the cache gets its own time to unload
// the model once the request lets go, and Run returns nil (exit 0).
func TestDrainTimeout(t *testing.T) {
	gl := &gatedLoader{Loader: realLoader(t), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	tn := startNode(t, func(c *Config, d *Deps) { d.Loader = gl; c.Server.DrainTimeout = 100 * time.Millisecond })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	inflight := make(chan error, 1)
	go func() {
		_, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1}))
		inflight <- err
	}()
	<-gl.entered
	tn.cancel()
	if err := <-inflight; err == nil {
		t.Fatal("a request held past the drain timeout succeeded; want it cut off")
	}
	close(gl.gate) // the cut-off request's run returns and releases the model
	tn.stop(t)     // fails the test unless Run returned nil
	if tn.cache.Resident("adder:1") {
		t.Fatal("model still loaded after the drain")
	}
}
