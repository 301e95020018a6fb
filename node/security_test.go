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
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
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
}

// testCertificate writes a self-signed certificate for 127.0.0.1 and its
// key, and returns their paths and a pool that trusts it.
func testCertificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edgeserve-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}
