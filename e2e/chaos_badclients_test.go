package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// Limits the bad-clients scenario gives every node, so that its attacks
// stay small: requests over 4 MiB are refused, and connections that send
// no complete request head within 2 s are closed.
var badClientFlags = []string{"--max-request-bytes", fmt.Sprint(4 << 20), "--http-read-header-timeout", "2s",
	"--http-read-timeout", "5s", "--grpc-handshake-timeout", "2s"}

// The bounded counts of each attack, made attackRounds times, all
// attacks of a round at once.
const (
	attackRounds      = 4
	malformedRequests = 300 // over gRPC, and as many over HTTP
	hugeRequests      = 10  // over gRPC, and as many over HTTP
	slowClients       = 20  // HTTP headers a byte at a time, and as many bodies
	idleConns         = 200 // to the gRPC port, and as many to the HTTP port
	garbageConns      = 20  // random bytes to the gRPC port
)

// TestChaosBadClients: three regions of three nodes under a replayed
// load from every site. At the same time, bad clients go at edge-eu-1:
// malformed requests (wrong datatypes, shapes, byte counts, names; broken
// JSON), requests over the size limit, slow clients (headers or bodies a
// byte at a time), hundreds of idle connections, and connections that
// send garbage. Each gets its error (INVALID_ARGUMENT / 400,
// RESOURCE_EXHAUSTED / 413, a closed connection) within bounded time, and
// everyone else is served: the load is answered (99.9%, retries
// included), edge-eu-1 among the nodes answering it, and edge-eu-1 is
// ready and answers a new client afterwards.
func TestChaosBadClients(t *testing.T) {
	long(t)
	c := startChaosCluster(t, chaosOptions{regions: chaosRegions, perRegion: 3, flags: badClientFlags})
	models := c.pushLoadModels()
	reqs := azureLoad(t, models, c.regions, 50, 0.1, 0)
	l := startLoad(t, c.replayNodes(c.nodes), reqs, 0.08)
	l.waitEnded(t, len(reqs)/10)

	v := c.nodes[0]
	attacks := []struct {
		name string
		run  func(t *testing.T, v *proc) string
	}{
		{"malformed gRPC", malformedGRPC},
		{"malformed HTTP", malformedHTTP},
		{"huge", hugeRequestsAttack},
		{"slow", slowClientsAttack},
		{"idle connections", idleConnsAttack},
		{"garbage", garbageAttack},
	}
	began, during := time.Now(), l.ended.Load()
	for round := range attackRounds {
		var wg sync.WaitGroup
		for _, a := range attacks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Logf("round %d, %s: %s", round+1, a.name, a.run(t, v))
			}()
		}
		wg.Wait()
	}
	t.Logf("%d rounds of attacks took %v; %d requests of the load ended meanwhile", attackRounds, time.Since(began).Round(time.Millisecond), l.ended.Load()-during)

	rep := l.wait(t)
	logReport(t, "replay", rep)
	if rep.Sent != rep.Planned || rep.SuccessRate < 0.999 {
		t.Fatalf("replay: %+v; want at least 99.9%% answered", rep)
	}
	if rep.Nodes[0].Answered == 0 {
		t.Fatalf("%s answered none of the load", v.name)
	}
	if _, err := inferSeeded(dialNode(t, v), "add_fp32"); err != nil {
		t.Fatalf("%s after the attacks: %v", v.name, err)
	}
}

// goodAdd is a well-formed add_fp32 request: two [1,2] FP32 inputs.
func goodAdd() *pb.ModelInferRequest {
	f32 := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	return &pb.ModelInferRequest{ModelName: "add_fp32",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "a", Datatype: "FP32", Shape: []int64{1, 2}},
			{Name: "b", Datatype: "FP32", Shape: []int64{1, 2}},
		},
		RawInputContents: [][]byte{f32(1, 2), f32(3, 4)}}
}

// malformed are ways to break a request, and the code each gets.
var malformed = []struct {
	mutate func(*pb.ModelInferRequest)
	code   codes.Code
}{
	{func(r *pb.ModelInferRequest) { r.Inputs[0].Datatype = "INT32" }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.Inputs[0].Datatype = "FLOAT" }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.Inputs[0].Shape, r.Inputs[1].Shape = []int64{2}, []int64{2} }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.Inputs[0].Shape = []int64{1, -2} }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.RawInputContents[0] = r.RawInputContents[0][:7] }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.Inputs, r.RawInputContents = r.Inputs[:1], r.RawInputContents[:1] }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.Inputs[1].Name = "c" }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.ModelName = "" }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.ModelVersion = "x" }, codes.InvalidArgument},
	{func(r *pb.ModelInferRequest) { r.ModelName = "no_such_model" }, codes.NotFound},
}

// malformedGRPC sends malformedRequests broken requests over one
// connection and checks each code.
func malformedGRPC(t *testing.T, v *proc) string {
	cc, err := grpc.NewClient(v.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Error(err)
		return err.Error()
	}
	defer cc.Close()
	infer := pb.NewGRPCInferenceServiceClient(cc)
	for i := range malformedRequests {
		m := malformed[i%len(malformed)]
		req := goodAdd()
		m.mutate(req)
		_, err := call(func(ctx context.Context) (*pb.ModelInferResponse, error) { return infer.ModelInfer(ctx, req) })
		if status.Code(err) != m.code {
			t.Errorf("malformed request %d: %v; want %v", i%len(malformed), err, m.code)
			return "failed"
		}
	}
	return fmt.Sprintf("%d refused with the right code", malformedRequests)
}

// malformedBodies are HTTP bodies for add_fp32's infer endpoint that are
// not valid requests.
var malformedBodies = []string{
	`{not json`,
	`{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`,
	`{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2,3]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}]}`,
	`{"inputs":[{"name":"a","shape":[1,2],"datatype":"BOGUS","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}]}`,
	`{"inputs":"a"}`,
	`[]`,
	``,
}

// malformedHTTP posts malformedRequests broken bodies and checks each
// gets 400.
func malformedHTTP(t *testing.T, v *proc) string {
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	for i := range malformedRequests {
		body := malformedBodies[i%len(malformedBodies)]
		resp, err := hc.Post("http://"+v.http+"/v2/models/add_fp32/infer", "application/json", strings.NewReader(body))
		if err != nil {
			t.Errorf("malformed body %q: %v", body, err)
			return "failed"
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for reuse
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed body %q: status %d; want 400", body, resp.StatusCode)
			return "failed"
		}
	}
	return fmt.Sprintf("%d answered 400", malformedRequests)
}

// hugeRequestsAttack sends requests over the 4 MiB limit: over gRPC
// (RESOURCE_EXHAUSTED) and HTTP (413, whether the body's length is
// declared or streamed).
func hugeRequestsAttack(t *testing.T, v *proc) string {
	cc, err := grpc.NewClient(v.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Error(err)
		return err.Error()
	}
	defer cc.Close()
	infer := pb.NewGRPCInferenceServiceClient(cc)
	big := make([]byte, 5<<20)
	for range hugeRequests {
		req := goodAdd()
		req.Inputs[0].Shape, req.Inputs[1].Shape = []int64{1, int64(len(big) / 4)}, []int64{1, int64(len(big) / 4)}
		req.RawInputContents = [][]byte{big, big}
		_, err := call(func(ctx context.Context) (*pb.ModelInferResponse, error) { return infer.ModelInfer(ctx, req) })
		if status.Code(err) != codes.ResourceExhausted {
			t.Errorf("huge gRPC request: %v; want RESOURCE_EXHAUSTED", err)
			return "failed"
		}
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	// A well-formed request padded with 5 MiB of white space, so that only
	// its size is wrong.
	body := `{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}]` +
		strings.Repeat(" ", 5<<20) + `}`
	cut := 0
	for i := range hugeRequests {
		var r io.Reader = strings.NewReader(body)
		if i%2 == 1 {
			r = io.MultiReader(r) // no length: streamed (chunked)
		}
		resp, err := hc.Post("http://"+v.http+"/v2/models/add_fp32/infer", "application/json", r)
		if err != nil {
			// The node may close the connection while the body is still
			// being sent, before the client reads the 413.
			cut++
			continue
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("huge HTTP request: status %d; want 413", resp.StatusCode)
			return "failed"
		}
	}
	return fmt.Sprintf("%d over gRPC refused RESOURCE_EXHAUSTED; over HTTP %d answered 413, %d cut off while sending", hugeRequests, hugeRequests-cut, cut)
}

// slowClientsAttack opens slowClients connections that send an HTTP
// request's headers a byte every 200 ms, and as many that send complete
// headers and then the body a byte every 200 ms; the node must end each
// within its read timeouts (2 s for headers, 5 s for a whole request),
// allowing for a loaded machine.
func slowClientsAttack(t *testing.T, v *proc) string {
	head := "POST /v2/models/add_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: " + strings.Repeat("p", 200) + "\r\n"
	var wg sync.WaitGroup
	var mu sync.Mutex
	var longest time.Duration
	trickle := func(prefix, slow string) {
		defer wg.Done()
		conn, err := net.Dial("tcp", v.http)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		start := time.Now()
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, conn) //nolint:errcheck // until the node closes it
			close(closed)
		}()
		if _, err := conn.Write([]byte(prefix)); err != nil {
			return
		}
		for i := 0; i < len(slow); i++ {
			select {
			case <-closed:
				mu.Lock()
				longest = max(longest, time.Since(start))
				mu.Unlock()
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{slow[i]}); err != nil {
				break
			}
		}
		select {
		case <-closed:
			mu.Lock()
			longest = max(longest, time.Since(start))
			mu.Unlock()
		case <-time.After(30 * time.Second):
			t.Errorf("a slow client was still connected after %v", time.Since(start))
		}
	}
	body := `{"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"FP32","data":[3,4]}]}`
	for range slowClients {
		wg.Add(2)
		go trickle("", head+"\r\n")
		go trickle(head+fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)), body)
	}
	wg.Wait()
	return fmt.Sprintf("%d slow-header and %d slow-body clients cut off, the last after %v", slowClients, slowClients, longest.Round(time.Millisecond))
}

// idleConnsAttack opens idleConns connections to the gRPC port and as
// many to the HTTP port and sends nothing: the node closes each after its
// handshake or header timeout (2 s).
func idleConnsAttack(t *testing.T, v *proc) string {
	return holdConns(t, append(repeat(v.grpc, idleConns), repeat(v.http, idleConns)...), nil)
}

// garbageAttack sends random bytes on garbageConns connections to the
// gRPC port: the node closes each.
func garbageAttack(t *testing.T, v *proc) string {
	junk := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x13, 0x37}, 1024)
	return holdConns(t, repeat(v.grpc, garbageConns), junk)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// holdConns connects to each address, writes send, and waits until the
// node closes the connection (30 s at most).
func holdConns(t *testing.T, addrs []string, send []byte) string {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var longest time.Duration
	for _, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialTimeout("tcp", a, 10*time.Second)
			if err != nil {
				t.Errorf("connect %s: %v", a, err)
				return
			}
			defer conn.Close()
			start := time.Now()
			if send != nil {
				conn.Write(send) //nolint:errcheck // the node may close first
			}
			conn.SetReadDeadline(start.Add(30 * time.Second)) //nolint:errcheck // a net.Conn
			_, err = io.Copy(io.Discard, conn)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("a connection to %s was still open after 30 s", a)
				return
			}
			mu.Lock()
			longest = max(longest, time.Since(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return fmt.Sprintf("%d connections closed by the node, the last after %v", len(addrs), longest.Round(time.Millisecond))
}
