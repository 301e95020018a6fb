package node

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"google.golang.org/grpc/codes"
)

// TestPushResume: an interrupted push keeps its bytes; PushOffset says how
// many; the rest completes it; a wrong offset is refused.
func TestPushResume(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	data, err := os.ReadFile(zooModel(t, "tiny_mlp"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	half := len(data) / 2

	_, err = pushBytes(ctx, tn.admin, "mlp", data, 0, half)
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
	u, err := newUploads(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("x"))
	h := pushHeader{SHA256: hex.EncodeToString(sum[:])}
	f, done, err := u.begin(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.begin(h); !errors.Is(err, ErrBusy) || classify(err).code != codes.Aborted {
		t.Fatalf("second begin: %v", err)
	}
	f.Close()
	done()
	f, done, err = u.begin(h)
	if err != nil {
		t.Fatalf("begin after the first ended: %v", err)
	}
	f.Close()
	done()
}
