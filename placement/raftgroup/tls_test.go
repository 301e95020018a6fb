package raftgroup

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/edgeserve/edgeserve/placement/raftgroup/rpcpb"
)

// tlsConfigs are mutual-TLS configurations from one self-signed
// certificate (valid for localhost; the nodes dial 127.0.x.y, so the
// client names the server localhost).
func tlsConfigs(t *testing.T) (server, client *tls.Config) {
	certFile, keyFile := testutil.Certificate(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	return server, client
}

// A region whose Raft port speaks mutual TLS forms and commits hints; a
// plain-TCP caller gets nothing from it.
func TestTLSRegion(t *testing.T) {
	server, client := tlsConfigs(t)
	r := newRegion(t, "eu", 3, 3)
	r.deps = func(d *Deps) { d.ServerTLS, d.ClientTLS = server, client }
	r.src.setInput(demand("m", 3, r.names()...))
	r.startAll()
	r.leader()
	r.waitHints("hints over TLS", func(s *hints.Set) bool { _, ok := s.Hint("m"); return ok })

	c, err := net.DialTimeout("tcp", r.nodes[0].addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	w := bufio.NewWriter(c)
	w.WriteByte(groupMarker)
	writeFrame(w, &rpcpb.Request{Body: &rpcpb.Request_Handover{Handover: &rpcpb.Handover{Node: "eu-1"}}})
	w.Flush()
	if resp, err := decodeResponse(bufio.NewReader(c)); err == nil {
		t.Fatalf("a plain-TCP request was answered: %v", resp)
	}
}

func TestTLSNeedsBothSides(t *testing.T) {
	server, _ := tlsConfigs(t)
	cfg := testConfig("n", "eu", t.TempDir(), "127.0.0.1:0", 0)
	src := SourceFunc(func() hints.Input { return hints.Input{} })
	if _, err := New(cfg, Deps{Discovery: DiscoveryFunc(func() []Member { return nil }), Source: src, ServerTLS: server}); err == nil {
		t.Fatal("started with a server TLS configuration and no client one")
	}
}
