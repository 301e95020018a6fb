package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
)

// binaries are built once per test process.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the binaries when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// bins builds edgeserve-node and edgeserve into a temporary directory.
func bins(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "edgeserve-e2e-bin")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir, "../cmd/edgeserve-node", "../cmd/edgeserve")
		cmd.Env = append(os.Environ(), "CGO_CFLAGS=-Wno-deprecated-declarations")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// freePort is a port free for TCP and UDP on ip (gossip needs both).
func freePort(t *testing.T, ip string) string {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return addr
		}
	}
	t.Fatalf("no free TCP+UDP port on %s", ip)
	return ""
}

// proc is one running edgeserve-node.
type proc struct {
	name, grpc, http, gossip string
	cmd                      *exec.Cmd
	log                      *bytes.Buffer
	done                     chan error
}

// startNode starts a node on ip with the extra flags; it is killed when
// the test ends.
func startNode(t *testing.T, name, ip string, flags ...string) *proc {
	t.Helper()
	p := &proc{name: name, grpc: freePort(t, ip), http: freePort(t, ip), gossip: freePort(t, ip), log: &bytes.Buffer{}, done: make(chan error, 1)}
	args := append([]string{"--data-dir", filepath.Join(t.TempDir(), name), "--grpc-addr", p.grpc, "--http-addr", p.http,
		"--metrics-addr", "", "--name", name, "--gossip-addr", p.gossip, "--raft-addr", freePort(t, ip),
		"--ort-lib", testutil.ORTLibrary(t)}, flags...)
	p.cmd = exec.Command(filepath.Join(bins(t), "edgeserve-node"), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = dieWithTest()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, p.log.String())
		}
	})
	testutil.Eventually(t, name+" ready", func() bool {
		resp, err := http.Get("http://" + p.http + "/v2/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// dieWithTest has a child process killed when the test process dies (a
// test that times out panics, and its cleanups do not run).
func dieWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// stop sends SIGTERM and waits for the exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("%s exited with %v", p.name, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop after SIGTERM", p.name)
	}
}

// kill sends SIGKILL (kill -9) and waits for the exit.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.done <- <-p.done // keep the exit for the cleanup
}

// cli runs the edgeserve CLI and returns its standard output.
func cli(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(bins(t), "edgeserve"), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("edgeserve %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}
