package node

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/edgeserve/edgeserve/placement/policy"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/prometheus/client_golang/prometheus"
)

// TestConcurrentRequests: many clients over gRPC and HTTP at once, on two
// models loaded concurrently, each getting its own correct result (run
// with -race).
func TestConcurrentRequests(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	push(t, tn.admin, "mlp", zooModel(t, "tiny_mlp"))
	var wg sync.WaitGroup
	errs := make(chan error, 8*10)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- concurrentCall(t, tn, g, i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// concurrentCall sends one request whose answer depends on g and i.
func concurrentCall(t *testing.T, tn *testNode, g, i int) error {
	a, b := float32(g), float32(i)
	switch (g + i) % 3 {
	case 0:
		resp, err := tn.infer.ModelInfer(testCtx(t), addRequest("adder", []float32{a}, []float32{b}, []int64{1, 1}))
		if err != nil {
			return err
		}
		if got := readF32(resp.GetRawOutputContents()[0])[0]; got != a+b {
			return fmt.Errorf("goroutine %d call %d: %v + %v = %v", g, i, a, b, got)
		}
	case 1:
		if _, err := tn.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
			return err
		}
	default:
		body := fmt.Sprintf(`{"inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[%v]},{"name":"b","shape":[1,1],"datatype":"FP32","data":[%v]}]}`, a, b)
		req, _ := http.NewRequestWithContext(testCtx(t), "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf(`"data":[%v]`, a+b); resp.StatusCode != 200 || !strings.Contains(string(out), want) {
			return fmt.Errorf("HTTP %d %s, want %s", resp.StatusCode, out, want)
		}
	}
	return nil
}

// TestEveryPolicyServesUnderEviction runs each registered policy in a node
// whose budget (10 MiB) cannot hold the three MobileNets at once, each
// charged 4 MiB (a fixed charge: their measured anonymous memory, about 4
// to 7 MB, moves with what else the test process does): every request
// must be served (the node's policies never decline to make room) and
// models must be evicted.
func TestEveryPolicyServesUnderEviction(t *testing.T) {
	models := []string{"mobilenet_v1_1.0", "mobilenet_v1_0.75", "mobilenet_v1_0.5"}
	for _, name := range policy.Names() {
		t.Run(name, func(t *testing.T) {
			tn := startNode(t, func(c *Config, d *Deps) {
				c.Cache.Policy, c.Cache.MemoryBudgetBytes = name, 10<<20
				d.Loader = chargedLoader{realLoader(t), 4 << 20} // two fit, three do not
			})
			reqs := make([]*pb.ModelInferRequest, len(models))
			for i, m := range models {
				push(t, tn.admin, m, zooModel(t, m))
				md, err := tn.infer.ModelMetadata(testCtx(t), &pb.ModelMetadataRequest{Name: m})
				if err != nil {
					t.Fatal(err)
				}
				in := benchTensor(md.GetInputs()[0])
				reqs[i] = &pb.ModelInferRequest{ModelName: m, RawInputContents: [][]byte{in.Data},
					Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: in.Name, Datatype: "FP32", Shape: in.Shape}}}
			}
			for i := range 12 {
				if _, err := tn.infer.ModelInfer(testCtx(t), reqs[(i*i+i/3)%len(reqs)]); err != nil {
					t.Fatalf("request %d (%s): %v", i, reqs[(i*i+i/3)%len(reqs)].GetModelName(), err)
				}
			}
			if n := counterSum(t, tn.reg, "edgeserve_cache_evictions_total"); n == 0 {
				t.Fatal("no model was evicted: the budget did not bind")
			}
		})
	}
}

// counterSum adds up every series of the counter family name in reg.
func counterSum(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
