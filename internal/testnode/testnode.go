// Package testnode starts what tests of node clients (the client package,
// the CLI) call: a real node on loopback, and a recording server for what
// a real node cannot show, the metadata a client sends.
package testnode

import (
	"context"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/node"
)

// Start runs a real node (real store, real ONNX Runtime) on loopback ports
// with the given admin token ("" for none), stops it at the end of the
// test, and returns its gRPC address.
func Start(t testing.TB, token string) string {
	t.Helper()
	return start(t, func(c *node.Config) { c.Server.AdminToken = token }, nil)
}

// StartTLS is Start with gRPC and HTTP served over TLS with the given
// certificate and key files (see testutil.Certificate).
func StartTLS(t testing.TB, token, certFile, keyFile string) string {
	t.Helper()
	return start(t, func(c *node.Config) {
		c.Server.AdminToken, c.Server.TLSCertFile, c.Server.TLSKeyFile = token, certFile, keyFile
	}, nil)
}

// StartMutualTLS is StartTLS that also requires every client to present a
// certificate signed by clientCA.
func StartMutualTLS(t testing.TB, token, certFile, keyFile, clientCA string) string {
	t.Helper()
	return start(t, func(c *node.Config) {
		c.Server.AdminToken, c.Server.TLSCertFile, c.Server.TLSKeyFile = token, certFile, keyFile
		c.Server.TLSClientCAFile = clientCA
	}, nil)
}

// start runs a node with cfg adjusted by mod and its dependencies by
// modDeps (nil: none).
func start(t testing.TB, mod func(*node.Config), modDeps func(*node.Deps)) string {
	t.Helper()
	cfg := node.DefaultConfig(t.TempDir())
	cfg.Runtime.ORTLibrary = testutil.ORTLibrary(t)
	cfg.Server.GRPCAddr, cfg.Server.HTTPAddr, cfg.Server.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", ""
	mod(&cfg)
	var deps node.Deps
	if modDeps != nil {
		modDeps(&deps)
	}
	n, err := node.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node Run: %v", err)
		}
	})
	return n.GRPCAddr()
}
