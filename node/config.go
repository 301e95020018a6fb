package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
)

// Config holds a node's settings, one part per concern, each with its own
// defaults and validation. Start from DefaultConfig. The yaml tags are the
// keys of the config file (LoadConfigFile); the daemon's flags name the
// same settings.
type Config struct {
	// DataDir holds the model store, its interrupted uploads and the
	// prepared fast-loading forms.
	DataDir string `yaml:"data_dir"`
	// Version is the server version ServerMetadata reports (set at build).
	Version string `yaml:"-"`

	Server  ServerConfig  `yaml:"server"`
	Store   StoreConfig   `yaml:"store"`
	Runtime RuntimeConfig `yaml:"runtime"`
	Cache   CacheConfig   `yaml:"cache"`
	// The cluster issues add Gossip, Region and Peers parts here.
}

// ServerConfig is how the node listens and whom it serves.
type ServerConfig struct {
	// GRPCAddr, HTTPAddr and MetricsAddr are the listen addresses (Triton's
	// ports by default). Port 0 picks a free port; see Node's *Addr methods.
	GRPCAddr    string `yaml:"grpc_addr"`
	HTTPAddr    string `yaml:"http_addr"`
	MetricsAddr string `yaml:"metrics_addr"`
	// AdminToken is the bearer token admin calls (push, delete, load,
	// unload) must carry. It may be empty only when every listener is on
	// loopback, or when InsecureAdmin is set.
	AdminToken string `yaml:"admin_token"`
	// InsecureAdmin allows an empty AdminToken on non-loopback listeners:
	// anyone who reaches the node can then change its models. For trusted
	// networks only (flag --insecure-admin).
	InsecureAdmin bool `yaml:"insecure_admin"`
	// TLSCertFile and TLSKeyFile, when both set, serve gRPC and HTTP over TLS.
	TLSCertFile string `yaml:"tls_cert"`
	TLSKeyFile  string `yaml:"tls_key"`
	// MaxRequestBytes bounds one inference request (gRPC message or HTTP
	// body) and one push chunk; pushes stream in chunks of any total size.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// RequestTimeout bounds an HTTP request that carries no deadline of its
	// own (gRPC requests are bounded by the client's deadline).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// DrainTimeout bounds how long shutdown waits for in-flight requests.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
}

// StoreConfig bounds the model store under DataDir.
type StoreConfig struct {
	// QuotaBytes bounds the bytes of stored models, uploads in progress
	// included (0: only the file system's free space bounds them).
	QuotaBytes int64 `yaml:"quota_bytes"`
	// MaxModelBytes bounds one stored model's file (0: the store's
	// default); a push declaring more is refused before any byte is written.
	MaxModelBytes int64 `yaml:"max_model_bytes"`
	// GCInterval is how often the store's unreferenced blobs (and their
	// prepared forms) are collected; deletes collect at once as well.
	GCInterval time.Duration `yaml:"gc_interval"`
	// GCGrace is how long an unreferenced blob that no delete released is
	// kept after it was written (a blob from a peer waiting for its
	// record). Pushes in progress are kept whatever their age.
	GCGrace time.Duration `yaml:"gc_grace"`
}

// RuntimeConfig is the inference backend.
type RuntimeConfig struct {
	// ORTLibrary is the ONNX Runtime shared library (default $EDGESERVE_ORT_LIB).
	ORTLibrary string `yaml:"ort_lib"`
	// IntraOpThreads is the threads one inference may use (0: all cores).
	IntraOpThreads int `yaml:"threads"`
}

// CacheConfig is the memory-budgeted model cache.
type CacheConfig struct {
	// MemoryBudgetBytes bounds the memory of loaded models.
	MemoryBudgetBytes int64 `yaml:"memory_budget_bytes"`
	// Policy is the eviction policy (placement/policy names: lru, lfu,
	// gdsf, cremebrulee, edgeserve).
	Policy string `yaml:"policy"`
	// LoadConcurrency bounds concurrent model loads.
	LoadConcurrency int `yaml:"load_concurrency"`
	// LoadTimeout bounds one model load.
	LoadTimeout time.Duration `yaml:"load_timeout"`
	// SizeHintFactor estimates a never-loaded model's memory as its file
	// size times this factor, to make room before its first load.
	SizeHintFactor float64 `yaml:"size_hint_factor"`
}

// DefaultConfig returns a node listening on Triton's ports with data in dir.
func DefaultConfig(dir string) Config {
	return Config{
		DataDir: dir,
		Version: "dev",
		Server:  DefaultServerConfig(),
		Store:   DefaultStoreConfig(),
		Runtime: DefaultRuntimeConfig(),
		Cache:   DefaultCacheConfig(),
	}
}

// DefaultServerConfig listens on Triton's ports on every interface.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		GRPCAddr:        ":8001",
		HTTPAddr:        ":8000",
		MetricsAddr:     ":8002",
		MaxRequestBytes: 64 << 20,
		RequestTimeout:  time.Minute,
		DrainTimeout:    30 * time.Second,
	}
}

// DefaultStoreConfig has no quota and collects every ten minutes.
func DefaultStoreConfig() StoreConfig {
	return StoreConfig{GCInterval: 10 * time.Minute, GCGrace: 15 * time.Minute}
}

// DefaultRuntimeConfig runs one thread per inference on the library that
// make setup installs (or $EDGESERVE_ORT_LIB).
func DefaultRuntimeConfig() RuntimeConfig {
	return RuntimeConfig{ORTLibrary: ort.DefaultLibraryPath(), IntraOpThreads: 1}
}

// DefaultCacheConfig is a 2 GiB LRU cache.
func DefaultCacheConfig() CacheConfig {
	return CacheConfig{
		MemoryBudgetBytes: 2 << 30,
		Policy:            "lru",
		LoadConcurrency:   2,
		LoadTimeout:       2 * time.Minute,
		SizeHintFactor:    1.5,
	}
}

// validate checks every part.
func (c Config) validate() error {
	if c.DataDir == "" {
		return errors.New("node: config: data_dir is empty")
	}
	for _, err := range []error{c.Server.validate(), c.Store.validate(), c.Runtime.validate(), c.Cache.validate()} {
		if err != nil {
			return fmt.Errorf("node: config: %w", err)
		}
	}
	return nil
}

func (c ServerConfig) validate() error {
	switch {
	case c.GRPCAddr == "" || c.HTTPAddr == "":
		return errors.New("server: grpc_addr and http_addr are required")
	case c.MaxRequestBytes <= 0:
		return fmt.Errorf("server: max_request_bytes %d must be positive", c.MaxRequestBytes)
	case c.RequestTimeout <= 0 || c.DrainTimeout <= 0:
		return errors.New("server: request_timeout and drain_timeout must be positive")
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return errors.New("server: tls_cert and tls_key go together")
	case c.AdminToken == "" && !c.InsecureAdmin && !(IsLoopback(c.GRPCAddr) && IsLoopback(c.HTTPAddr)):
		return fmt.Errorf("server: no admin token (AdminToken) while listening beyond loopback (gRPC %q, HTTP %q): set a token, or insecure_admin to allow anyone to change the models", c.GRPCAddr, c.HTTPAddr)
	}
	return nil
}

func (c StoreConfig) validate() error {
	switch {
	case c.QuotaBytes < 0 || c.MaxModelBytes < 0:
		return fmt.Errorf("store: quota_bytes %d and max_model_bytes %d must not be negative", c.QuotaBytes, c.MaxModelBytes)
	case c.GCInterval <= 0 || c.GCGrace < 0:
		return fmt.Errorf("store: gc_interval %v must be positive, gc_grace %v not negative", c.GCInterval, c.GCGrace)
	}
	return nil
}

func (c RuntimeConfig) validate() error {
	if c.IntraOpThreads < 0 {
		return fmt.Errorf("runtime: threads %d is negative", c.IntraOpThreads)
	}
	return nil
}

func (c CacheConfig) validate() error {
	switch {
	case c.MemoryBudgetBytes <= 0:
		return fmt.Errorf("cache: memory_budget_bytes %d must be positive", c.MemoryBudgetBytes)
	case c.LoadConcurrency <= 0:
		return fmt.Errorf("cache: load_concurrency %d must be positive", c.LoadConcurrency)
	case c.LoadTimeout <= 0:
		return errors.New("cache: load_timeout must be positive")
	case c.SizeHintFactor < 0:
		return fmt.Errorf("cache: size_hint_factor %v is negative", c.SizeHintFactor)
	}
	return nil
}

// storeConfig is the model store's configuration under DataDir.
func (c Config) storeConfig() store.Config {
	sc := store.DefaultConfig(filepath.Join(c.DataDir, "store"))
	sc.QuotaBytes = c.Store.QuotaBytes
	sc.GCGrace = c.Store.GCGrace
	if c.Store.MaxModelBytes > 0 {
		sc.MaxModelBytes = c.Store.MaxModelBytes
	}
	return sc
}
