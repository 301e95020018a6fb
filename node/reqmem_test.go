package node

import (
	"bytes"
	"fmt"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"google.golang.org/grpc/codes"
)

// addJSON is an add_fp32 request body for two [1,n] inputs.
func addJSON(n int) string {
	data := "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]"
	in := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"shape":[1,%d],"datatype":"FP32","data":%s}`, name, n, data)
	}
	return `{"inputs":[` + in("a") + `,` + in("b") + `]}`
}

// addBinary is an add_fp32 request with input a as binary data.
func addBinary(t *testing.T, url string, n int) (int, string) {
	t.Helper()
	head := fmt.Sprintf(`{"inputs":[{"name":"a","shape":[1,%d],"datatype":"FP32","parameters":{"binary_data_size":%d}},`+
		`{"name":"b","shape":[1,%d],"datatype":"FP32","data":[%s]}]}`, n, 4*n, n, strings.TrimSuffix(strings.Repeat("2,", n), ","))
	req, _ := http.NewRequestWithContext(testCtx(t), "POST", url, bytes.NewReader(append([]byte(head), make([]byte, 4*n)...)))
	req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(len(head)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestRequestMemoryBudget: while other requests hold the request memory
// budget, a request that needs more than is left is refused at once with
// 429 / RESOURCE_EXHAUSTED on every wire form, a smaller one still runs,
// and once the budget is released the large one runs too. A request
// larger than the whole budget is too large, not to be retried.
func TestRequestMemoryBudget(t *testing.T) {
	const budget = 8 << 10
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.RequestMemoryBytes = budget })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	url := "http://" + tn.HTTPAddr() + "/v2/models/adder/infer"
	const big = 300 // 2 x 1200 bytes of tensors
	bigGRPC := addRequest("adder", make([]float32, big), make([]float32, big), []int64{1, big})
	small := addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})
	others := tn.reqmem.charge()
	if err := others.Reserve(budget - 1000); err != nil {
		t.Fatal(err)
	}
	if status, body := httpDo(t, http.DefaultClient, "POST", url, "", addJSON(big)); status != http.StatusTooManyRequests || !strings.Contains(body, "request memory") {
		t.Fatalf("JSON over the budget left: %d %s", status, body)
	}
	if status, body := addBinary(t, url, big); status != http.StatusTooManyRequests {
		t.Fatalf("binary over the budget left: %d %s", status, body)
	}
	_, err := tn.infer.ModelInfer(testCtx(t), bigGRPC)
	wantCode(t, err, codes.ResourceExhausted)
	if status, body := httpDo(t, http.DefaultClient, "POST", url, "", addJSON(3)); status != http.StatusOK {
		t.Fatalf("small JSON request: %d %s", status, body)
	}
	if _, err := tn.infer.ModelInfer(testCtx(t), small); err != nil {
		t.Fatalf("small gRPC request: %v", err)
	}

	others.release()
	if status, body := httpDo(t, http.DefaultClient, "POST", url, "", addJSON(big)); status != http.StatusOK {
		t.Fatalf("JSON after release: %d %s", status, body)
	}
	if status, body := addBinary(t, url, big); status != http.StatusOK {
		t.Fatalf("binary after release: %d %s", status, body)
	}
	if _, err := tn.infer.ModelInfer(testCtx(t), bigGRPC); err != nil {
		t.Fatalf("gRPC after release: %v", err)
	}
	if status, body := httpDo(t, http.DefaultClient, "POST", url, "", addJSON(budget/4)); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "request memory budget") {
		t.Fatalf("JSON over the whole budget: %d %s", status, body)
	}
	testutil.Eventually(t, "the budget to be free", func() bool { return tn.reqmem.held.Load() == 0 })
}

// TestRequestMemoryReleased: a request holds its tensors' bytes (gRPC: its
// message, twice for typed contents) while it runs, and gives them back
// when it ends, whether it succeeds or fails after charging.
func TestRequestMemoryReleased(t *testing.T) {
	gl := &gatedLoader{Loader: realLoader(t), entered: make(chan struct{}), gate: make(chan struct{})}
	tn := startNode(t, func(_ *Config, d *Deps) { d.Loader = gl })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	url := "http://" + tn.HTTPAddr() + "/v2/models/adder/infer"
	done := make(chan string, 2)
	go func() {
		status, body := httpDo(t, http.DefaultClient, "POST", url, "", addJSON(3))
		done <- fmt.Sprint(status, " ", body)
	}()
	<-gl.entered
	if held := tn.reqmem.held.Load(); held != 24 {
		t.Fatalf("held %d bytes during a JSON request with 2 x 12 bytes of tensors", held)
	}
	typed := &pb.ModelInferRequest{ModelName: "adder", Inputs: []*pb.ModelInferRequest_InferInputTensor{
		{Name: "a", Datatype: "FP32", Shape: []int64{1, 2}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{1, 2}}},
		{Name: "b", Datatype: "FP32", Shape: []int64{1, 2}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{3, 4}}}}}
	go func() {
		_, err := tn.infer.ModelInfer(testCtx(t), typed)
		done <- fmt.Sprint(err)
	}()
	<-gl.entered
	if held, want := tn.reqmem.held.Load(), 24+grpcRequestBytes(typed); held != want {
		t.Fatalf("held %d bytes with a gRPC request in flight too, want %d", held, want)
	}
	close(gl.gate)
	if r := <-done; !strings.HasPrefix(r, "200 ") && r != "<nil>" {
		t.Fatal(r)
	}
	if r := <-done; !strings.HasPrefix(r, "200 ") && r != "<nil>" {
		t.Fatal(r)
	}
	testutil.Eventually(t, "the requests' bytes to be released", func() bool { return tn.reqmem.held.Load() == 0 })

	badSecond := strings.Replace(addJSON(3), `"b","shape":[1,3],"datatype":"FP32","data":[1,1,1]`, `"b","shape":[1,3],"datatype":"FP32","data":[1,1,"x"]`, 1)
	wrongRank := strings.ReplaceAll(addJSON(3), "[1,3]", "[3]")
	for name, body := range map[string]string{"decode fails after a charge": badSecond, "inference refuses": wrongRank} {
		if status, resp := httpDo(t, http.DefaultClient, "POST", url, "", body); status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", name, status, resp)
		}
		testutil.Eventually(t, name+": bytes released", func() bool { return tn.reqmem.held.Load() == 0 })
	}
}

// TestInferBodyOverLimitStreamed: a body without a length that runs past
// MaxRequestBytes while it streams into the decoder is too large (413),
// not malformed.
func TestInferBodyOverLimitStreamed(t *testing.T) {
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.MaxRequestBytes = 4 << 10 })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	long := strings.Replace(addJSON(3), `{"inputs"`, `{"id":"`+strings.Repeat("x", 8<<10)+`","inputs"`, 1)
	body := struct{ io.Reader }{strings.NewReader(long)} // no length: sent chunked
	req, _ := http.NewRequestWithContext(testCtx(t), "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if req.ContentLength > 0 || resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "too large") {
		t.Fatalf("streamed oversize body: %d %s", resp.StatusCode, msg)
	}
}
