package e2e

import (
	"bytes"
	"fmt"
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

// proc is one edgeserve-node: its addresses and data directory stay the
// same across restarts.
type proc struct {
	name, ip, grpc, http, gossip, raft string
	dataDir, logFile                   string
	flags                              []string // the flags of the last start
	cmd                                *exec.Cmd
	done                               chan error // the exit of cmd, put back once read
}

// startNode starts a node on ip with the extra flags; it is killed when
// the test ends.
func startNode(t *testing.T, name, ip string, flags ...string) *proc {
	t.Helper()
	p := newProc(t, name, ip)
	p.start(t, flags...)
	return p
}

// newProc picks a node's ports on ip and its data directory; nothing
// runs until start.
func newProc(t *testing.T, name, ip string) *proc {
	t.Helper()
	dir := t.TempDir()
	return &proc{name: name, ip: ip, grpc: testutil.FreeTCPUDPAddr(t, ip), http: testutil.FreeTCPUDPAddr(t, ip), gossip: testutil.FreeTCPUDPAddr(t, ip), raft: testutil.FreeTCPUDPAddr(t, ip),
		dataDir: filepath.Join(dir, name), logFile: filepath.Join(dir, name+".log")}
}

// start runs the node with the extra flags and waits until it is ready;
// the process is killed when the test ends. Its output is appended to
// logFile, shown when the test fails.
func (p *proc) start(t *testing.T, flags ...string) {
	t.Helper()
	p.flags = flags
	args := append([]string{"--data-dir", p.dataDir, "--grpc-addr", p.grpc, "--http-addr", p.http,
		"--metrics-addr", "", "--name", p.name, "--gossip-addr", p.gossip, "--raft-addr", p.raft,
		"--ort-lib", testutil.ORTLibrary(t)}, flags...)
	log, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bins(t), "edgeserve-node"), args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = dieWithTest()
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatal(err)
	}
	log.Close() // the child holds its own descriptor
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	p.cmd, p.done = cmd, done
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // it may have ended
		done <- <-done
		if t.Failed() {
			t.Logf("log of %s (the end):\n%s", p.name, tail(p.logFile, 32<<10))
		}
	})
	testutil.Eventually(t, p.name+" ready", func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s exited at start: %v\n%s", p.name, err, tail(p.logFile, 8<<10))
		default:
		}
		resp, err := http.Get("http://" + p.http + "/v2/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// restart starts the node again, after it stopped, with the same data
// directory, addresses and flags.
func (p *proc) restart(t *testing.T) {
	t.Helper()
	p.start(t, p.flags...)
}

// tail is the last n bytes of a file.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
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

// running reports whether the node's process has not exited.
func (p *proc) running() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return false
	default:
		return true
	}
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
