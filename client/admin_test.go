package client_test

import (
	"bytes"
	"errors"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"io"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/internal/testnode"
)

// TestAdminCalls: push, list, load, unload and remove against a real node,
// through a list whose first address is down.
func TestAdminCalls(t *testing.T) {
	addr := testnode.Start(t, "tok")
	c := dial(t, "tok", testutil.FreeAddr(t), addr)
	ctx := testCtx(t)
	file := testnode.ZooFile(t, "tiny_mlp")
	size := int64(len(readFile(t, file)))

	var reports [][2]int64
	info, err := c.PushFile(ctx, client.Model{Name: "mlp", Task: "test", Labels: map[string]string{"k": "v"}}, file,
		func(sent, total int64) { reports = append(reports, [2]int64{sent, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "mlp" || info.GetVersion() != "1" || info.GetSizeBytes() != size {
		t.Fatalf("push stored %v", info)
	}
	checkReports(t, reports, 0, size)

	if took, err := c.Load(ctx, "mlp", ""); err != nil || took <= 0 {
		t.Fatalf("Load = %v, %v", took, err)
	}
	models, err := c.List(ctx)
	if err != nil || len(models) != 1 || !models[0].GetLoaded() || models[0].GetLabels()["k"] != "v" {
		t.Fatalf("List = %v, %v", models, err)
	}
	if err := c.Unload(ctx, "mlp", ""); err != nil {
		t.Fatal(err)
	}
	if models, _ = c.List(ctx); len(models) != 1 || models[0].GetLoaded() {
		t.Fatalf("List after Unload = %v", models)
	}
	if err := c.Remove(ctx, "mlp", ""); err != nil {
		t.Fatal(err)
	}
	if models, _ = c.List(ctx); len(models) != 0 {
		t.Fatalf("List after Remove = %v", models)
	}
	err = c.Remove(ctx, "mlp", "")
	var nerr *client.NodeError
	if status.Code(err) != codes.NotFound || !errors.As(err, &nerr) || nerr.Addr != addr {
		t.Fatalf("Remove of a removed model = %v", err)
	}
}

// checkReports: progress starts at from, never goes back, ends at total.
func checkReports(t *testing.T, reports [][2]int64, from, total int64) {
	t.Helper()
	if len(reports) < 2 || reports[0][0] != from || reports[len(reports)-1][0] != total {
		t.Fatalf("progress %v: want from %d to %d", reports, from, total)
	}
	for i, r := range reports {
		if r[1] != total || (i > 0 && r[0] < reports[i-1][0]) {
			t.Fatalf("progress %v goes back or changes its total", reports)
		}
	}
}

// TestAdminNeedsToken: a node with a token refuses admin calls without it
// or with another one.
func TestAdminNeedsToken(t *testing.T) {
	addr := testnode.Start(t, "tok")
	for _, token := range []string{"", "wrong"} {
		if _, err := dial(t, token, addr).List(testCtx(t)); status.Code(err) != codes.Unauthenticated {
			t.Errorf("List with token %q = %v, want Unauthenticated", token, err)
		}
	}
}

// TestPushResumes: a push cut short leaves its bytes on the node; the next
// push of the same bytes sends only the rest.
func TestPushResumes(t *testing.T) {
	addr := testnode.Start(t, "")
	cfg := client.DefaultConfig()
	cfg.Addrs, cfg.PushChunkBytes = []string{addr}, 1024
	c, err := client.Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testCtx(t)
	data := readFile(t, testnode.ZooFile(t, "tiny_mlp"))
	cut := int64(len(data) / 2)

	_, err = c.Push(ctx, client.Model{Name: "mlp"}, &shrinking{data: data, cut: cut}, nil)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("push of a file that shrank = %v, want FailedPrecondition", err)
	}
	var reports [][2]int64
	info, err := c.Push(ctx, client.Model{Name: "mlp"}, bytes.NewReader(data),
		func(sent, total int64) { reports = append(reports, [2]int64{sent, total}) })
	if err != nil || info.GetSizeBytes() != int64(len(data)) {
		t.Fatalf("resumed push = %v, %v", info, err)
	}
	checkReports(t, reports, cut, int64(len(data)))
}

// shrinking reads data whole on its first pass (the digest) and only up
// to cut on later passes, as a file truncated during a push.
type shrinking struct {
	data   []byte
	cut    int64
	passes int
	r      *bytes.Reader
}

func (s *shrinking) Seek(off int64, whence int) (int64, error) {
	s.passes++
	b := s.data
	if s.passes > 1 {
		b = s.data[:s.cut]
	}
	s.r = bytes.NewReader(b)
	return s.r.Seek(off, whence)
}

func (s *shrinking) Read(p []byte) (int, error) {
	if s.r == nil {
		return 0, io.ErrNoProgress
	}
	return s.r.Read(p)
}
