package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// Model describes a model to push.
type Model struct {
	Name string
	// Version is a version number; "" takes the next one.
	Version string
	// Task is what the model does, e.g. "image-classification".
	Task string
	// Accuracy is the model's accuracy at its task, a fraction in [0, 1]
	// (0: unknown).
	Accuracy float64
	Labels   map[string]string
}

// ProgressFunc learns how many of a push's bytes the node holds, first
// when a resumed push starts and then after each message sent.
type ProgressFunc func(sentBytes, totalBytes int64)

// PushFile pushes the model file at path; see Push.
func (c *Client) PushFile(ctx context.Context, m Model, path string, progress ProgressFunc) (*adminpb.ModelInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("client: push: %w", err)
	}
	defer f.Close()
	return c.Push(ctx, m, f, progress)
}

// Push uploads the model's bytes, read from r from its start, to the
// first node that answers. It resumes where that node's copy of an
// interrupted upload of the same bytes (by sha256) ends. progress may be
// nil.
func (c *Client) Push(ctx context.Context, m Model, r io.ReadSeeker, progress ProgressFunc) (*adminpb.ModelInfo, error) {
	hdr, err := pushHeader(m, r)
	if err != nil {
		return nil, err
	}
	var info *adminpb.ModelInfo
	err = c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		info, err = c.pushTo(ctx, n.admin, hdr, r, progress)
		return err
	})
	return info, err
}

// pushHeader reads r once for its size and digest.
func pushHeader(m Model, r io.ReadSeeker) (*adminpb.PushHeader, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("client: push: %w", err)
	}
	h := sha256.New()
	size, err := io.Copy(h, r)
	if err != nil {
		return nil, fmt.Errorf("client: push: %w", err)
	}
	return &adminpb.PushHeader{Name: m.Name, Version: m.Version, Task: m.Task, Accuracy: m.Accuracy, Labels: m.Labels,
		SizeBytes: size, Sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// pushTo sends what one node lacks of the upload.
func (c *Client) pushTo(ctx context.Context, admin adminpb.AdminServiceClient, hdr *adminpb.PushHeader, r io.ReadSeeker, report ProgressFunc) (*adminpb.ModelInfo, error) {
	off, err := admin.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: hdr.Sha256})
	if err != nil {
		return nil, err
	}
	if off.GetReceivedBytes() < 0 || off.GetReceivedBytes() > hdr.SizeBytes {
		return nil, fmt.Errorf("client: push: node holds %d bytes of a %d-byte upload", off.GetReceivedBytes(), hdr.SizeBytes)
	}
	h := proto.CloneOf(hdr) // per node: each resumes at its own offset
	h.Offset = off.GetReceivedBytes()
	if _, err := r.Seek(h.Offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("client: push: %w", err)
	}
	p := &progress{sent: h.Offset, total: h.SizeBytes, f: report}
	p.report(0)
	return sendPush(ctx, admin, h, r, c.cfg.PushChunkBytes, p)
}

// sendPush streams the header, then r in chunks.
func sendPush(ctx context.Context, admin adminpb.AdminServiceClient, hdr *adminpb.PushHeader, r io.Reader, chunkBytes int, p *progress) (*adminpb.ModelInfo, error) {
	stream, err := admin.PushModel(ctx)
	if err != nil {
		return nil, err
	}
	// A failed Send means the node ended the stream; CloseAndRecv says why.
	if stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: hdr}}) == nil {
		if err := sendChunks(stream, r, chunkBytes, p); err != nil {
			return nil, err
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetModel(), err
}

// sendChunks sends r until its end or a failed Send. Only an error reading
// r is returned: a failed Send is reported by CloseAndRecv.
func sendChunks(stream adminpb.AdminService_PushModelClient, r io.Reader, chunkBytes int, p *progress) error {
	buf := make([]byte, chunkBytes)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 && stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: buf[:n]}}) != nil {
			return nil
		}
		p.report(n)
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("client: push: %w", rerr)
		}
	}
}

// progress counts the bytes a node holds and reports them.
type progress struct {
	sent, total int64
	f           ProgressFunc
}

// report adds n sent bytes and tells f.
func (p *progress) report(n int) {
	p.sent += int64(n)
	if p.f != nil {
		p.f(p.sent, p.total)
	}
}
