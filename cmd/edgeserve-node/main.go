// Command edgeserve-node is the EdgeServe daemon: it keeps a memory-budgeted
// set of ONNX models loaded and serves the Open Inference Protocol (KServe
// v2 / Triton) over gRPC and HTTP, the admin API and Prometheus metrics.
// SIGTERM or SIGINT drains it: listeners close, in-flight requests finish,
// models are unloaded, and it exits 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/edgeserve/edgeserve/node"
	"github.com/spf13/pflag"
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

// options are the daemon's settings that are not the node's.
type options struct {
	configFile string
	devLog     bool
}

// parseFlags reads the configuration: node.DefaultConfig, then the config
// file (--config), then EDGESERVE_ADMIN_TOKEN (so that the token need not
// appear in a file or the process list), then the flags, each overriding
// the one before. Flags take the CLI's double-dash form; the older
// single-dash form of a long flag (-data-dir) still works.
func parseFlags(args []string) (node.Config, bool, error) {
	args = doubleDash(args)
	var pre options
	scratch := node.DefaultConfig("")
	if err := newFlagSet(&scratch, &pre).Parse(args); err != nil {
		return scratch, false, err
	}
	cfg := node.DefaultConfig("")
	if pre.configFile != "" {
		var err error
		if cfg, err = node.LoadConfigFile(pre.configFile, cfg); err != nil {
			return cfg, false, err
		}
	}
	if tok := os.Getenv("EDGESERVE_ADMIN_TOKEN"); tok != "" {
		cfg.Server.AdminToken = tok
	}
	var opts options
	if err := newFlagSet(&cfg, &opts).Parse(args); err != nil {
		return cfg, false, err
	}
	if cfg.DataDir == "" {
		return cfg, false, errors.New("--data-dir (or data_dir in the config file) is required")
	}
	cfg.Version = version
	return cfg, opts.devLog, nil
}

// newFlagSet binds every flag to cfg's current values, so that a flag not
// given keeps what the defaults and the config file set.
func newFlagSet(cfg *node.Config, opts *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("edgeserve-node", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&opts.configFile, "config", "", "YAML config file (deploy/edgeserve-node.yaml documents every key); flags override it")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (model store, uploads); required")
	fs.StringVar(&cfg.Server.GRPCAddr, "grpc-addr", cfg.Server.GRPCAddr, "gRPC listen address")
	fs.StringVar(&cfg.Server.HTTPAddr, "http-addr", cfg.Server.HTTPAddr, "HTTP listen address")
	fs.StringVar(&cfg.Server.MetricsAddr, "metrics-addr", cfg.Server.MetricsAddr, "Prometheus metrics listen address (empty: off)")
	fs.StringVar(&cfg.Server.AdminToken, "admin-token", cfg.Server.AdminToken, "bearer token for admin calls (default $EDGESERVE_ADMIN_TOKEN)")
	fs.BoolVar(&cfg.Server.InsecureAdmin, "insecure-admin", cfg.Server.InsecureAdmin, "allow admin calls without a token on non-loopback addresses (trusted networks only)")
	fs.StringVar(&cfg.Server.TLSCertFile, "tls-cert", cfg.Server.TLSCertFile, "TLS certificate file (PEM)")
	fs.StringVar(&cfg.Server.TLSKeyFile, "tls-key", cfg.Server.TLSKeyFile, "TLS key file (PEM)")
	fs.IntVar(&cfg.Server.MaxRequestBytes, "max-request-bytes", cfg.Server.MaxRequestBytes, "largest inference request or push chunk, bytes")
	fs.DurationVar(&cfg.Server.RequestTimeout, "request-timeout", cfg.Server.RequestTimeout, "bound on an HTTP request without a deadline of its own")
	fs.DurationVar(&cfg.Server.DrainTimeout, "drain-timeout", cfg.Server.DrainTimeout, "bound on the drain at shutdown")
	fs.Int64Var(&cfg.Store.QuotaBytes, "store-quota-bytes", cfg.Store.QuotaBytes, "bound on stored models and uploads in progress, bytes (0: free space only)")
	fs.Int64Var(&cfg.Store.MaxModelBytes, "max-model-bytes", cfg.Store.MaxModelBytes, "largest model a push may store, bytes (0: the store's default)")
	fs.DurationVar(&cfg.Store.GCInterval, "gc-interval", cfg.Store.GCInterval, "how often unreferenced model files are removed from the store")
	fs.DurationVar(&cfg.Store.GCGrace, "gc-grace", cfg.Store.GCGrace, "how long an unreferenced model file that no delete released is kept after it was written")
	fs.StringVar(&cfg.Runtime.ORTLibrary, "ort-lib", cfg.Runtime.ORTLibrary, "ONNX Runtime shared library (default $EDGESERVE_ORT_LIB, else the one make setup installed)")
	fs.IntVar(&cfg.Runtime.IntraOpThreads, "threads", cfg.Runtime.IntraOpThreads, "threads per inference (0: all cores)")
	fs.Int64Var(&cfg.Cache.MemoryBudgetBytes, "memory-budget-bytes", cfg.Cache.MemoryBudgetBytes, "memory budget of loaded models, bytes")
	fs.StringVar(&cfg.Cache.Policy, "policy", cfg.Cache.Policy, "cache eviction policy (lru, lfu, gdsf, cremebrulee, edgeserve)")
	fs.IntVar(&cfg.Cache.LoadConcurrency, "load-concurrency", cfg.Cache.LoadConcurrency, "concurrent model loads")
	fs.DurationVar(&cfg.Cache.LoadTimeout, "load-timeout", cfg.Cache.LoadTimeout, "bound on one model load")
	fs.BoolVar(&opts.devLog, "dev-log", false, "human-readable development logs")
	return fs
}

// doubleDash rewrites the single-dash form of a long flag (-data-dir, the
// form of earlier releases) to its double-dash form; everything after a
// bare "--" is left alone, and so is a value such as -1.
func doubleDash(args []string) []string {
	known := newFlagSet(new(node.Config), new(options))
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && known.Lookup(name) != nil {
			out[i] = "-" + a
		}
	}
	return out
}
