package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/grpc/codes"
)

// TestPushResume: an interrupted push keeps its bytes; PushOffset says how
// many; the rest completes it; a wrong offset is refused.
func TestPushResume(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	data, sha := tinyMLP(t)
	half := len(data) / 2

	_, err := pushBytes(ctx, tn.admin, "mlp", data, 0, half)
	wantCode(t, err, codes.FailedPrecondition)
	off, err := tn.admin.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: sha})
	if err != nil || off.GetReceivedBytes() != int64(half) {
		t.Fatalf("PushOffset = %v, %v; want %d", off, err, half)
	}
	_, err = pushBytes(ctx, tn.admin, "mlp", data, half+1, len(data))
	wantCode(t, err, codes.FailedPrecondition)

	info, err := pushBytes(ctx, tn.admin, "mlp", data, half, len(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.GetSha256() != sha || info.GetSizeBytes() != int64(len(data)) {
		t.Fatalf("resumed push stored %v", info)
	}
	off, err = tn.admin.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: sha})
	if err != nil || off.GetReceivedBytes() != 0 {
		t.Fatalf("PushOffset after commit = %v, %v", off, err)
	}
	if _, err := tn.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
		t.Fatalf("the resumed model does not run: %v", err)
	}
}

// TestPushRejects: bad pushes fail with clear codes and leave nothing.
func TestPushRejects(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	model, err := os.ReadFile(zooModel(t, "add_fp32"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("digest mismatch", func(t *testing.T) {
		stream, _ := tn.admin.PushModel(ctx)
		sum := sha256.Sum256([]byte("other bytes"))
		stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: &adminpb.PushHeader{
			Name: "m", SizeBytes: int64(len(model)), Sha256: hex.EncodeToString(sum[:])}}})
		stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: model}})
		_, err := stream.CloseAndRecv()
		wantCode(t, err, codes.InvalidArgument)
		off, _ := tn.admin.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: hex.EncodeToString(sum[:])})
		if off.GetReceivedBytes() != 0 {
			t.Fatalf("a rejected upload kept %d bytes", off.GetReceivedBytes())
		}
	})
	t.Run("not onnx", func(t *testing.T) {
		junk := []byte("definitely not an onnx model, just some text bytes")
		_, err := pushBytes(ctx, tn.admin, "m", junk, 0, len(junk))
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("chunk before header", func(t *testing.T) {
		stream, _ := tn.admin.PushModel(ctx)
		stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: model}})
		_, err := stream.CloseAndRecv()
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("more than declared", func(t *testing.T) {
		sum := sha256.Sum256(model)
		stream, _ := tn.admin.PushModel(ctx)
		stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: &adminpb.PushHeader{
			Name: "m", SizeBytes: 10, Sha256: hex.EncodeToString(sum[:])}}})
		stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: model}})
		_, err := stream.CloseAndRecv()
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("bad name", func(t *testing.T) {
		_, err := pushBytes(ctx, tn.admin, "../etc", model, 0, len(model))
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("bad sha", func(t *testing.T) {
		_, err := tn.admin.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: "../../x"})
		wantCode(t, err, codes.InvalidArgument)
	})
	list, err := tn.admin.ListModels(ctx, &adminpb.ListModelsRequest{})
	if err != nil || len(list.GetModels()) != 0 {
		t.Fatalf("rejected pushes left models: %v, %v", list, err)
	}
}

// TestPushSameFileTwice: a second push of a file while the first is in
// progress is refused (Aborted) instead of interleaving their bytes.
func TestPushSameFileTwice(t *testing.T) {
	st, _, err := store.Open(context.Background(), store.DefaultConfig(t.TempDir()), store.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := newPushes(st)
	sum := sha256.Sum256([]byte("x"))
	h := pushHeader{Meta: store.ModelMeta{Digest: store.Digest(sum), SizeBytes: 1}}
	_, done, err := p.begin(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.begin(context.Background(), h); !errors.Is(err, ErrBusy) || classify(err).code != codes.Aborted {
		t.Fatalf("second begin: %v", err)
	}
	done(false)
	_, done, err = p.begin(context.Background(), h)
	if err != nil {
		t.Fatalf("begin after the first ended: %v", err)
	}
	done(true)
}

// TestPushLimits: a push whose declared size exceeds the model size limit
// or the quota is refused with ResourceExhausted before any byte is
// written, and leaves no partial file behind.
func TestPushLimits(t *testing.T) {
	data, _ := tinyMLP(t)
	tests := []struct {
		name string
		mod  func(*Config, *Deps)
	}{
		{"over max model size", func(c *Config, _ *Deps) { c.Store.MaxModelBytes = int64(len(data)) - 1 }},
		{"over quota", func(c *Config, _ *Deps) { c.Store.QuotaBytes = int64(len(data)) - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tn := startNode(t, tc.mod)
			ctx := adminCtx(t)
			_, err := pushBytes(ctx, tn.admin, "mlp", data, 0, len(data))
			wantCode(t, err, codes.ResourceExhausted)
			if parts := partialFiles(t, tn.cfg.DataDir); len(parts) != 0 {
				t.Fatalf("a refused push left %v", parts)
			}
			sum := sha256.Sum256(data)
			off, err := tn.admin.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: hex.EncodeToString(sum[:])})
			if err != nil || off.GetReceivedBytes() != 0 {
				t.Fatalf("PushOffset after a refused push = %v, %v", off, err)
			}
		})
	}
	t.Run("exactly at the limits", func(t *testing.T) {
		tn := startNode(t, func(c *Config, _ *Deps) {
			c.Store.MaxModelBytes, c.Store.QuotaBytes = int64(len(data)), int64(len(data))
		})
		if _, err := pushBytes(adminCtx(t), tn.admin, "mlp", data, 0, len(data)); err != nil {
			t.Fatalf("a push that fits the limits: %v", err)
		}
	})
}

// partialFiles lists the regular files under dir's upload areas.
func partialFiles(t *testing.T, dir string) []string {
	t.Helper()
	var parts []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(filepath.Dir(path), "upload") {
			parts = append(parts, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// TestPushOffsetDuringPush: PushOffset answers while a push is still
// streaming, with the bytes stored so far, and a second push of the same
// file is refused meanwhile.
func TestPushOffsetDuringPush(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	data, sha := tinyMLP(t)
	stream, err := tn.admin.PushModel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(m *adminpb.PushModelRequest) {
		t.Helper()
		if err := stream.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: &adminpb.PushHeader{
		Name: "mlp", SizeBytes: int64(len(data)), Sha256: sha}}})
	half := len(data) / 2
	send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: data[:half]}})
	eventually(t, "PushOffset to report the first chunk", func() bool {
		octx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		off, err := tn.admin.PushOffset(octx, &adminpb.PushOffsetRequest{Sha256: sha})
		if err != nil {
			t.Fatalf("PushOffset during a push: %v", err)
		}
		return off.GetReceivedBytes() == int64(half)
	})
	_, err = pushBytes(ctx, tn.admin, "mlp", data, half, len(data))
	wantCode(t, err, codes.Aborted)
	send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: data[half:]}})
	if _, err := stream.CloseAndRecv(); err != nil {
		t.Fatalf("the push after PushOffset: %v", err)
	}
}

// TestPushAfterUploadExpired: when the store expires an idle upload, the
// node forgets it too: PushOffset reports 0, a resume from the old offset
// is refused with the offset the node holds (0), and a push from 0 works.
func TestPushAfterUploadExpired(t *testing.T) {
	ctx := context.Background()
	data, _ := tinyMLP(t)
	now := time.Unix(1_700_000_000, 0)
	cfg := store.DefaultConfig(t.TempDir())
	cfg.ReserveBytes = 0
	st, _, err := store.Open(ctx, cfg, store.Deps{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := newPushes(st)
	d := store.Digest(sha256.Sum256(data))
	h := pushHeader{Meta: store.ModelMeta{Name: "mlp", Digest: d, SizeBytes: int64(len(data))}}
	u, done, err := p.begin(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	half := int64(len(data) / 2)
	if _, err := u.Write(ctx, bytes.NewReader(data[:half]), 0); err != nil {
		t.Fatal(err)
	}
	done(false)
	if off, err := p.offset(d.String()); err != nil || off != half {
		t.Fatalf("offset = %d, %v; want %d", off, err, half)
	}
	now = now.Add(cfg.UploadMaxAge + time.Second)
	if _, err := st.GC(ctx); err != nil { // expires the idle upload
		t.Fatal(err)
	}
	if off, err := p.offset(d.String()); err != nil || off != 0 {
		t.Fatalf("offset after expiry = %d, %v; want 0", off, err)
	}
	h.Offset = half
	if _, _, err := p.begin(ctx, h); !errors.Is(err, ErrResumeOffset) {
		t.Fatalf("resume after expiry: %v, want ErrResumeOffset", err)
	}
	h.Offset = 0
	u, done, err = p.begin(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer done(true)
	if _, err := u.Write(ctx, bytes.NewReader(data), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(ctx, h.Meta); err != nil {
		t.Fatalf("commit after starting over: %v", err)
	}
}

// tinyMLP returns the bytes of the tiny_mlp test model and their sha256
// in hex, as a push declares it.
func tinyMLP(t *testing.T) ([]byte, string) {
	t.Helper()
	data, err := os.ReadFile(zooModel(t, "tiny_mlp"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}
