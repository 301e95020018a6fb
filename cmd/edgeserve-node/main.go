// Command edgeserve-node is the EdgeServe daemon: it keeps a memory-budgeted
// set of ONNX models loaded and serves the Open Inference Protocol (KServe
// v2 / Triton) over gRPC and HTTP, the admin API and Prometheus metrics.
// SIGTERM or SIGINT drains it: listeners close, in-flight requests finish,
// models are unloaded, and it exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/edgeserve/edgeserve/node"
	"go.uber.org/zap"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "edgeserve-node:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, devLog, err := parseFlags(args)
	if err != nil {
		return err
	}
	log, err := newLogger(devLog)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr may not sync
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	n, err := node.New(cfg, node.Deps{Logger: log})
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

func newLogger(dev bool) (*zap.Logger, error) {
	if dev {
		return zap.NewDevelopment()
	}
	return zap.NewProduction()
}

// parseFlags reads the configuration from flags, defaulting to
// node.DefaultConfig; EDGESERVE_ADMIN_TOKEN supplies the token when the
// flag is absent so that it need not appear in the process list.
func parseFlags(args []string) (node.Config, bool, error) {
	fs := flag.NewFlagSet("edgeserve-node", flag.ContinueOnError)
	cfg := node.DefaultConfig("")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "data directory (model store, uploads); required")
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", cfg.GRPCAddr, "gRPC listen address")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "HTTP listen address")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "Prometheus metrics listen address (empty: off)")
	fs.Int64Var(&cfg.MemoryBudgetBytes, "memory-budget-bytes", cfg.MemoryBudgetBytes, "memory budget of loaded models, bytes")
	fs.StringVar(&cfg.ORTLibrary, "ort-lib", cfg.ORTLibrary, "ONNX Runtime shared library (default $EDGESERVE_ORT_LIB, else the one make setup installed)")
	fs.IntVar(&cfg.IntraOpThreads, "threads", cfg.IntraOpThreads, "threads per inference (0: all cores)")
	fs.StringVar(&cfg.Policy, "policy", cfg.Policy, "cache eviction policy")
	fs.StringVar(&cfg.AdminToken, "admin-token", "", "bearer token for admin calls (default $EDGESERVE_ADMIN_TOKEN)")
	fs.BoolVar(&cfg.InsecureAdmin, "insecure-admin", false, "allow admin calls without a token on non-loopback addresses (trusted networks only)")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key", "", "TLS key file (PEM)")
	fs.Int64Var(&cfg.StoreQuotaBytes, "store-quota-bytes", cfg.StoreQuotaBytes, "bound on stored models and uploads in progress, bytes (0: free space only)")
	fs.Int64Var(&cfg.MaxModelBytes, "max-model-bytes", cfg.MaxModelBytes, "largest model a push may store, bytes (0: the store's default)")
	fs.IntVar(&cfg.MaxRequestBytes, "max-request-bytes", cfg.MaxRequestBytes, "largest inference request or push chunk, bytes")
	fs.IntVar(&cfg.LoadConcurrency, "load-concurrency", cfg.LoadConcurrency, "concurrent model loads")
	fs.DurationVar(&cfg.LoadTimeout, "load-timeout", cfg.LoadTimeout, "bound on one model load")
	fs.DurationVar(&cfg.GCInterval, "gc-interval", cfg.GCInterval, "how often unreferenced model files are removed from the store")
	fs.DurationVar(&cfg.GCGrace, "gc-grace", cfg.GCGrace, "how long an unreferenced model file no delete released is kept after it was written")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "bound on the drain at shutdown")
	dev := fs.Bool("dev-log", false, "human-readable development logs")
	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	if cfg.DataDir == "" {
		return cfg, false, fmt.Errorf("-data-dir is required")
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = os.Getenv("EDGESERVE_ADMIN_TOKEN")
	}
	cfg.Version = version
	return cfg, *dev, nil
}
