package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/node/codec"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/zoo"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

const testToken = "s3cret-token"

// zooDir holds the zoo test models, generated once per test process.
var zooOnce struct {
	sync.Once
	dir string
	err error
}

// zooModel returns the path of a zoo model, generating it on first use.
func zooModel(t testing.TB, name string) string {
	t.Helper()
	zooOnce.Do(func() { zooOnce.dir, zooOnce.err = os.MkdirTemp("", "edgeserve-node-zoo") })
	if zooOnce.err != nil {
		t.Fatal(zooOnce.err)
	}
	m, err := zoo.Write(zooOnce.dir, name, zoo.DefaultOptions())
	if err != nil {
		t.Fatalf("zoo.Write(%s): %v", name, err)
	}
	return filepath.Join(zooOnce.dir, m.File)
}

// testNode is a running node on loopback ports with connected clients.
type testNode struct {
	*Node
	infer  pb.GRPCInferenceServiceClient
	admin  adminpb.AdminServiceClient
	conn   *grpc.ClientConn
	cancel context.CancelFunc
	done   chan error
}

// startNode starts a node with test settings, adjusted by mod, and stops it
// at the end of the test.
func startNode(t testing.TB, mod func(*Config, *Deps)) *testNode {
	t.Helper()
	cfg := DefaultConfig(t.TempDir())
	cfg.Runtime.ORTLibrary = testutil.ORTLibrary(t)
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr, cfg.Server.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Server.AdminToken = testToken
	cfg.Cache.MemoryBudgetBytes = 256 << 20
	cfg.Server.DrainTimeout = 10 * time.Second
	deps := Deps{}
	if mod != nil {
		mod(&cfg, &deps)
	}
	n, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{Node: n, cancel: cancel, done: make(chan error, 1)}
	go func() { tn.done <- n.Run(ctx) }()
	if cfg.Server.TLSCertFile == "" {
		tn.conn, err = grpc.NewClient(n.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		tn.infer = pb.NewGRPCInferenceServiceClient(tn.conn)
		tn.admin = adminpb.NewAdminServiceClient(tn.conn)
	}
	t.Cleanup(func() {
		if tn.conn != nil {
			tn.conn.Close()
		}
		tn.stop(t)
	})
	return tn
}

// stop drains the node and checks that Run returned nil. Stopping twice
// is a no-op.
func (tn *testNode) stop(t testing.TB) {
	t.Helper()
	tn.cancel()
	if tn.done == nil {
		return
	}
	select {
	case err := <-tn.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("Run did not return after cancel")
	}
	tn.done = nil
}

// adminCtx carries the admin token.
func adminCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testToken)
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// push uploads the file at path as model name through the admin API.
func push(t testing.TB, c adminpb.AdminServiceClient, name, path string) *adminpb.ModelInfo {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := pushBytes(adminCtx(t), c, name, data, 0, len(data))
	if err != nil {
		t.Fatalf("push %s: %v", name, err)
	}
	return info
}

// pushBytes sends data[from:to] of a file whose whole content is data,
// declaring offset from, in 1 KiB chunks.
func pushBytes(ctx context.Context, c adminpb.AdminServiceClient, name string, data []byte, from, to int) (*adminpb.ModelInfo, error) {
	return pushHeaderBytes(ctx, c, &adminpb.PushHeader{Name: name}, data, from, to)
}

// pushHeaderBytes is pushBytes with the header's name, task, accuracy and
// labels taken from hdr.
func pushHeaderBytes(ctx context.Context, c adminpb.AdminServiceClient, hdr *adminpb.PushHeader, data []byte, from, to int) (*adminpb.ModelInfo, error) {
	sum := sha256.Sum256(data)
	stream, err := c.PushModel(ctx)
	if err != nil {
		return nil, err
	}
	hdr.SizeBytes, hdr.Sha256, hdr.Offset = int64(len(data)), hex.EncodeToString(sum[:]), int64(from)
	// A Send error means the server ended the stream; CloseAndRecv has why.
	if err := stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: hdr}}); err == nil {
		for i := from; i < to; i += 1024 {
			chunk := data[i:min(i+1024, to)]
			if stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: chunk}}) != nil {
				break
			}
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	return resp.GetModel(), nil
}

// gatedLoader wraps a real loader so that Run of every loaded model waits
// for the gate to open: a way to hold a request in flight.
type gatedLoader struct {
	runtime.Loader
	entered chan struct{} // receives once per Run that reached the gate
	gate    chan struct{} // closed to let runs proceed
}

type gatedModel struct {
	runtime.Model
	l *gatedLoader
}

func (g *gatedLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	m, err := g.Loader.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	return gatedModel{m, g}, nil
}

func (m gatedModel) Run(ctx context.Context, in []runtime.Tensor) ([]runtime.Tensor, error) {
	m.l.entered <- struct{}{}
	<-m.l.gate
	return m.Model.Run(ctx, in)
}

// encodeValues packs Go values as little-endian elements of dt, through the
// JSON codec (itself tested against hand-written bytes in node/codec).
func encodeValues(t testing.TB, dt runtime.DataType, vals []any) []byte {
	t.Helper()
	data, err := json.Marshal(vals)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := codec.DecodeJSONTensor(codec.JSONTensor{Name: "x", Shape: []int64{int64(len(vals))}, Datatype: codec.DataTypeName(dt), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return tn.Data
}

// decodeValues unpacks a raw output tensor.
func decodeValues(t testing.TB, out *pb.ModelInferResponse_InferOutputTensor, raw []byte) []any {
	t.Helper()
	dt, err := codec.ParseDataType(out.GetDatatype())
	if err != nil {
		t.Fatal(err)
	}
	vals, err := codec.RawToValues(runtime.Tensor{Type: dt, Data: raw})
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// chargedLoader wraps a real loader so that every model it loads reports
// the same memory: tests of eviction and of the budget then do not depend
// on what the process's memory readings happen to be (they move with
// whatever else the test binary is doing).
type chargedLoader struct {
	runtime.Loader
	bytes int64
}

type chargedModel struct {
	runtime.Model
	bytes int64
}

func (c chargedLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	m, err := c.Loader.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	return chargedModel{m, c.bytes}, nil
}

func (m chargedModel) Profile() runtime.Profile {
	p := m.Model.Profile()
	p.MemoryBytes, p.AnonymousBytes = m.bytes, m.bytes
	return p
}
