package client_test

import (
	"github.com/edgeserve/edgeserve/internal/testutil"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/internal/testnode"
)

// TestTLS: with the node's CA a client reaches a TLS node and its admin
// token is accepted; without TLS, or trusting another CA, it cannot reach
// it (Unavailable).
func TestTLS(t *testing.T) {
	certFile, keyFile := testutil.Certificate(t)
	addr := testnode.StartTLS(t, "tok", certFile, keyFile)
	otherCA, _ := testutil.Certificate(t)
	ctx := testCtx(t)
	list := func(caFile string) error {
		cfg := client.DefaultConfig()
		cfg.Addrs, cfg.AdminToken, cfg.CAFile = []string{addr}, "tok", caFile
		c, err := client.Dial(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.List(ctx)
		return err
	}
	if err := list(certFile); err != nil {
		t.Fatalf("List over TLS: %v", err)
	}
	for name, ca := range map[string]string{"plaintext": "", "another CA": otherCA} {
		if err := list(ca); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: List = %v, want Unavailable", name, err)
		}
	}
}

// TestMutualTLS: a node that requires client certificates serves a client
// that presents one its CA signed, and no client without one.
func TestMutualTLS(t *testing.T) {
	certFile, keyFile := testutil.Certificate(t)
	clientCert, clientKey := testutil.Certificate(t)
	addr := testnode.StartMutualTLS(t, "tok", certFile, keyFile, clientCert)
	otherCert, otherKey := testutil.Certificate(t)
	ctx := testCtx(t)
	list := func(cert, key string) error {
		cfg := client.DefaultConfig()
		cfg.Addrs, cfg.AdminToken, cfg.CAFile, cfg.CertFile, cfg.KeyFile = []string{addr}, "tok", certFile, cert, key
		c, err := client.Dial(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.List(ctx)
		return err
	}
	if err := list(clientCert, clientKey); err != nil {
		t.Fatalf("List with the client certificate: %v", err)
	}
	for name, pair := range map[string][2]string{"no certificate": {"", ""}, "certificate of another CA": {otherCert, otherKey}} {
		if err := list(pair[0], pair[1]); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: List = %v, want Unavailable", name, err)
		}
	}
}
