package node

import (
	"context"
	"net"
	goruntime "runtime"
	"slices"
	"testing"
	"time"

	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// BenchmarkHitPathOverhead measures what serving adds to a model run on a
// cache hit: each iteration runs the same input once through ModelInfer
// over loopback gRPC and once in-process on the loaded model (interleaved,
// so drift hits both), and reports the medians and their difference.
func BenchmarkHitPathOverhead(b *testing.B) {
	for _, model := range []string{"mobilenet_v1_0.25", "tiny_mlp"} {
		b.Run(model, func(b *testing.B) { benchHitPath(b, model) })
	}
}

func benchHitPath(b *testing.B, model string) {
	tn := startNode(b, func(c *Config, _ *Deps) { c.Cache.MemoryBudgetBytes = 1 << 30 })
	push(b, tn.admin, model, zooModel(b, model))
	md, err := tn.infer.ModelMetadata(testCtx(b), &pb.ModelMetadataRequest{Name: model})
	if err != nil {
		b.Fatal(err)
	}
	req := &pb.ModelInferRequest{ModelName: model}
	var inputs []runtime.Tensor
	for _, in := range md.GetInputs() {
		t := benchTensor(in)
		inputs = append(inputs, t)
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: t.Name, Datatype: in.GetDatatype(), Shape: t.Shape})
		req.RawInputContents = append(req.RawInputContents, t.Data)
	}
	ctx := testCtx(b)
	if _, err := tn.infer.ModelInfer(ctx, req); err != nil { // load: the rest are hits
		b.Fatal(err)
	}
	l, err := tn.cache.Acquire(ctx, model+":1", 0)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Release()
	echo := startEcho(b, req)
	var remote, local, bare []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := tn.infer.ModelInfer(ctx, req); err != nil {
			b.Fatal(err)
		}
		remote = append(remote, time.Since(start))
		start = time.Now()
		if _, err := l.Model().Run(ctx, inputs); err != nil {
			b.Fatal(err)
		}
		local = append(local, time.Since(start))
		start = time.Now()
		if _, err := echo.ModelInfer(ctx, req); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	b.StopTimer()
	r, loc := median(remote), median(local)
	b.ReportMetric(float64(r.Microseconds()), "grpc-median-us")
	b.ReportMetric(float64(loc.Microseconds()), "inproc-median-us")
	b.ReportMetric(float64((r - loc).Microseconds()), "overhead-us")
	// The floor: the same request to a gRPC server that answers at once.
	b.ReportMetric(float64(median(bare).Microseconds()), "bare-grpc-median-us")
	// Where the remote time goes, from the node's own statistics (means).
	st := tn.stats.snapshot(model, "1")[0].GetInferenceStats()
	mean := func(d *pb.StatisticDuration) float64 { return float64(d.GetNs()) / float64(max(d.GetCount(), 1)) / 1e3 }
	b.ReportMetric(mean(st.GetSuccess()), "node-total-mean-us")
	b.ReportMetric(mean(st.GetComputeInfer()), "node-run-mean-us")
}

// echoServer answers ModelInfer with a fixed response and does no work:
// the transport's share of the hit path.
type echoServer struct {
	pb.UnimplementedGRPCInferenceServiceServer
	resp *pb.ModelInferResponse
}

func (e echoServer) ModelInfer(context.Context, *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	return e.resp, nil
}

// startEcho serves an echoServer on loopback with the node's message limit
// and returns a client; the reply is the size of the node's.
func startEcho(b *testing.B, req *pb.ModelInferRequest) pb.GRPCInferenceServiceClient {
	b.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	pb.RegisterGRPCInferenceServiceServer(srv, echoServer{resp: &pb.ModelInferResponse{ModelName: req.GetModelName()}})
	go srv.Serve(lis) //nolint:errcheck // ends with Stop
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return pb.NewGRPCInferenceServiceClient(conn)
}

// benchTensor is a tensor of the input's shape (dynamic dimensions 1) with
// small non-zero float values.
func benchTensor(in *pb.ModelMetadataResponse_TensorMetadata) runtime.Tensor {
	shape := slices.Clone(in.GetShape())
	n := int64(1)
	for i, d := range shape {
		if d < 0 {
			shape[i] = 1
		}
		n *= shape[i]
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i%17) / 17
	}
	return runtime.Tensor{Name: in.GetName(), Type: runtime.Float32, Shape: shape, Data: f32(vals...)}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkInProcessThroughput is the baseline for a load test of a node
// (ghz at concurrency 4): the same model run in-process by 4 goroutines,
// reported in requests per second.
func BenchmarkInProcessThroughput(b *testing.B) {
	const model = "mobilenet_v1_0.25"
	tn := startNode(b, func(c *Config, _ *Deps) { c.Cache.MemoryBudgetBytes = 1 << 30 })
	push(b, tn.admin, model, zooModel(b, model))
	md, err := tn.infer.ModelMetadata(testCtx(b), &pb.ModelMetadataRequest{Name: model})
	if err != nil {
		b.Fatal(err)
	}
	inputs := []runtime.Tensor{benchTensor(md.GetInputs()[0])}
	l, err := tn.cache.Acquire(testCtx(b), model+":1", 0)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Release()
	b.SetParallelism(max(1, 4/goruntime.GOMAXPROCS(0)))
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Model().Run(context.Background(), inputs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
