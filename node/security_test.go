package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestAdminTokenRequired: admin RPCs and repository load/unload need the
// bearer token; inference and reads do not.
func TestAdminTokenRequired(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "adder", zooModel(t, "add_fp32"))
	wrong := metadata.AppendToOutgoingContext(testCtx(t), "authorization", "Bearer nope")
	noBearer := metadata.AppendToOutgoingContext(testCtx(t), "authorization", testToken)
	for name, cx := range map[string]context.Context{"none": testCtx(t), "wrong": wrong, "no Bearer prefix": noBearer} {
		t.Run(name, func(t *testing.T) {
			_, err := tn.admin.ListModels(cx, &adminpb.ListModelsRequest{})
			wantCode(t, err, codes.Unauthenticated)
			_, err = tn.admin.LoadModel(cx, &adminpb.LoadModelRequest{Name: "adder"})
			wantCode(t, err, codes.Unauthenticated)
			_, err = tn.admin.DeleteModel(cx, &adminpb.DeleteModelRequest{Name: "adder"})
			wantCode(t, err, codes.Unauthenticated)
			_, err = pushBytes(cx, tn.admin, "x", []byte("data"), 0, 4)
			wantCode(t, err, codes.Unauthenticated)
			_, err = tn.infer.RepositoryModelLoad(cx, &pb.RepositoryModelLoadRequest{ModelName: "adder"})
			wantCode(t, err, codes.Unauthenticated)
			_, err = tn.infer.RepositoryModelUnload(cx, &pb.RepositoryModelUnloadRequest{ModelName: "adder"})
			wantCode(t, err, codes.Unauthenticated)
			if _, err := tn.infer.ModelInfer(cx, addRequest("adder", []float32{1}, []float32{1}, []int64{1, 1})); err != nil {
				t.Fatalf("inference needs no token: %v", err)
			}
			if _, err := tn.infer.RepositoryIndex(cx, &pb.RepositoryIndexRequest{}); err != nil {
				t.Fatalf("index needs no token: %v", err)
			}
		})
	}
	list, err := tn.admin.ListModels(adminCtx(t), &adminpb.ListModelsRequest{})
	if err != nil || len(list.GetModels()) != 1 {
		t.Fatalf("the model survived the refused calls: %v, %v", list, err)
	}
}

// TestNoTokenConfigured: without a configured token admin calls are open,
// which a node on loopback allows.
func TestNoTokenConfigured(t *testing.T) {
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.AdminToken = "" })
	if _, err := tn.admin.ListModels(testCtx(t), &adminpb.ListModelsRequest{}); err != nil {
		t.Fatal(err)
	}
}

// TestAdminTokenNeededOffLoopback: a node reachable from other machines
// needs an admin token unless InsecureAdmin says otherwise.
func TestAdminTokenNeededOffLoopback(t *testing.T) {
	tests := []struct {
		grpc, http    string
		token         string
		insecureAdmin bool
		ok            bool
	}{
		{"127.0.0.1:8001", "127.0.0.1:8000", "", false, true},
		{"127.0.0.2:8001", "[::1]:8000", "", false, true},
		{"localhost:8001", "LOCALHOST:8000", "", false, true},
		{":8001", "127.0.0.1:8000", "", false, false},
		{"127.0.0.1:8001", "0.0.0.0:8000", "", false, false},
		{"10.0.0.5:8001", "10.0.0.5:8000", "", false, false},
		{"[::]:8001", "[::1]:8000", "", false, false},
		{"node.example:8001", "127.0.0.1:8000", "", false, false},
		{":8001", ":8000", "", true, true},
		{":8001", ":8000", "tok", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.grpc+","+tc.http, func(t *testing.T) {
			cfg := DefaultConfig(t.TempDir())
			cfg.Server.GRPCAddr, cfg.Server.HTTPAddr = tc.grpc, tc.http
			cfg.Server.AdminToken, cfg.Server.InsecureAdmin = tc.token, tc.insecureAdmin
			if err := cfg.validate(); (err == nil) != tc.ok {
				t.Fatalf("validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestTLS serves gRPC and HTTP over TLS with a certificate made here; a
// plaintext client is refused.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := testCertificate(t)
	tn := startNode(t, func(c *Config, _ *Deps) { c.Server.TLSCertFile, c.Server.TLSKeyFile = certFile, keyFile })
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(tn.GRPCAddr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	push(t, adminpb.NewAdminServiceClient(conn), "adder", zooModel(t, "add_fp32"))
	resp, err := pb.NewGRPCInferenceServiceClient(conn).ModelInfer(testCtx(t), addRequest("adder", []float32{2}, []float32{3}, []int64{1, 1}))
	if err != nil || readF32(resp.GetRawOutputContents()[0])[0] != 5 {
		t.Fatalf("ModelInfer over TLS = %v, %v", resp, err)
	}

	plain, err := grpc.NewClient(tn.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_, err = pb.NewGRPCInferenceServiceClient(plain).ServerLive(testCtx(t), &pb.ServerLiveRequest{})
	wantCode(t, err, codes.Unavailable)

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	if status, body := httpDo(t, hc, "GET", "https://"+tn.HTTPAddr()+"/v2/models/adder", "", ""); status != 200 {
		t.Fatalf("HTTPS metadata = %d %s", status, body)
	}
	if status, body := httpDo(t, hc, "GET", "https://"+tn.MetricsAddr()+"/metrics", "", ""); status != 200 || !strings.Contains(body, "edgeserve_requests_total") {
		t.Fatalf("HTTPS metrics = %d %.200s", status, body)
	}
	if resp, err := http.Get("http://" + tn.MetricsAddr() + "/metrics"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "edgeserve_") {
			t.Fatalf("plaintext metrics served with TLS on: %d %.200s", resp.StatusCode, body)
		}
	}
}

// testCertificate is testutil.Certificate with a pool that trusts it.
func testCertificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certFile, keyFile = testutil.Certificate(t)
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

// TestBearerSchemeCaseInsensitive: the "Bearer" scheme matches in any case
// (RFC 9110 11.1) on gRPC metadata and HTTP headers; the token does not.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	tn := startNode(t, nil)
	for _, scheme := range []string{"bearer", "BEARER", "bEaReR"} {
		cx := metadata.AppendToOutgoingContext(testCtx(t), "authorization", scheme+" "+testToken)
		if _, err := tn.admin.ListModels(cx, &adminpb.ListModelsRequest{}); err != nil {
			t.Errorf("gRPC with scheme %q: %v", scheme, err)
		}
		if got := httpAuthStatus(t, "http://"+tn.HTTPAddr()+"/v2/repository/models/none/unload", scheme+" "+testToken); got != http.StatusNotFound {
			t.Errorf("HTTP with scheme %q: status %d, want 404 (authorized, no such model)", scheme, got)
		}
	}
	for _, bad := range []string{"Bearer " + strings.ToUpper(testToken), "Bearer", "Bearer ", "Basic " + testToken, "Bearer" + testToken} {
		cx := metadata.AppendToOutgoingContext(testCtx(t), "authorization", bad)
		_, err := tn.admin.ListModels(cx, &adminpb.ListModelsRequest{})
		wantCode(t, err, codes.Unauthenticated)
		if got := httpAuthStatus(t, "http://"+tn.HTTPAddr()+"/v2/repository/models/none/unload", bad); got != http.StatusUnauthorized {
			t.Errorf("HTTP with %q: status %d, want 401", bad, got)
		}
	}
}

// httpAuthStatus posts to url with the Authorization header set to auth.
func httpAuthStatus(t *testing.T, url, auth string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), "POST", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestInsecureAdminWarning: an open admin API reachable from other
// machines is logged as a warning at start; a token or loopback-only
// listeners need none.
func TestInsecureAdminWarning(t *testing.T) {
	tests := []struct {
		grpc, http, token string
		insecure, warn    bool
	}{
		{":8001", ":8000", "", true, true},
		{"127.0.0.1:8001", "0.0.0.0:8000", "", true, true},
		{":8001", ":8000", "tok", true, false},
		{"127.0.0.1:8001", "[::1]:8000", "", true, false},
		{"127.0.0.1:8001", "127.0.0.1:8000", "", false, false},
	}
	for _, tc := range tests {
		core, logs := observer.New(zapcore.WarnLevel)
		cfg := DefaultConfig(t.TempDir())
		cfg.Server.GRPCAddr, cfg.Server.HTTPAddr, cfg.Server.AdminToken, cfg.Server.InsecureAdmin = tc.grpc, tc.http, tc.token, tc.insecure
		warnInsecureAdmin(zap.New(core), cfg.Server)
		if got := logs.FilterMessageSnippet("admin API open").Len(); got != btoi(tc.warn) {
			t.Errorf("%+v: %d warnings, want %d", tc, got, btoi(tc.warn))
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestMetricsLoopbackByDefault: the metrics port is not exposed beyond the
// machine unless asked.
func TestMetricsLoopbackByDefault(t *testing.T) {
	if addr := DefaultConfig(t.TempDir()).Server.MetricsAddr; !IsLoopback(addr) {
		t.Fatalf("default metrics address %q is not loopback", addr)
	}
}

// TestRejectedNameClipped: a 100 KB model name or version is refused with
// an error that quotes it once, clipped, on gRPC and HTTP.
func TestRejectedNameClipped(t *testing.T) {
	tn := startNode(t, nil)
	long := strings.Repeat("n", 100<<10)
	check := func(what, msg string) {
		t.Helper()
		if len(msg) > 1024 || !strings.Contains(msg, fmt.Sprintf("(%d bytes)", len(long))) {
			t.Errorf("%s: %d-byte error, want it under 1 KiB with the length marker: %.300s", what, len(msg), msg)
		}
	}
	_, err := tn.infer.ModelInfer(testCtx(t), addRequest(long, []float32{1}, []float32{1}, []int64{1, 1}))
	wantCode(t, err, codes.InvalidArgument)
	check("gRPC infer", status.Convert(err).Message())
	bad := addRequest("adder", []float32{1}, []float32{1}, []int64{1, 1})
	bad.ModelVersion = long
	_, err = tn.infer.ModelInfer(testCtx(t), bad)
	wantCode(t, err, codes.InvalidArgument)
	check("gRPC infer version", status.Convert(err).Message())
	_, err = tn.infer.ModelMetadata(testCtx(t), &pb.ModelMetadataRequest{Name: long})
	wantCode(t, err, codes.InvalidArgument)
	check("gRPC metadata", status.Convert(err).Message())
	_, err = tn.admin.DeleteModel(adminCtx(t), &adminpb.DeleteModelRequest{Name: long})
	check("gRPC delete", status.Convert(err).Message())
	invalid := "-" + strings.Repeat("x", 100) // invalid, but short enough to quote whole
	_, err = tn.infer.ModelInfer(testCtx(t), addRequest(invalid, []float32{1}, []float32{1}, []int64{1, 1}))
	wantCode(t, err, codes.InvalidArgument)
	if n := strings.Count(status.Convert(err).Message(), invalid); n != 1 {
		t.Errorf("invalid name quoted %d times: %s", n, status.Convert(err).Message())
	}
	_, err = tn.infer.ModelInfer(testCtx(t), addRequest("no-such-model", []float32{1}, []float32{1}, []int64{1, 1}))
	wantCode(t, err, codes.NotFound)
	if n := strings.Count(status.Convert(err).Message(), "no-such-model"); n != 1 {
		t.Errorf("unknown name quoted %d times: %s", n, status.Convert(err).Message())
	}

	body := `{"inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[1]},{"name":"b","shape":[1,1],"datatype":"FP32","data":[1]}]}`
	code, msg := httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/models/"+long+"/infer", "", body)
	if code != http.StatusBadRequest {
		t.Errorf("HTTP infer: status %d", code)
	}
	check("HTTP infer", msg)
	_, msg = httpDo(t, http.DefaultClient, "GET", "http://"+tn.HTTPAddr()+"/v2/models/"+long, "", "")
	check("HTTP metadata", msg)
	_, msg = httpDo(t, http.DefaultClient, "POST", "http://"+tn.HTTPAddr()+"/v2/repository/models/"+long+"/unload", testToken, "")
	check("HTTP unload", msg)
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// issue signs a leaf certificate for 127.0.0.1 usable as usage (server or
// client auth) and returns it with its key in PEM.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// clientCert issues a client certificate as a tls.Certificate.
func (ca *testCA) clientCert(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(ca.issue(t, "client", x509.ExtKeyUsageClientAuth))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMutualTLS: with a client CA configured, gRPC, HTTP and metrics
// refuse a client without a certificate and one whose certificate another
// CA signed, and serve a client whose certificate the CA signed.
func TestMutualTLS(t *testing.T) {
	serverCA, clientCA, otherCA := newTestCA(t, "server-ca"), newTestCA(t, "client-ca"), newTestCA(t, "other-ca")
	dir := t.TempDir()
	certPEM, keyPEM := serverCA.issue(t, "node", x509.ExtKeyUsageServerAuth)
	tn := startNode(t, func(c *Config, _ *Deps) {
		c.Server.TLSCertFile, c.Server.TLSKeyFile = writeFile(t, dir, "cert.pem", certPEM), writeFile(t, dir, "key.pem", keyPEM)
		c.Server.TLSClientCAFile = writeFile(t, dir, "client-ca.pem", clientCA.pem)
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverCA.pem)
	clients := map[string][]tls.Certificate{
		"no certificate":   nil,
		"other CA":         {otherCA.clientCert(t)},
		"server's own CA":  {serverCA.clientCert(t)},
		"right CA (valid)": {clientCA.clientCert(t)},
	}
	for name, certs := range clients {
		t.Run(name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12}
			want := name == "right CA (valid)"
			if got := grpcServes(t, tn.GRPCAddr(), cfg); got != want {
				t.Errorf("gRPC served = %v, want %v", got, want)
			}
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
			defer hc.CloseIdleConnections()
			for _, url := range []string{"https://" + tn.HTTPAddr() + "/v2/health/live", "https://" + tn.MetricsAddr() + "/metrics"} {
				if got := httpsServes(t, hc, url); got != want {
					t.Errorf("%s served = %v, want %v", url, got, want)
				}
			}
		})
	}
}

// grpcServes reports whether a ServerLive call over TLS with cfg succeeds.
func grpcServes(t *testing.T, addr string, cfg *tls.Config) bool {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = pb.NewGRPCInferenceServiceClient(conn).ServerLive(testCtx(t), &pb.ServerLiveRequest{})
	if err != nil && status.Code(err) != codes.Unavailable {
		t.Errorf("refused gRPC call: %v, want UNAVAILABLE", err)
	}
	return err == nil
}

// httpsServes reports whether a GET of url answers 200.
func httpsServes(t *testing.T, c *http.Client, url string) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestHealthAddrAnswersProbesWithoutClientCertificates: under mutual TLS
// the plain health address answers the liveness and readiness probes and
// nothing else, while the API still demands a client certificate.
func TestHealthAddrAnswersProbesWithoutClientCertificates(t *testing.T) {
	certFile, keyFile, pool := testCertificate(t)
	tn := startNode(t, func(c *Config, _ *Deps) {
		c.Server.TLSCertFile, c.Server.TLSKeyFile, c.Server.TLSClientCAFile = certFile, keyFile, certFile
		c.Server.HealthAddr = "127.0.0.1:0"
	})
	for _, path := range []string{"/v2/health/live", "/v2/health/ready"} {
		if status, body := httpDo(t, http.DefaultClient, "GET", "http://"+tn.HealthAddr()+path, "", ""); status != 200 {
			t.Fatalf("plain %s = %d %s", path, status, body)
		}
	}
	for _, path := range []string{"/v2/models/adder", "/v2", "/metrics", "/v2/cluster"} {
		if status, _ := httpDo(t, http.DefaultClient, "GET", "http://"+tn.HealthAddr()+path, "", ""); status != http.StatusNotFound {
			t.Fatalf("the health address served %s: %d", path, status)
		}
	}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	if _, err := noCert.Get("https://" + tn.HTTPAddr() + "/v2/health/ready"); err == nil {
		t.Fatal("the API answered a client without a certificate")
	}
}

// TestPeerCAVerifiesPeersWithoutMutualTLS: nodes serving TLS without
// client certificates reach each other when --peer-ca names the CA of
// their certificates: a request is forwarded to the peer that has the
// model loaded. Without it the peer's certificate is unknown, the forward
// fails, and the request is served here (fallback, or hedge when the
// failing forward outlasts the hedge delay).
func TestPeerCAVerifiesPeersWithoutMutualTLS(t *testing.T) {
	certFile, keyFile, pool := testCertificate(t)
	for _, tc := range []struct {
		name, peerCA string
		routes       []string
		servedBy     string
		ip           [2]string
	}{
		{"with --peer-ca", certFile, []string{"forward-hit"}, "a", [2]string{"127.0.3.71", "127.0.3.72"}},
		{"without", "", []string{routeFallback, routeHedge}, "b", [2]string{"127.0.3.73", "127.0.3.74"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tlsNode := func(c *Config, _ *Deps) {
				c.Server.TLSCertFile, c.Server.TLSKeyFile, c.Cluster.PeerCAFile = certFile, keyFile, tc.peerCA
			}
			a := clusterNodeWith(t, "a", tc.ip[0], tlsNode)
			b := clusterNodeWith(t, "b", tc.ip[1], tlsNode, a.cluster.g.Addr())
			creds := credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
			dial := func(n *testNode) *grpc.ClientConn {
				conn, err := grpc.NewClient(n.GRPCAddr(), grpc.WithTransportCredentials(creds))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
				return conn
			}
			ca, cb := dial(a), dial(b)
			path := zooModel(t, "tiny_mlp")
			push(t, adminpb.NewAdminServiceClient(ca), "mlp", path)
			push(t, adminpb.NewAdminServiceClient(cb), "mlp", path) // b can fall back
			if _, err := adminpb.NewAdminServiceClient(ca).LoadModel(adminCtx(t), &adminpb.LoadModelRequest{Name: "mlp"}); err != nil {
				t.Fatal(err)
			}
			loadedAt(t, b, "a", "mlp:1")
			resp, err := pb.NewGRPCInferenceServiceClient(cb).ModelInfer(testCtx(t), mlpRequest())
			if err != nil {
				t.Fatal(err)
			}
			if got := param(resp, "edgeserve_route"); !slices.Contains(tc.routes, got) || param(resp, "edgeserve_served_by") != tc.servedBy {
				t.Fatalf("route %s by %s, want one of %v by %s", got, param(resp, "edgeserve_served_by"), tc.routes, tc.servedBy)
			}
		})
	}
}
