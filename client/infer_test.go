package client_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/internal/testnode"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

// TestInfer runs add_fp32 on a real node through a list whose first
// address is down, and reads its signature.
func TestInfer(t *testing.T) {
	addr := testnode.Start(t, "tok")
	ctx := testCtx(t)
	if _, err := dial(t, "tok", addr).PushFile(ctx, client.Model{Name: "adder"}, testnode.ZooFile(t, "add_fp32"), nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, "", testutil.FreeAddr(t), addr)
	resp, err := c.Infer(ctx, client.InferRequest{Model: "adder", ID: "r1", Inputs: []runtime.Tensor{
		fp32("a", []int64{1, 3}, 1, 2, 3), fp32("b", []int64{1, 3}, 10, 20, 30)}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "adder" || resp.ID != "r1" || len(resp.Outputs) != 1 ||
		!slices.Equal(floats(t, resp.Outputs[0]), []float32{11, 22, 33}) || !slices.Equal(resp.Outputs[0].Shape, []int64{1, 3}) {
		t.Fatalf("Infer = %+v", resp)
	}
	md, err := c.Metadata(ctx, "adder", "")
	if err != nil || len(md.GetInputs()) != 2 || md.GetInputs()[0].GetDatatype() != "FP32" {
		t.Fatalf("Metadata = %v, %v", md, err)
	}
	_, err = c.Infer(ctx, client.InferRequest{Model: "nope", Inputs: []runtime.Tensor{fp32("a", []int64{1}, 1)}})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("Infer of an unknown model = %v, want NotFound", err)
	}
}

// TestTokenOnlyOnAdminCalls: a client with an admin token sends it on admin
// calls and never on inference calls.
func TestTokenOnlyOnAdminCalls(t *testing.T) {
	rec := testnode.StartRecorder(t)
	c := dial(t, "tok", rec.Addr)
	ctx := testCtx(t)
	if _, err := c.Infer(ctx, client.InferRequest{Model: "m", Inputs: []runtime.Tensor{fp32("x", []int64{2}, 1, 2)}}); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Metadata(ctx, "m", "") // Unimplemented: only what it sends matters
	_, _ = c.List(ctx)
	calls := rec.Calls()
	if len(calls) != 3 {
		t.Fatalf("recorded %v, want 3 calls", calls)
	}
	for _, call := range calls[:2] {
		if len(call.Authorization) != 0 {
			t.Errorf("%s carried authorization %q", call.Method, call.Authorization)
		}
	}
	if a := calls[2].Authorization; len(a) != 1 || a[0] != "Bearer tok" {
		t.Errorf("%s carried authorization %q, want the token", calls[2].Method, a)
	}
}

// TestFallbackOnlyWhenUnreachable: a node's answer, even an error, ends
// the call; only an unreachable node passes it on. The node that answered
// is tried first next time.
func TestFallbackOnlyWhenUnreachable(t *testing.T) {
	first, second := testnode.StartRecorder(t), testnode.StartRecorder(t)
	c := dial(t, "", first.Addr, second.Addr)
	ctx := testCtx(t)
	if _, err := c.Metadata(ctx, "m", ""); status.Code(err) != codes.Unimplemented {
		t.Fatalf("Metadata = %v, want the first node's Unimplemented", err)
	}
	if n := len(second.Calls()); n != 0 {
		t.Fatalf("an answered call went on to the next node (%d calls)", n)
	}
	c = dial(t, "", testutil.FreeAddr(t), second.Addr)
	for range 2 {
		if _, err := c.Infer(ctx, client.InferRequest{Model: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(second.Calls()); n != 2 {
		t.Fatalf("second node got %d calls, want 2", n)
	}
	c = dial(t, "", testutil.FreeAddr(t), testutil.FreeAddr(t))
	if _, err := c.Infer(ctx, client.InferRequest{Model: "m"}); status.Code(err) != codes.Unavailable {
		t.Fatalf("no node up = %v, want Unavailable", err)
	}
}

// TestDecodeResponse: outputs come from raw or typed contents; a response
// whose contents do not fit its outputs is an error.
func TestDecodeResponse(t *testing.T) {
	out := func(dt string, shape ...int64) *pb.ModelInferResponse_InferOutputTensor {
		return &pb.ModelInferResponse_InferOutputTensor{Name: "y", Datatype: dt, Shape: shape}
	}
	typed := out("FP32", 2)
	typed.Contents = &pb.InferTensorContents{Fp32Contents: []float32{1.5, -2}}
	r, err := client.DecodeResponse(&pb.ModelInferResponse{ModelName: "m", Outputs: []*pb.ModelInferResponse_InferOutputTensor{typed}})
	if err != nil || !slices.Equal(floats(t, r.Outputs[0]), []float32{1.5, -2}) {
		t.Fatalf("typed contents: %+v, %v", r, err)
	}
	bad := map[string]*pb.ModelInferResponse{
		"raw count":     {Outputs: []*pb.ModelInferResponse_InferOutputTensor{out("FP32", 1), out("FP32", 1)}, RawOutputContents: [][]byte{make([]byte, 4)}},
		"raw size":      {Outputs: []*pb.ModelInferResponse_InferOutputTensor{out("FP32", 2)}, RawOutputContents: [][]byte{make([]byte, 4)}},
		"datatype":      {Outputs: []*pb.ModelInferResponse_InferOutputTensor{out("FP99", 1)}, RawOutputContents: [][]byte{make([]byte, 4)}},
		"negative dim":  {Outputs: []*pb.ModelInferResponse_InferOutputTensor{out("FP32", -1)}, RawOutputContents: [][]byte{nil}},
		"typed missing": {Outputs: []*pb.ModelInferResponse_InferOutputTensor{out("INT32", 3)}},
	}
	for name, resp := range bad {
		if _, err := client.DecodeResponse(resp); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestRouteParametersAndIndex: a real node says how it served each
// request (a load, then a hit) in the response's parameters; the index
// lists the pushed models once each; every connection goes through the
// configured dialer, to the configured address.
func TestRouteParametersAndIndex(t *testing.T) {
	addr := testnode.Start(t, "")
	ctx := testCtx(t)
	admin := dial(t, "", addr)
	for _, name := range []string{"b-adder", "a-adder"} {
		if _, err := admin.PushFile(ctx, client.Model{Name: name}, testnode.ZooFile(t, "add_fp32"), nil); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var dialled []string
	cfg := client.DefaultConfig()
	cfg.Addrs = []string{addr}
	cfg.Dialer = func(ctx context.Context, a string) (net.Conn, error) {
		mu.Lock()
		dialled = append(dialled, a)
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, "tcp", a)
	}
	c, err := client.Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := []runtime.Tensor{fp32("a", []int64{1, 1}, 1), fp32("b", []int64{1, 1}, 2)}
	for _, want := range []string{"load", "hit"} {
		resp, err := c.Infer(ctx, client.InferRequest{Model: "a-adder", Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Parameters["edgeserve_route"]; got != want {
			t.Fatalf("edgeserve_route = %q (parameters %v), want %q", got, resp.Parameters, want)
		}
		if _, ok := resp.Parameters["edgeserve_served_by"]; !ok {
			t.Fatalf("no edgeserve_served_by in %v", resp.Parameters)
		}
	}
	names, err := c.Index(ctx)
	if err != nil || !slices.Equal(names, []string{"a-adder", "b-adder"}) {
		t.Fatalf("Index = %v, %v", names, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialled) == 0 || slices.ContainsFunc(dialled, func(a string) bool { return a != addr }) {
		t.Fatalf("dialled %v, want only %s", dialled, addr)
	}
}
