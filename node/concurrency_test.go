package node

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
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
