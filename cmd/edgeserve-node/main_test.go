package main

import (
	"github.com/edgeserve/edgeserve/internal/testutil"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainsAndExitsCleanly runs the daemon's main path and sends
// the process SIGTERM once it serves: run must return nil (exit 0).
func TestSIGTERMDrainsAndExitsCleanly(t *testing.T) {
	testutil.ORTLibrary(t)
	httpAddr := testutil.FreeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-data-dir", t.TempDir(), "-grpc-addr", testutil.FreeAddr(t), "-http-addr", httpAddr, "-metrics-addr", ""})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("node never became ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}

func TestParseFlags(t *testing.T) {
	t.Setenv("EDGESERVE_ADMIN_TOKEN", "from-env")
	cfg, _, err := parseFlags([]string{"-data-dir", "/d", "-memory-budget-bytes", "1000", "-threads", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/d" || cfg.Cache.MemoryBudgetBytes != 1000 || cfg.Runtime.IntraOpThreads != 3 || cfg.Server.AdminToken != "from-env" || cfg.Server.GRPCAddr != ":8001" {
		t.Fatalf("config = %+v", cfg)
	}
	if _, _, err := parseFlags(nil); err == nil {
		t.Fatal("missing -data-dir accepted")
	}
}

// TestOpenAdminRefusedOffLoopback: the daemon refuses to start with an
// open admin API on every interface unless -insecure-admin is given.
func TestOpenAdminRefusedOffLoopback(t *testing.T) {
	t.Setenv("EDGESERVE_ADMIN_TOKEN", "")
	err := run([]string{"-data-dir", t.TempDir(), "-grpc-addr", ":0", "-http-addr", "127.0.0.1:0", "-metrics-addr", ""})
	if err == nil || !strings.Contains(err.Error(), "AdminToken") {
		t.Fatalf("run without a token on all interfaces = %v", err)
	}
	cfg, _, err := parseFlags([]string{"-data-dir", t.TempDir(), "-grpc-addr", ":0", "-insecure-admin"})
	if err != nil || !cfg.Server.InsecureAdmin {
		t.Fatalf("-insecure-admin: %+v, %v", cfg.Server.InsecureAdmin, err)
	}
}

// TestConfigPrecedence: defaults, then the config file, then
// $EDGESERVE_ADMIN_TOKEN, then flags, in both dash forms.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "node.yaml")
	doc := "data_dir: /from-file\nserver:\n  admin_token: file-token\n  grpc_addr: 127.0.0.1:1\ncache:\n  policy: gdsf\n  load_concurrency: 7\n"
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EDGESERVE_ADMIN_TOKEN", "env-token")
	cfg, _, err := parseFlags([]string{"--config", file, "-policy", "lfu", "--threads=3", "-memory-budget-bytes=1000"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from-file" || cfg.Server.GRPCAddr != "127.0.0.1:1" || cfg.Cache.LoadConcurrency != 7 {
		t.Errorf("file values lost: %+v", cfg)
	}
	if cfg.Server.AdminToken != "env-token" {
		t.Errorf("token = %q; the environment overrides the file", cfg.Server.AdminToken)
	}
	if cfg.Cache.Policy != "lfu" || cfg.Runtime.IntraOpThreads != 3 || cfg.Cache.MemoryBudgetBytes != 1000 {
		t.Errorf("flags do not override: %+v", cfg)
	}
	if cfg.Server.HTTPAddr != ":8000" {
		t.Errorf("a key absent from file and flags lost its default: %q", cfg.Server.HTTPAddr)
	}
	cfg, _, err = parseFlags([]string{"--config", file, "--admin-token", "flag-token"})
	if err != nil || cfg.Server.AdminToken != "flag-token" {
		t.Errorf("--admin-token = %q, %v; the flag overrides the environment", cfg.Server.AdminToken, err)
	}
}

func TestConfigFileErrorsNameTheKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(file, []byte("cache:\n  memory_budget: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseFlags([]string{"--config", file, "--data-dir", "/d"}); err == nil || !strings.Contains(err.Error(), "memory_budget") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, _, err := parseFlags([]string{"--data-dir", "/d", "--no-such-flag"}); err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("unknown flag: %v", err)
	}
}

func TestDoubleDash(t *testing.T) {
	got := doubleDash([]string{"-data-dir", "/d", "--threads", "-1", "-unknown", "-grpc-addr=:1", "--", "-policy"})
	want := []string{"--data-dir", "/d", "--threads", "-1", "-unknown", "--grpc-addr=:1", "--", "-policy"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("doubleDash = %q, want %q", got, want)
	}
}

// TestStartupFailureIsOneError: a wrong ONNX Runtime library or a data
// directory that is a file stops the daemon with one error naming the
// problem, not a panic.
func TestStartupFailureIsOneError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--data-dir", dir, "--ort-lib", filepath.Join(dir, "missing.so")},
		{"--data-dir", file},
	} {
		args = append(args, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--metrics-addr", "")
		err := run(args)
		if err == nil || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("run(%q) = %v; want one line", args, err)
		}
	}
}

// TestParseLimitFlags: the connection, timeout and client-certificate
// settings have flags (double-dash accepted).
func TestParseLimitFlags(t *testing.T) {
	cfg, _, err := parseFlags([]string{"--data-dir", "d", "--tls-client-ca", "ca.pem", "--max-connections", "7",
		"--max-in-flight-requests", "8", "--http-read-timeout", "9s", "--http-idle-timeout", "10s",
		"--grpc-max-connection-idle", "11s", "--grpc-max-concurrent-streams", "12"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.TLSClientCAFile != "ca.pem" || cfg.Server.MaxConnections != 7 || cfg.Server.MaxInFlightRequests != 8 ||
		cfg.Server.HTTPReadTimeout != 9*time.Second || cfg.Server.HTTPIdleTimeout != 10*time.Second ||
		cfg.Server.GRPCMaxConnectionIdle != 11*time.Second || cfg.Server.GRPCMaxConcurrentStreams != 12 {
		t.Fatalf("config = %+v", cfg)
	}
	if cfg.Server.MetricsAddr != "127.0.0.1:8002" {
		t.Fatalf("default metrics address %q, want loopback", cfg.Server.MetricsAddr)
	}
}
