package client_test

import (
	"crypto/tls"
	"errors"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/client"
)

// TestDialTokenRules: the admin token goes in plaintext only to loopback,
// unless TLS is on or Insecure says the network is trusted. Dial contacts
// no node, so the non-loopback test address is never dialled.
func TestDialTokenRules(t *testing.T) {
	const remote = "192.0.2.1:8001" // TEST-NET-1: never a real node
	cases := []struct {
		name    string
		mod     func(*client.Config)
		refused bool
	}{
		{"token to loopback", func(c *client.Config) { c.Addrs = []string{"127.0.0.1:1", "localhost:2", "[::1]:3"} }, false},
		{"token to a remote node", func(c *client.Config) { c.Addrs = []string{remote} }, true},
		{"one remote among loopback", func(c *client.Config) { c.Addrs = []string{"127.0.0.1:1", remote} }, true},
		{"all interfaces", func(c *client.Config) { c.Addrs = []string{":8001"} }, true},
		{"insecure", func(c *client.Config) { c.Addrs, c.Insecure = []string{remote}, true }, false},
		{"tls", func(c *client.Config) { c.Addrs, c.TLS = []string{remote}, &tls.Config{MinVersion: tls.VersionTLS12} }, false},
		{"no token", func(c *client.Config) { c.Addrs, c.AdminToken = []string{remote}, "" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := client.DefaultConfig()
			cfg.AdminToken = "tok"
			tc.mod(&cfg)
			c, err := client.Dial(cfg)
			if tc.refused != errors.Is(err, client.ErrPlaintextToken) {
				t.Fatalf("Dial = %v, refused want %v", err, tc.refused)
			}
			if err == nil {
				c.Close()
			}
		})
	}
}

func TestDialRejectsBadConfig(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*client.Config){
		"no address":       func(c *client.Config) { c.Addrs = nil },
		"empty address":    func(c *client.Config) { c.Addrs = []string{"127.0.0.1:1", " "} },
		"zero chunk":       func(c *client.Config) { c.PushChunkBytes = 0 },
		"missing CA":       func(c *client.Config) { c.CAFile = filepath.Join(t.TempDir(), "none.pem") },
		"CA without PEM":   func(c *client.Config) { c.CAFile = notPEM },
		"cert without key": func(c *client.Config) { c.CAFile, c.CertFile = notPEM, notPEM },
		"cert without CA":  func(c *client.Config) { c.CertFile, c.KeyFile = notPEM, notPEM },
		"unreadable cert": func(c *client.Config) {
			c.CAFile, _ = testutil.Certificate(t)
			c.CertFile, c.KeyFile = notPEM, notPEM
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := client.DefaultConfig()
			mod(&cfg)
			if c, err := client.Dial(cfg); err == nil {
				c.Close()
				t.Fatal("Dial accepted it")
			}
		})
	}
}
