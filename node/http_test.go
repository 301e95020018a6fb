package node

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/node/codec"
	"google.golang.org/grpc/codes"
)

// httpDo sends a request to the node's HTTP port and returns status and body.
func httpDo(t *testing.T, c *http.Client, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHTTPEndpoints covers every HTTP/REST route on add_fp32 and tiny_mlp.
func TestHTTPEndpoints(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	push(t, tn.admin, "mlp", zooModel(t, "tiny_mlp"))
	base := "http://" + tn.HTTPAddr()
	c := http.DefaultClient
	infer := `{"id":"h1","inputs":[{"name":"a","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]},
		{"name":"b","shape":[2,2],"datatype":"FP32","data":[0.5,0.5,0.5,-4]}]}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
		contains                        string
	}{
		{"live", "GET", "/v2/health/live", "", "", 200, ""},
		{"ready", "GET", "/v2/health/ready", "", "", 200, ""},
		{"server metadata", "GET", "/v2", "", "", 200, `"extensions":["model_repository","statistics","binary_tensor_data"]`},
		{"model not ready", "GET", "/v2/models/adder/ready", "", "", 400, ""},
		{"unknown model ready", "GET", "/v2/models/nope/ready", "", "", 404, "not found"},
		{"model metadata", "GET", "/v2/models/adder", "", "", 200, `"inputs":[{"name":"a","datatype":"FP32","shape":[-1,-1]}`},
		{"versioned metadata", "GET", "/v2/models/adder/versions/1", "", "", 200, `"versions":["1"]`},
		{"unknown version", "GET", "/v2/models/adder/versions/7", "", "", 404, "not found"},
		{"infer", "POST", "/v2/models/adder/infer", "", infer, 200, `"data":[1.5,2.5,3.5,0]`},
		{"versioned infer", "POST", "/v2/models/adder/versions/1/infer", "", infer, 200, `"id":"h1"`},
		{"model ready", "GET", "/v2/models/adder/versions/1/ready", "", "", 200, ""},
		{"index", "POST", "/v2/repository/index", "", "", 200, `{"name":"adder","state":"READY","version":"1"}`},
		{"index ready only", "POST", "/v2/repository/index", "", `{"ready":true}`, 200, `[{"name":"adder"`},
		{"load without token", "POST", "/v2/repository/models/mlp/load", "", "", 401, "bearer token"},
		{"load wrong token", "POST", "/v2/repository/models/mlp/load", "wrong", "", 401, "bearer token"},
		{"load", "POST", "/v2/repository/models/mlp/load", testToken, "", 200, ""},
		{"mlp ready", "GET", "/v2/models/mlp/ready", "", "", 200, ""},
		{"unload", "POST", "/v2/repository/models/mlp/unload", testToken, "", 200, ""},
		{"load unknown", "POST", "/v2/repository/models/nope/load", testToken, "", 404, "not found"},
		{"stats", "GET", "/v2/models/adder/stats", "", "", 200, `"inference_count":"2"`},
		{"stats unknown", "GET", "/v2/models/nope/stats", "", "", 404, "not found"},
		{"bad index body", "POST", "/v2/repository/index", "", `{"ready":"yes"}`, 400, "index request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := httpDo(t, c, tc.method, base+tc.path, tc.token, tc.body)
			if status != tc.status || !strings.Contains(body, tc.contains) {
				t.Fatalf("%s %s = %d %s, want %d containing %q", tc.method, tc.path, status, body, tc.status, tc.contains)
			}
		})
	}
}

// TestHTTPInferMLP runs tiny_mlp over HTTP and checks that each output row
// is a probability distribution (softmax), with the shape declared.
func TestHTTPInferMLP(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "mlp", zooModel(t, "tiny_mlp"))
	row := make([]float32, 16)
	for i := range row {
		row[i] = float32(i)/8 - 1
	}
	in, _ := json.Marshal([][]float32{row, row})
	body := `{"inputs":[{"name":"input","shape":[2,16],"datatype":"FP32","data":` + string(in) + `}]}`
	status, out := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/mlp/infer", "", body)
	if status != 200 {
		t.Fatalf("infer = %d %s", status, out)
	}
	var resp codec.JSONResponse
	if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	probs, err := codec.DecodeJSONTensor(resp.Outputs[0])
	if err != nil {
		t.Fatal(err)
	}
	vals := readF32(probs.Data)
	if resp.Outputs[0].Name != "probs" || len(vals) != 8 {
		t.Fatalf("output %s with %d values", resp.Outputs[0].Name, len(vals))
	}
	for r := 0; r < 2; r++ {
		sum := float32(0)
		for _, v := range vals[4*r : 4*r+4] {
			sum += v
		}
		if sum < 0.999 || sum > 1.001 {
			t.Fatalf("row %d sums to %v: %v", r, sum, vals)
		}
	}
	if vals[0] != vals[4] {
		t.Fatalf("identical rows gave different outputs: %v", vals)
	}
}

// TestMetricsEndpoint: the request-level series appear on the metrics port.
func TestMetricsEndpoint(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	if _, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})); err != nil {
		t.Fatal(err)
	}
	_, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{1}, []float32{2}, []int64{1}))
	wantCode(t, err, codes.InvalidArgument) // rank 1 where the model wants rank 2
	status, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.MetricsAddr()+"/metrics", "", "")
	for _, want := range []string{
		`edgeserve_requests_total{cache="miss",model="adder"} 1`,
		`edgeserve_request_failures_total{model="adder",reason="invalid_input"} 1`,
		`edgeserve_request_duration_seconds_count{model="adder"} 2`,
		`edgeserve_compute_duration_seconds_count{model="adder"} 1`,
		`edgeserve_requests_in_flight 0`,
		`edgeserve_cache_misses_total 1`,
		`edgeserve_cache_loaded_models 1`,
		`edgeserve_cache_capacity_bytes`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics (%d) lack %q", status, want)
		}
	}
}

// TestHTTPBinaryTensorData: the binary tensor data extension, as Triton's
// HTTP clients send it by default: a binary input and a JSON one in, the
// output back as binary after the JSON part.
func TestHTTPBinaryTensorData(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	head := `{"inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}},` +
		`{"name":"b","shape":[1,3],"datatype":"FP32","data":[10,20,30]}],"outputs":[{"name":"out","parameters":{"binary_data":true}}]}`
	body := append([]byte(head), f32(1, 2, 3.5)...)
	req, _ := http.NewRequestWithContext(testCtx(t), "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", bytes.NewReader(body))
	req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(len(head)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	hl, err := strconv.Atoi(resp.Header.Get("Inference-Header-Content-Length"))
	if resp.StatusCode != 200 || err != nil || hl > len(raw) {
		t.Fatalf("status %d, header length %q: %s", resp.StatusCode, resp.Header.Get("Inference-Header-Content-Length"), raw)
	}
	var out codec.JSONResponse
	if err := json.Unmarshal(raw[:hl], &out); err != nil {
		t.Fatal(err)
	}
	if out.Outputs[0].Parameters["binary_data_size"] != float64(12) || len(out.Outputs[0].Data) != 0 {
		t.Fatalf("output JSON = %s", raw[:hl])
	}
	if got := readF32(raw[hl:]); len(got) != 3 || got[0] != 11 || got[1] != 22 || got[2] != 33.5 {
		t.Fatalf("binary output = %v", got)
	}

	req, _ = http.NewRequestWithContext(testCtx(t), "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", bytes.NewReader(body[:len(body)-1]))
	req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(len(head)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("truncated binary data: status %d", resp.StatusCode)
	}
}

// TestMetricsUnresolvedModelLabel: requests that fail before their model is
// resolved (undecodable, unknown model) are counted under model="", never
// under the name the client sent, so clients cannot grow the series.
func TestMetricsUnresolvedModelLabel(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	bad := addRequest("client-grpc-1", []float32{1}, []float32{2}, []int64{1})
	bad.Inputs[0].Datatype = "NOT_A_TYPE"
	_, err := tn.infer.ModelInfer(testCtx(t), bad)
	wantCode(t, err, codes.InvalidArgument)
	_, err = tn.infer.ModelInfer(testCtx(t), addRequest("client-missing-2", []float32{1}, []float32{2}, []int64{1}))
	wantCode(t, err, codes.NotFound)
	status, _ := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/client-http-3/infer", "", "{")
	if status != http.StatusBadRequest {
		t.Fatalf("undecodable HTTP request: status %d, want 400", status)
	}
	_, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.MetricsAddr()+"/metrics", "", "")
	if strings.Contains(body, "client-") {
		t.Errorf("a client-sent model name became a label:\n%s", grepLines(body, "client-"))
	}
	if got := grepLines(body, `edgeserve_request_failures_total{model=""`); strings.Count(got, "\n") < 2 {
		t.Errorf("failures under model=\"\": %q, want the decode and not-found reasons", got)
	}
}

// grepLines returns body's lines that contain s, one per line.
func grepLines(body, s string) string {
	var out strings.Builder
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			out.WriteString(l + "\n")
		}
	}
	return out.String()
}
