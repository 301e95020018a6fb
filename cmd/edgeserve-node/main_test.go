package main

import (
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSIGTERMDrainsAndExitsCleanly runs the daemon's main path and sends
// the process SIGTERM once it serves: run must return nil (exit 0).
func TestSIGTERMDrainsAndExitsCleanly(t *testing.T) {
	if os.Getenv("EDGESERVE_ORT_LIB") == "" {
		t.Skip("EDGESERVE_ORT_LIB is not set")
	}
	httpAddr := freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-data-dir", t.TempDir(), "-grpc-addr", freeAddr(t), "-http-addr", httpAddr, "-metrics-addr", ""})
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
	if cfg.DataDir != "/d" || cfg.MemoryBudgetBytes != 1000 || cfg.IntraOpThreads != 3 || cfg.AdminToken != "from-env" || cfg.GRPCAddr != ":8001" {
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
	if err != nil || !cfg.InsecureAdmin {
		t.Fatalf("-insecure-admin: %+v, %v", cfg.InsecureAdmin, err)
	}
}
