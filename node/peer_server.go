package node

import (
	"errors"
	"io"

	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"github.com/edgeserve/edgeserve/store"
	"go.uber.org/zap"
)

// peerChunkBytes is the size of one blob chunk sent to a peer.
const peerChunkBytes = 1 << 20

// peerServer is the node-to-node service (peerAuth admits its callers).
type peerServer struct {
	peerpb.UnimplementedPeerServiceServer
	n *Node
}

// FetchBlob streams a stored blob. The whole blob is read and hashed even
// when the caller resumes at an offset, so a corrupt copy is caught here
// (quarantined, DATA_LOSS) rather than passed on; the node then repairs it
// from another holder.
func (s peerServer) FetchBlob(req *peerpb.FetchBlobRequest, stream peerpb.PeerService_FetchBlobServer) error {
	d, err := digestOf(req.GetSha256())
	if err != nil {
		return grpcError(err)
	}
	r, size, err := s.n.store.OpenBlob(stream.Context(), d)
	if err != nil {
		return grpcError(err)
	}
	defer r.Close()
	if req.GetOffset() < 0 || req.GetOffset() > size {
		return grpcError(store.ErrOffsetMismatch)
	}
	if _, err := io.CopyN(io.Discard, r, req.GetOffset()); err != nil {
		return grpcError(err)
	}
	buf := make([]byte, peerChunkBytes)
	first := true
	for {
		k, rerr := io.ReadFull(r, buf)
		if k > 0 || first {
			msg := &peerpb.BlobChunk{Data: buf[:k]}
			if first {
				msg.SizeBytes, first = size, false
			}
			if err := stream.Send(msg); err != nil {
				return err
			}
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF):
			return nil
		case errors.Is(rerr, store.ErrCorrupt):
			s.n.log.Error("cluster: a blob asked for by a peer is corrupt; repairing it from another holder", zap.Stringer("digest", d))
			s.n.repairLater(d)
			return grpcError(rerr)
		default:
			return grpcError(rerr)
		}
	}
}

// digestOf reads a raw sha256 digest.
func digestOf(b []byte) (store.Digest, error) {
	var d store.Digest
	if len(b) != len(d) {
		return d, errors.Join(ErrBadRequest, errors.New("node: a sha256 digest is 32 bytes"))
	}
	copy(d[:], b)
	return d, nil
}
