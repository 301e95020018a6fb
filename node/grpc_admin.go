package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"github.com/edgeserve/edgeserve/store"
)

// adminServer implements the admin API. The auth interceptor has checked
// the bearer token before any method runs.
type adminServer struct {
	adminpb.UnimplementedAdminServiceServer
	n *Node
}

func (s adminServer) PushModel(stream adminpb.AdminService_PushModelServer) error {
	rec, err := s.n.push(stream.Context(), stream.Recv)
	if err != nil {
		return grpcError(err)
	}
	s.n.publishModel(stream.Context(), rec)
	info := s.n.modelInfo(rec)
	if info.StoredOn, err = s.n.replicate(stream.Context(), rec); err != nil {
		return grpcError(err)
	}
	return stream.SendAndClose(&adminpb.PushModelResponse{Model: info})
}

func (s adminServer) PushOffset(_ context.Context, req *adminpb.PushOffsetRequest) (*adminpb.PushOffsetResponse, error) {
	n, err := s.n.pushes.offset(req.GetSha256())
	return &adminpb.PushOffsetResponse{ReceivedBytes: n}, grpcError(err)
}

func (s adminServer) DeleteModel(ctx context.Context, req *adminpb.DeleteModelRequest) (*adminpb.DeleteModelResponse, error) {
	return &adminpb.DeleteModelResponse{}, grpcError(s.n.remove(ctx, req.GetName(), req.GetVersion()))
}

func (s adminServer) ListModels(ctx context.Context, _ *adminpb.ListModelsRequest) (*adminpb.ListModelsResponse, error) {
	entries, err := s.n.index(ctx, false)
	if err != nil {
		return nil, grpcError(err)
	}
	resp := &adminpb.ListModelsResponse{}
	for _, e := range entries {
		mi := s.n.modelInfo(e.Record)
		mi.StoredAt = e.Origin
		resp.Models = append(resp.Models, mi)
	}
	return resp, nil
}

func (s adminServer) LoadModel(ctx context.Context, req *adminpb.LoadModelRequest) (*adminpb.LoadModelResponse, error) {
	took, err := s.n.load(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, grpcError(err)
	}
	return &adminpb.LoadModelResponse{LoadTimeUs: took.Microseconds()}, nil
}

func (s adminServer) UnloadModel(ctx context.Context, req *adminpb.UnloadModelRequest) (*adminpb.UnloadModelResponse, error) {
	return &adminpb.UnloadModelResponse{}, grpcError(s.n.unload(ctx, req.GetName(), req.GetVersion()))
}

func (n *Node) modelInfo(r store.Record) *adminpb.ModelInfo {
	return &adminpb.ModelInfo{Name: r.Name, Version: versionString(r), Sha256: r.Digest.Hex(),
		SizeBytes: r.SizeBytes, Task: r.Task, Accuracy: r.Accuracy, Labels: r.Labels, Loaded: n.cache.Resident(r.Ref())}
}

// push receives one PushModel stream: a header, then chunks written into
// the store's upload; once the declared size is held it is committed, if
// the runtime can load it (checkLoad).
func (n *Node) push(ctx context.Context, recv func() (*adminpb.PushModelRequest, error)) (store.Record, error) {
	first, err := recv()
	if err != nil {
		return store.Record{}, err
	}
	h, err := n.pushHeader(first.GetHeader())
	if err != nil {
		return store.Record{}, err
	}
	u, done, err := n.pushes.begin(ctx, h)
	if err != nil {
		return store.Record{}, err
	}
	next := func() ([]byte, error) {
		m, err := recv()
		if err != nil {
			return nil, err
		}
		return m.GetChunk(), nil
	}
	if err := write(ctx, u, next, h); err != nil {
		done(errors.Is(err, ErrBadRequest)) // an overrun discarded the upload
		return store.Record{}, err
	}
	defer done(true) // a commit, failed or not, ends the upload
	meta := h.Meta
	meta.Check = n.checkLoad(meta.Name)
	rec, err := u.Commit(ctx, meta)
	if err != nil {
		_ = u.Abort()
		return store.Record{}, err
	}
	return rec, nil
}

// pushHeader validates the header and turns it into store metadata.
func (n *Node) pushHeader(h *adminpb.PushHeader) (pushHeader, error) {
	if h == nil {
		return pushHeader{}, fmt.Errorf("%w: the first push message must be the header", ErrBadRequest)
	}
	if err := checkRef(h.GetName(), ""); err != nil {
		return pushHeader{}, err
	}
	if err := store.ValidateName(h.GetName()); err != nil {
		return pushHeader{}, err
	}
	d, err := store.ParseDigest(h.GetSha256())
	if err != nil {
		return pushHeader{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if h.GetSizeBytes() <= 0 || h.GetOffset() < 0 || h.GetOffset() > h.GetSizeBytes() {
		return pushHeader{}, fmt.Errorf("%w: size %d, offset %d", ErrBadRequest, h.GetSizeBytes(), h.GetOffset())
	}
	var version int64
	if h.GetVersion() != "" {
		if version, err = strconv.ParseInt(h.GetVersion(), 10, 64); err != nil || version <= 0 {
			return pushHeader{}, fmt.Errorf("%w: version %q is not a positive integer", ErrBadRequest, h.GetVersion())
		}
	}
	meta := store.ModelMeta{Name: h.GetName(), Version: version, Task: h.GetTask(), Accuracy: h.GetAccuracy(), Labels: h.GetLabels(),
		SizeBytes: h.GetSizeBytes(), Digest: d}
	return pushHeader{Meta: meta, Offset: h.GetOffset()}, nil
}
