package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/edgeserve/edgeserve/internal/netaddr"
)

// Config says which nodes to call and how.
type Config struct {
	// Addrs are node gRPC addresses ("host:port"), tried in turn.
	Addrs []string
	// AdminToken is the bearer token sent on admin calls (push, list,
	// remove, load, unload) and on no other call. Empty sends none.
	AdminToken string
	// CAFile is a PEM file of CA certificates; set, calls use TLS and
	// trust only these roots.
	CAFile string
	// CertFile and KeyFile, when both set with CAFile, are the client's
	// certificate and key (PEM), presented to nodes that require mutual TLS.
	CertFile, KeyFile string
	// TLS, when not nil, is the TLS configuration to use (a client
	// certificate for mutual TLS, for example); it takes precedence over
	// CAFile.
	TLS *tls.Config
	// Insecure allows sending AdminToken without TLS to hosts that are not
	// on loopback, for a trusted network.
	Insecure bool
	// MaxRecvBytes bounds one response message, in bytes.
	MaxRecvBytes int
	// PushChunkBytes is the size of one push message, in bytes; keep it
	// well under the node's request limit.
	PushChunkBytes int
	// Dialer, when not nil, opens every connection to a node (addr is an
	// address of Addrs as its host resolved); nil dials TCP. Tests record
	// the connections a client makes with it.
	Dialer func(ctx context.Context, addr string) (net.Conn, error)
}

// DefaultConfig calls one node on the default gRPC port of this machine.
func DefaultConfig() Config {
	return Config{
		Addrs:          []string{"127.0.0.1:8001"},
		MaxRecvBytes:   1 << 30,
		PushChunkBytes: 1 << 20,
	}
}

// ErrPlaintextToken is returned by Dial for a configuration that would
// send the admin token without TLS beyond loopback.
var ErrPlaintextToken = errors.New("client: refusing to send the admin token in plaintext beyond loopback")

func (c *Config) validate() error {
	if len(c.Addrs) == 0 {
		return errors.New("client: no node address")
	}
	for i, a := range c.Addrs {
		if c.Addrs[i] = strings.TrimSpace(a); c.Addrs[i] == "" {
			return fmt.Errorf("client: empty node address in %q", strings.Join(c.Addrs, ","))
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") || (c.CertFile != "" && c.CAFile == "") {
		return errors.New("client: CertFile and KeyFile go together, and with CAFile")
	}
	if c.MaxRecvBytes <= 0 || c.PushChunkBytes <= 0 {
		return fmt.Errorf("client: MaxRecvBytes %d and PushChunkBytes %d must be positive", c.MaxRecvBytes, c.PushChunkBytes)
	}
	return c.tokenSafe()
}

// tokenSafe refuses to send a bearer token in plaintext beyond loopback,
// where anyone on the path could read it, unless Insecure says so.
func (c *Config) tokenSafe() error {
	if c.AdminToken == "" || c.usesTLS() || c.Insecure {
		return nil
	}
	for _, addr := range c.Addrs {
		if !netaddr.IsLoopback(addr) {
			return fmt.Errorf("%w: %s", ErrPlaintextToken, addr)
		}
	}
	return nil
}

func (c *Config) usesTLS() bool { return c.TLS != nil || c.CAFile != "" }

// credentials are the transport credentials the configuration asks for.
func (c *Config) credentials() (credentials.TransportCredentials, error) {
	switch {
	case c.TLS != nil:
		return credentials.NewTLS(c.TLS), nil
	case c.CAFile == "":
		return insecure.NewCredentials(), nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("client: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("client: CA file %s: no PEM certificates", c.CAFile)
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(tc), nil
}
