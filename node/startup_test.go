package node

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
)

// TestStartupFailuresAreErrors: every failure of New after the settings
// are checked is returned as one error naming what is wrong (no panic in
// the cleanup of a half-built node), and what New opened is freed: the
// listen addresses it bound are free again.
func TestStartupFailuresAreErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name, want string
		mod        func(*Config)
	}{
		{"missing ORT library", "onnx runtime", func(c *Config) { c.Runtime.ORTLibrary = filepath.Join(dir, "no-such-lib.so") }},
		{"data dir is a file", "store", func(c *Config) { c.DataDir = file }},
		{"HTTP address taken", "listen", func(c *Config) { c.Server.HTTPAddr = busy.Addr().String() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig(t.TempDir())
			cfg.Runtime.ORTLibrary = testutil.ORTLibrary(t)
			grpcAddr := testutil.FreeAddr(t)
			cfg.Server.GRPCAddr, cfg.Server.HTTPAddr, cfg.Server.MetricsAddr = grpcAddr, "127.0.0.1:0", ""
			tc.mod(&cfg)
			n, err := New(cfg, Deps{})
			if err == nil {
				t.Fatalf("New succeeded: %v", n.GRPCAddr())
			}
			if n != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want nil and an error naming %q", n, err, tc.want)
			}
			l, lerr := net.Listen("tcp", grpcAddr)
			if lerr != nil {
				t.Fatalf("gRPC address still held after a failed New: %v", lerr)
			}
			l.Close()
		})
	}
}
