package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testnode"
	"github.com/edgeserve/edgeserve/node/codec"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime/zoo"
	"github.com/spf13/cobra"
)

// startTestNode runs a real node on loopback for the CLI to talk to.
func startTestNode(t *testing.T, token string) string {
	t.Helper()
	return testnode.Start(t, token)
}

// cli runs the CLI in-process and returns stdout and stderr together.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := cli(t, args...)
	if err != nil {
		t.Fatalf("edgeserve %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestModelsCommands(t *testing.T) {
	addr := startTestNode(t, "tok")
	dir := t.TempDir()
	m, err := zoo.Write(dir, "tiny_mlp", zoo.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, m.File)
	addrs := testutil.FreeAddr(t) + "," + addr // the first node is down: the second answers

	if out, err := cli(t, "models", "ls", "--addr", addr); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Fatalf("ls without token = %v, %s", err, out)
	}
	out := mustCLI(t, "models", "push", "mlp", file, "--addr", addrs, "--admin-token", "tok", "--task", "test")
	if !strings.Contains(out, "pushed mlp version 1") {
		t.Fatalf("push output: %s", out)
	}
	t.Setenv("EDGESERVE_ADMIN_TOKEN", "tok")
	out = mustCLI(t, "models", "load", "mlp", "--addr", addrs)
	if !strings.Contains(out, "loaded mlp") {
		t.Fatalf("load output: %s", out)
	}
	out = mustCLI(t, "models", "ls", "--addr", addrs)
	if !strings.Contains(out, "mlp   1") || !strings.Contains(out, "true") {
		t.Fatalf("ls output: %s", out)
	}
	mustCLI(t, "models", "unload", "mlp", "--addr", addr)
	if out = mustCLI(t, "models", "ls", "--addr", addr); !strings.Contains(out, "false") {
		t.Fatalf("ls after unload: %s", out)
	}
	if out = mustCLI(t, "models", "rm", "mlp", "--addr", addr); out != "removed mlp (every version)\n" {
		t.Fatalf("rm output: %q", out)
	}
	if out = mustCLI(t, "models", "ls", "--addr", addr); strings.Contains(out, "mlp") {
		t.Fatalf("ls after rm: %s", out)
	}
	if _, err := cli(t, "models", "rm", "mlp", "--addr", addr); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("rm of a removed model: %v", err)
	}
}

func TestInferCommand(t *testing.T) {
	addr := startTestNode(t, "")
	dir := t.TempDir()
	m, err := zoo.Write(dir, "add_fp32", zoo.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "models", "push", "adder", filepath.Join(dir, m.File), "--addr", addr)

	req := filepath.Join(dir, "req.json")
	body := `{"inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"b","shape":[1,3],"datatype":"FP32","data":[10,20,30]}]}`
	if err := os.WriteFile(req, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustCLI(t, "infer", "adder", "--input", req, "--json", "--addr", addr)
	var resp codec.JSONResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if resp.ModelName != "adder" || string(resp.Outputs[0].Data) != "[11,22,33]" {
		t.Fatalf("response = %+v (%s)", resp, resp.Outputs[0].Data)
	}

	out = mustCLI(t, "infer", "adder", "--random", "--batch", "4", "--addr", testutil.FreeAddr(t)+","+addr)
	if !strings.Contains(out, "out FP32 [4 4]") {
		t.Fatalf("random infer output: %s", out)
	}
	if _, err := cli(t, "infer", "adder", "--addr", addr); err == nil {
		t.Fatal("infer without --input or --random accepted")
	}
	if _, err := cli(t, "infer", "nope", "--random", "--addr", addr); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("unknown model: %v", err)
	}
}

type pbTensorMeta = pb.ModelMetadataResponse_TensorMetadata

// TestListJoinsLocalLs: with a local "ls" already in the group, "ls" stays
// local and "ls --addr" lists a node's models.
func TestListJoinsLocalLs(t *testing.T) {
	addr := startTestNode(t, "")
	models := &cobra.Command{Use: "models"}
	models.AddCommand(&cobra.Command{Use: "ls", RunE: func(cmd *cobra.Command, _ []string) error {
		cmd.Print("local listing")
		return nil
	}})
	addRemoteModelCmds(models)
	root := &cobra.Command{Use: "edgeserve"}
	root.AddCommand(models)
	run := func(args ...string) string {
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	if out := run("models", "ls"); out != "local listing" {
		t.Fatalf("ls = %q", out)
	}
	if out := run("models", "ls", "--addr", addr); !strings.HasPrefix(out, "NAME") {
		t.Fatalf("ls --addr = %q", out)
	}
	if n := len(models.Commands()); n != 5 {
		t.Fatalf("%d commands in the group, want 5 (one ls)", n)
	}
}

// TestTokenNotSentInPlaintext: without TLS the CLI sends the admin token
// only to loopback nodes, unless --insecure-admin is given (--token and --insecure are the older names, still accepted).
func TestTokenNotSentInPlaintext(t *testing.T) {
	const remoteAddr = "192.0.2.1:8001" // TEST-NET-1: never a real node
	out, err := cli(t, "models", "ls", "--addr", remoteAddr, "--token", "tok")
	if err == nil || !strings.Contains(err.Error(), "plaintext") || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("token to a remote node without TLS = %v, %s", err, out)
	}
	out, err = cli(t, "models", "ls", "--addr", "127.0.0.1:1,"+remoteAddr, "--token", "tok")
	if err == nil || !strings.Contains(err.Error(), "plaintext") {
		t.Fatalf("one remote address among loopback ones = %v, %s", err, out)
	}
	// --insecure is accepted; that the call then goes out is
	// client.TestDialTokenRules's (here it would dial a remote address).
}

// TestRemoveSaysWhat: rm of one version names it.
func TestRemoveSaysWhat(t *testing.T) {
	addr := startTestNode(t, "")
	file := testnode.ZooFile(t, "tiny_mlp")
	mustCLI(t, "models", "push", "mlp", file, "--addr", addr)
	mustCLI(t, "models", "push", "mlp", file, "--addr", addr, "--version", "2")
	if out := mustCLI(t, "models", "rm", "mlp", "--version", "1", "--addr", addr); out != "removed mlp version 1\n" {
		t.Fatalf("rm --version 1 output: %q", out)
	}
	if out := mustCLI(t, "models", "ls", "--addr", addr); !strings.Contains(out, "mlp   2") || strings.Contains(out, "mlp   1") {
		t.Fatalf("ls after rm of version 1: %s", out)
	}
}

// TestInferSendsNoToken: infer carries no admin token, even with one in
// --token and in the environment; an admin command carries it.
func TestInferSendsNoToken(t *testing.T) {
	rec := testnode.StartRecorder(t)
	t.Setenv("EDGESERVE_ADMIN_TOKEN", "from-env")
	req := filepath.Join(t.TempDir(), "req.json")
	body := `{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2]}]}`
	if err := os.WriteFile(req, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustCLI(t, "infer", "m", "--input", req, "--json", "--addr", rec.Addr, "--token", "tok")
	if !strings.Contains(out, `"data":[1,2]`) {
		t.Fatalf("infer output: %s", out)
	}
	mustCLI(t, "infer", "m", "--input", req, "--addr", rec.Addr)
	_, _ = cli(t, "models", "ls", "--addr", rec.Addr) // Unimplemented there
	calls := rec.Calls()
	if len(calls) != 3 {
		t.Fatalf("calls %v, want 3", calls)
	}
	for _, c := range calls[:2] {
		if len(c.Authorization) != 0 {
			t.Errorf("infer sent authorization %q", c.Authorization)
		}
	}
	if a := calls[2].Authorization; len(a) != 1 || a[0] != "Bearer from-env" {
		t.Errorf("ls sent authorization %q, want the token from the environment", a)
	}
}

// TestInferTask: models pushed with a task and an accuracy are listed with
// them, and `infer task:NAME` is served by the task's most accurate model
// (no budget), says when no model can meet a budget, and refuses an
// accuracy no model has.
func TestInferTask(t *testing.T) {
	addr := startTestNode(t, "")
	dir := t.TempDir()
	m, err := zoo.Write(dir, "tiny_mlp", zoo.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, m.File)
	mustCLI(t, "models", "push", "fast", file, "--addr", addr, "--task", "classify", "--accuracy", "0.7")
	mustCLI(t, "models", "push", "accurate", file, "--addr", addr, "--task", "classify", "--accuracy", "0.9")
	out := mustCLI(t, "models", "ls", "--addr", addr)
	if !strings.Contains(out, "TASK") || !strings.Contains(out, "classify  0.900") || !strings.Contains(out, "classify  0.700") {
		t.Fatalf("ls shows no task and accuracy:\n%s", out)
	}
	mustCLI(t, "models", "load", "fast", "--addr", addr)
	out = mustCLI(t, "infer", "task:classify", "--random", "--addr", addr)
	if !strings.Contains(out, "model accurate version 1") || !strings.Contains(out, "task classify chose accurate:1") {
		t.Fatalf("infer task:classify:\n%s", out)
	}
	out = mustCLI(t, "infer", "task:classify", "--random", "--budget", "1us", "--addr", addr)
	if !strings.Contains(out, "budget missed") {
		t.Fatalf("infer task:classify --budget 1us:\n%s", out)
	}
	if _, err := cli(t, "infer", "task:classify", "--random", "--min-accuracy", "0.95", "--addr", addr); err == nil || !strings.Contains(err.Error(), "accuracy 0.95") {
		t.Fatalf("--min-accuracy above every model: %v", err)
	}
	if _, err := cli(t, "infer", "fast", "--random", "--budget", "5ms", "--addr", addr); err == nil {
		t.Fatal("--budget accepted for a model that is not a task")
	}
}
