package testnode

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// Recorder is a gRPC server on loopback that records the method and the
// "authorization" metadata of every call it gets. It answers ModelInfer by
// echoing the inputs as outputs and every other call with Unimplemented.
// It is a stand-in only for what a real node does not expose: what
// arrived on the wire.
type Recorder struct {
	Addr string
	mu   sync.Mutex // guards calls
	// calls are the calls received, in order.
	calls []Call
}

// Call is one recorded call.
type Call struct {
	Method        string
	Authorization []string
}

// StartRecorder starts a Recorder that stops at the end of the test.
func StartRecorder(t testing.TB) *Recorder {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Recorder{Addr: l.Addr().String()}
	s := grpc.NewServer(grpc.UnaryInterceptor(r.unary), grpc.StreamInterceptor(r.stream))
	pb.RegisterGRPCInferenceServiceServer(s, echoInference{})
	adminpb.RegisterAdminServiceServer(s, adminpb.UnimplementedAdminServiceServer{})
	go s.Serve(l) //nolint:errcheck // ends with Stop
	t.Cleanup(s.Stop)
	return r
}

// Calls returns the calls recorded so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

func (r *Recorder) record(ctx context.Context, method string) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.calls = append(r.calls, Call{Method: method, Authorization: md.Get("authorization")})
	r.mu.Unlock()
}

func (r *Recorder) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	r.record(ctx, info.FullMethod)
	return h(ctx, req)
}

func (r *Recorder) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	r.record(ss.Context(), info.FullMethod)
	return h(srv, ss)
}

// echoInference answers ModelInfer with the request's inputs as outputs.
type echoInference struct {
	pb.UnimplementedGRPCInferenceServiceServer
}

func (echoInference) ModelInfer(_ context.Context, req *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	resp := &pb.ModelInferResponse{ModelName: req.GetModelName(), ModelVersion: "1", Id: req.GetId(),
		RawOutputContents: req.GetRawInputContents()}
	for _, in := range req.GetInputs() {
		resp.Outputs = append(resp.Outputs, &pb.ModelInferResponse_InferOutputTensor{
			Name: in.GetName(), Datatype: in.GetDatatype(), Shape: in.GetShape(), Contents: in.GetContents()})
	}
	return resp, nil
}
