package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
)

// Config holds a node's settings. Start from DefaultConfig.
type Config struct {
	// GRPCAddr, HTTPAddr and MetricsAddr are the listen addresses (Triton's
	// ports by default). Port 0 picks a free port; see Node's *Addr methods.
	GRPCAddr    string
	HTTPAddr    string
	MetricsAddr string
	// DataDir holds the model store (with its interrupted uploads).
	DataDir string
	// StoreQuotaBytes bounds the bytes of stored models, uploads in
	// progress included (0: only the file system's free space bounds them).
	StoreQuotaBytes int64
	// MaxModelBytes bounds one stored model's file (0: the store's default);
	// a push declaring more is refused before any byte is written.
	MaxModelBytes int64
	// MemoryBudgetBytes bounds the memory of loaded models.
	MemoryBudgetBytes int64
	// ORTLibrary is the ONNX Runtime shared library (default $EDGESERVE_ORT_LIB).
	ORTLibrary string
	// IntraOpThreads is the threads one inference may use (0: all cores).
	IntraOpThreads int
	// AdminToken is the bearer token admin calls (push, delete, load,
	// unload) must carry. It may be empty only when every listener is on
	// loopback, or when InsecureAdmin is set.
	AdminToken string
	// InsecureAdmin allows an empty AdminToken on non-loopback listeners:
	// anyone who reaches the node can then change its models. For trusted
	// networks only (flag -insecure-admin).
	InsecureAdmin bool
	// TLSCertFile and TLSKeyFile, when both set, serve gRPC and HTTP over TLS.
	TLSCertFile string
	TLSKeyFile  string
	// MaxRequestBytes bounds one inference request (gRPC message or HTTP
	// body) and one push chunk; pushes stream in chunks of any total size.
	MaxRequestBytes int
	// Policy is the cache's eviction policy (placement/policy names:
	// lru, lfu, gdsf, cremebrulee, edgeserve).
	Policy string
	// LoadConcurrency bounds concurrent model loads.
	LoadConcurrency int
	// LoadTimeout bounds one model load.
	LoadTimeout time.Duration
	// RequestTimeout bounds an HTTP request that carries no deadline of its
	// own (gRPC requests are bounded by the client's deadline).
	RequestTimeout time.Duration
	// DrainTimeout bounds how long shutdown waits for in-flight requests.
	DrainTimeout time.Duration
	// GCInterval is how often the store's unreferenced blobs (and their
	// prepared forms) are collected; deletes collect at once as well.
	GCInterval time.Duration
	// GCGrace is how long an unreferenced blob that no delete released is
	// kept after it was written (a blob from a peer waiting for its
	// record). Pushes in progress are kept whatever their age.
	GCGrace time.Duration
	// SizeHintFactor estimates a never-loaded model's memory as its file
	// size times this factor, to make room before its first load.
	SizeHintFactor float64
	// Version is the server version ServerMetadata reports.
	Version string
}

// DefaultConfig returns a node listening on Triton's ports with data in dir.
func DefaultConfig(dir string) Config {
	return Config{
		GRPCAddr:          ":8001",
		HTTPAddr:          ":8000",
		MetricsAddr:       ":8002",
		DataDir:           dir,
		MemoryBudgetBytes: 2 << 30,
		ORTLibrary:        ort.DefaultLibraryPath(),
		IntraOpThreads:    1,
		MaxRequestBytes:   64 << 20,
		Policy:            "lru",
		LoadConcurrency:   2,
		LoadTimeout:       2 * time.Minute,
		RequestTimeout:    time.Minute,
		DrainTimeout:      30 * time.Second,
		GCInterval:        10 * time.Minute,
		GCGrace:           15 * time.Minute,
		SizeHintFactor:    1.5,
		Version:           "dev",
	}
}

func (c Config) validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("node: config: DataDir is empty")
	case c.GRPCAddr == "" || c.HTTPAddr == "":
		return errors.New("node: config: GRPCAddr and HTTPAddr are required")
	case c.MemoryBudgetBytes <= 0:
		return fmt.Errorf("node: config: MemoryBudgetBytes %d must be positive", c.MemoryBudgetBytes)
	case c.MaxRequestBytes <= 0:
		return fmt.Errorf("node: config: MaxRequestBytes %d must be positive", c.MaxRequestBytes)
	case c.LoadConcurrency <= 0 || c.IntraOpThreads < 0:
		return fmt.Errorf("node: config: LoadConcurrency %d must be positive, IntraOpThreads %d not negative", c.LoadConcurrency, c.IntraOpThreads)
	case c.LoadTimeout <= 0 || c.RequestTimeout <= 0 || c.DrainTimeout <= 0:
		return errors.New("node: config: LoadTimeout, RequestTimeout and DrainTimeout must be positive")
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return errors.New("node: config: TLSCertFile and TLSKeyFile go together")
	case c.StoreQuotaBytes < 0 || c.MaxModelBytes < 0:
		return fmt.Errorf("node: config: StoreQuotaBytes %d and MaxModelBytes %d must not be negative", c.StoreQuotaBytes, c.MaxModelBytes)
	case c.AdminToken == "" && !c.InsecureAdmin && !(IsLoopback(c.GRPCAddr) && IsLoopback(c.HTTPAddr)):
		return fmt.Errorf("node: config: no AdminToken while listening beyond loopback (gRPC %q, HTTP %q): set a token, or InsecureAdmin to allow anyone to change the models", c.GRPCAddr, c.HTTPAddr)
	case c.GCInterval <= 0 || c.GCGrace < 0:
		return fmt.Errorf("node: config: GCInterval %v must be positive, GCGrace %v not negative", c.GCInterval, c.GCGrace)
	case c.SizeHintFactor < 0:
		return fmt.Errorf("node: config: SizeHintFactor %v is negative", c.SizeHintFactor)
	}
	return nil
}

// storeConfig is the model store's configuration under DataDir.
func (c Config) storeConfig() store.Config {
	sc := store.DefaultConfig(filepath.Join(c.DataDir, "store"))
	sc.QuotaBytes = c.StoreQuotaBytes
	sc.GCGrace = c.GCGrace
	if c.MaxModelBytes > 0 {
		sc.MaxModelBytes = c.MaxModelBytes
	}
	return sc
}
