package node

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// serverTLS is the TLS configuration of every listener: nil without a
// certificate; with TLSClientCAFile, clients must present a certificate
// signed by one of its CAs.
func (c ServerConfig) serverTLS() (*tls.Config, error) {
	if c.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("node: tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSClientCAFile == "" {
		return cfg, nil
	}
	if cfg.ClientCAs, err = loadCAs(c.TLSClientCAFile); err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}

// loadCAs reads a PEM file of CA certificates; one without any is an error.
func loadCAs(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("node: tls client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("node: tls client CA: %s holds no PEM certificate", file)
	}
	return pool, nil
}
