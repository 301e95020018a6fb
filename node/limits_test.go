package node

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// shortTimeouts bounds connections tightly so that a test sees them cut.
func shortTimeouts(c *Config) {
	c.Server.HTTPReadHeaderTimeout = 300 * time.Millisecond
	c.Server.HTTPReadTimeout = 800 * time.Millisecond
	c.Server.HTTPIdleTimeout = 300 * time.Millisecond
	c.Server.RequestTimeout, c.Cache.LoadTimeout, c.Server.HTTPWriteTimeout = 5*time.Second, 5*time.Second, 10*time.Second
	c.Server.GRPCHandshakeTimeout = 300 * time.Millisecond
	// gRPC raises a keepalive time under 1s to 1s; the idle bound is set
	// above it, so that a silent raw connection is cut by the unanswered
	// ping and a real idle client (which answers pings) by the idle bound.
	c.Server.GRPCKeepaliveTime, c.Server.GRPCKeepaliveTimeout = time.Second, 200*time.Millisecond
	c.Server.GRPCKeepaliveMinTime = 50 * time.Millisecond
	c.Server.GRPCMaxConnectionIdle = 2 * time.Second
}

// cutWithin is how long a bad client may hold its connection in these
// tests: the configured timeouts plus scheduling slack on a busy machine.
const cutWithin = 6 * time.Second

// badClient opens a raw connection, runs act on it (which sends what the
// bad client sends, slowly or not at all), and reports how long the
// connection lasted until the node closed it, or an error if it was not
// closed within cutWithin.
func badClient(addr string, act func(net.Conn)) (time.Duration, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	start := time.Now()
	go act(conn)
	conn.SetReadDeadline(start.Add(cutWithin)) //nolint:errcheck // a net.Conn from Dial
	_, err = io.Copy(io.Discard, conn)         // until the node closes it
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return 0, fmt.Errorf("still open after %v", cutWithin)
	}
	return time.Since(start), nil
}

// trickle writes s one byte every interval until a write fails.
func trickle(conn net.Conn, s string, interval time.Duration) {
	for i := 0; i < len(s); i++ {
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
		time.Sleep(interval)
	}
}

// TestSlowAndIdleClientsCut holds slow and silent clients against a node
// (a body trickled byte by byte, headers trickled, connections that never
// send, an idle keep-alive connection, a raw gRPC connection that sends
// only the preface, or the preface and settings, and an idle gRPC client)
// and shows each cut within the configured timeouts, while good clients
// are served all along.
func TestSlowAndIdleClientsCut(t *testing.T) {
	tn := startNode(t, func(c *Config, _ *Deps) { shortTimeouts(c) })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	httpAddr, grpcAddr := tn.HTTPAddr(), tn.GRPCAddr()
	infer := "POST /v2/models/adder/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	bad := map[string]struct {
		addr string
		act  func(net.Conn)
	}{
		"http silent":      {httpAddr, func(net.Conn) {}},
		"http slow header": {httpAddr, func(c net.Conn) { trickle(c, infer+"X-Pad: "+strings.Repeat("p", 200), 20*time.Millisecond) }},
		"http slow body": {httpAddr, func(c net.Conn) {
			io.WriteString(c, infer+"Content-Length: 1000\r\n\r\n") //nolint:errcheck // the node may have cut it
			trickle(c, strings.Repeat(" ", 1000), 20*time.Millisecond)
		}},
		"http idle keep-alive": {httpAddr, func(c net.Conn) {
			io.WriteString(c, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck // the node may have cut it
		}},
		"grpc silent":          {grpcAddr, func(net.Conn) {}},
		"grpc magic only":      {grpcAddr, func(c net.Conn) { io.WriteString(c, http2.ClientPreface) }}, //nolint:errcheck
		"grpc preface, silent": {grpcAddr, grpcPreface},
		"grpc ping flood":      {grpcAddr, pingFlood},
	}
	stop := serveGoodClients(t, tn)
	var wg sync.WaitGroup
	for name, b := range bad {
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := badClient(b.addr, b.act)
				if err != nil {
					t.Errorf("%s #%d: %v", name, i, err)
				} else {
					t.Logf("%s #%d: cut after %v", name, i, d.Round(time.Millisecond))
				}
			}()
		}
	}
	idleGRPCClientCut(t, grpcAddr)
	wg.Wait()
	if served := stop(); served < 10 {
		t.Errorf("good clients were served %d times meanwhile, want at least 10", served)
	}
}

// grpcPreface sends the HTTP/2 client preface (magic and SETTINGS) and
// then nothing: it answers no ping.
func grpcPreface(c net.Conn) {
	if _, err := io.WriteString(c, http2.ClientPreface); err == nil {
		http2.NewFramer(c, nil).WriteSettings() //nolint:errcheck // the node may have cut it
	}
}

// pingFlood sends the preface, then a ping every 5 ms (more often than
// GRPCKeepaliveMinTime allows) for up to 5 s.
func pingFlood(c net.Conn) {
	grpcPreface(c)
	fr := http2.NewFramer(c, nil)
	for range 1000 {
		if fr.WritePing(false, [8]byte{}) != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// idleGRPCClientCut: a real gRPC client that made a call and then stays
// idle is sent away after GRPCMaxConnectionIdle (it answers pings, so
// only the idle bound cuts it).
func idleGRPCClientCut(t *testing.T, addr string) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewGRPCInferenceServiceClient(conn).ServerLive(testCtx(t), &pb.ServerLiveRequest{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cutWithin)
	defer cancel()
	for s := conn.GetState(); s == connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(ctx, s) {
			t.Errorf("idle gRPC client still connected after %v", cutWithin)
			return
		}
	}
}

// serveGoodClients runs a gRPC and an HTTP client that infer in a loop
// until the returned stop, which reports the requests served; any failure
// fails the test.
func serveGoodClients(t *testing.T, tn *testNode) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	served := 0
	body := `{"inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[1]},{"name":"b","shape":[1,1],"datatype":"FP32","data":[2]}]}`
	calls := []func() error{
		func() error {
			_, err := tn.infer.ModelInfer(ctx, addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1}))
			return err
		},
		func() error {
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		},
	}
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := call(); err != nil && ctx.Err() == nil {
					t.Errorf("good client: %v", err)
					return
				}
				mu.Lock()
				served++
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return func() int {
		cancel()
		wg.Wait()
		return served
	}
}

// TestConnectionCap: with MaxConnections open, a further connection is not
// served until one of them closes.
func TestConnectionCap(t *testing.T) {
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.MaxConnections = 2 })
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", tn.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	c, err := net.Dial("tcp", tn.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck // checked by the read
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))            //nolint:errcheck // a net.Conn from Dial
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
		t.Fatalf("a connection over the cap was served: %s", resp.Status)
	}
	held[0].Close()                                     // frees a place: the waiting connection is served
	c.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // a net.Conn from Dial
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after a held connection closed: %v, %v", resp, err)
	}
}

// TestGRPCStreamCap: one gRPC connection runs at most
// GRPCMaxConcurrentStreams calls at once; a further call waits for one to
// end instead of running.
func TestGRPCStreamCap(t *testing.T) {
	gl := &gatedLoader{Loader: realLoader(t), entered: make(chan struct{}, 3), gate: make(chan struct{})}
	tn := startNode(t, func(c *Config, d *Deps) { d.Loader = gl; c.Server.GRPCMaxConcurrentStreams = 2 })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	req := addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})
	errs := make(chan error, 3)
	for range 3 {
		go func() { _, err := tn.infer.ModelInfer(testCtx(t), req); errs <- err }()
	}
	<-gl.entered
	<-gl.entered
	select {
	case <-gl.entered:
		t.Error("a third call ran on a connection capped at two streams")
	case <-time.After(500 * time.Millisecond):
	}
	close(gl.gate)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestInFlightCap: with MaxInFlightRequests held by running requests, more
// inference is refused with RESOURCE_EXHAUSTED / 429 and counted, health
// probes still answer, and once the requests finish the node serves again.
func TestInFlightCap(t *testing.T) {
	gl := &gatedLoader{Loader: realLoader(t), entered: make(chan struct{}, 2), gate: make(chan struct{})}
	tn := startNode(t, func(c *Config, d *Deps) { d.Loader = gl; c.Server.MaxInFlightRequests = 2 })
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	req := addRequest("adder", []float32{1}, []float32{2}, []int64{1, 1})
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := tn.infer.ModelInfer(testCtx(t), req); errs <- err }()
	}
	<-gl.entered
	<-gl.entered
	_, err := tn.infer.ModelInfer(testCtx(t), req)
	wantCode(t, err, codes.ResourceExhausted)
	body := `{"inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[1]},{"name":"b","shape":[1,1],"datatype":"FP32","data":[2]}]}`
	if code, msg := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/adder/infer", "", body); code != http.StatusTooManyRequests {
		t.Errorf("HTTP infer over the cap: %d %s, want 429", code, msg)
	}
	if code, _ := httpDo(t, http.DefaultClient, "GET", "http://"+tn.HTTPAddr()+"/v2/health/live", "", ""); code != http.StatusOK {
		t.Errorf("HTTP liveness over the cap: %d", code)
	}
	if _, err := tn.infer.ServerReady(testCtx(t), &pb.ServerReadyRequest{}); err != nil {
		t.Errorf("gRPC readiness over the cap: %v", err)
	}
	if got := promtest.ToFloat64(tn.metrics.refused); got != 2 {
		t.Errorf("refused requests counted %v, want 2", got)
	}
	close(gl.gate)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tn.infer.ModelInfer(testCtx(t), req); err != nil {
		t.Fatalf("after the running requests finished: %v", err)
	}
}

// TestClientDropMidBody: a client that closes its connection in the middle
// of a request body, JSON or binary, is counted as client_closed, not as an
// internal error or the client's malformed input.
func TestClientDropMidBody(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	head := `{"inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}},` +
		`{"name":"b","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}`
	for i, part := range []string{
		"Content-Length: 1000\r\n\r\n{\"inputs\":",
		fmt.Sprintf("Inference-Header-Content-Length: %d\r\nContent-Length: %d\r\n\r\n%s\x00\x00", len(head), len(head)+24, head),
	} {
		c, err := net.Dial("tcp", tn.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /v2/models/adder/infer HTTP/1.1\r\nHost: x\r\n"+part) //nolint:errcheck // checked by the count
		c.Close()
		closed := tn.metrics.failures.WithLabelValues(unresolvedModel, "client_closed")
		testutil.Eventually(t, "the dropped request counted", func() bool { return promtest.ToFloat64(closed) == float64(i+1) })
	}
	for _, reason := range []string{"internal", "invalid_input"} {
		if got := promtest.ToFloat64(tn.metrics.failures.WithLabelValues(unresolvedModel, reason)); got != 0 {
			t.Errorf("%v failures counted as %s", got, reason)
		}
	}
}

// TestLimitsValidate: the bounds and the client CA are checked at start.
func TestLimitsValidate(t *testing.T) {
	tests := map[string]func(*Config){
		"client CA without TLS":          func(c *Config) { c.Server.TLSClientCAFile = "ca.pem" },
		"no connections":                 func(c *Config) { c.Server.MaxConnections = 0 },
		"no requests in flight":          func(c *Config) { c.Server.MaxInFlightRequests = 0 },
		"no streams":                     func(c *Config) { c.Server.GRPCMaxConcurrentStreams = 0 },
		"streams over uint32":            func(c *Config) { c.Server.GRPCMaxConcurrentStreams = 1 << 33 },
		"no read timeout":                func(c *Config) { c.Server.HTTPReadTimeout = 0 },
		"no idle timeout":                func(c *Config) { c.Server.HTTPIdleTimeout = 0 },
		"write timeout under load time":  func(c *Config) { c.Server.HTTPWriteTimeout = c.Cache.LoadTimeout },
		"write timeout under request":    func(c *Config) { c.Server.RequestTimeout = c.Server.HTTPWriteTimeout + time.Second },
		"no grpc idle bound":             func(c *Config) { c.Server.GRPCMaxConnectionIdle = 0 },
		"no grpc handshake bound":        func(c *Config) { c.Server.GRPCHandshakeTimeout = 0 },
		"no keepalive answer bound":      func(c *Config) { c.Server.GRPCKeepaliveTimeout = 0 },
		"no keepalive enforcement floor": func(c *Config) { c.Server.GRPCKeepaliveMinTime = 0 },
		"window under 64 KiB":            func(c *Config) { c.Server.GRPCWindowBytes = 1000 },
		"window over 256 MiB":            func(c *Config) { c.Server.GRPCWindowBytes = 1 << 30 },
		"negative window":                func(c *Config) { c.Server.GRPCWindowBytes = -1 },
	}
	base := DefaultConfig(t.TempDir())
	base.Server.AdminToken = testToken
	if err := base.validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, mod := range tests {
		cfg := base
		mod(&cfg)
		if err := cfg.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, w := range []int{0, 64 << 10, 256 << 20} {
		cfg := base
		cfg.Server.GRPCWindowBytes = w
		if err := cfg.validate(); err != nil {
			t.Errorf("window %d: %v", w, err)
		}
	}
}

// TestClientCAFileErrors: a missing client CA file, or one without a PEM
// certificate, stops the node at start with an error naming it.
func TestClientCAFileErrors(t *testing.T) {
	certFile, keyFile, _ := testCertificate(t)
	empty := writeFile(t, t.TempDir(), "empty.pem", []byte("not a certificate"))
	for _, file := range []string{empty, certFile + ".missing"} {
		cfg := ServerConfig{TLSCertFile: certFile, TLSKeyFile: keyFile, TLSClientCAFile: file}
		if _, err := cfg.serverTLS(); err == nil || !strings.Contains(err.Error(), "client CA") {
			t.Errorf("client CA %s: err = %v", file, err)
		}
	}
}
