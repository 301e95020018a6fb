package node

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/gossip/gossippb"
	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"github.com/edgeserve/edgeserve/store"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// replicate makes a model pushed here durable on Cluster.Replicas nodes in
// all (this one included), asking peers in other sites first, then the
// nearest, to store it. It returns the nodes that hold it. Fewer live
// peers than needed is not an error (the cluster is smaller than the
// setting, logged); peers that exist but all fail are.
func (n *Node) replicate(ctx context.Context, rec store.Record) ([]string, error) {
	if n.cluster == nil {
		return []string{n.name()}, nil
	}
	on := []string{n.name()}
	want := n.cfg.Cluster.Replicas - 1
	cands := n.replicaCandidates()
	body, err := proto.Marshal(n.catalogRecord(ctx, rec))
	if err != nil {
		return on, fmt.Errorf("node: replicate %s: %w", rec.Ref(), err)
	}
	var errs []error
	for _, m := range cands {
		if len(on)-1 >= want {
			break
		}
		if err := n.replicateTo(ctx, m, body); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			continue
		}
		on = append(on, m.Name)
	}
	switch {
	case len(on)-1 >= want:
		return on, nil
	case len(errs) == 0:
		n.log.Warn("cluster: fewer live peers than replicas; the model is stored on all there are",
			zap.String("model", rec.Ref()), zap.Strings("stored_on", on), zap.Int("replicas", n.cfg.Cluster.Replicas))
		return on, nil
	default:
		return on, fmt.Errorf("%w: %s is stored on %v only: %w", ErrElsewhere, rec.Ref(), on, errors.Join(errs...))
	}
}

// replicaCandidates are the live peers, those in other sites first, each
// group nearest first.
func (n *Node) replicaCandidates() []gossip.Member {
	site := n.cluster.g.Self().Site
	var out []gossip.Member
	for _, m := range n.cluster.g.Members() {
		if !m.Self && m.Health == gossip.Alive && m.Services.PeerAddr != "" {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b gossip.Member) int {
		if (a.Site == site) != (b.Site == site) {
			if a.Site != site {
				return -1
			}
			return 1
		}
		return gossip.NearestFirst(a, b)
	})
	return out
}

func (n *Node) replicateTo(ctx context.Context, m gossip.Member, record []byte) error {
	cc, err := n.peers.conn(m.Services.PeerAddr)
	if err != nil {
		return err
	}
	_, err = peerpb.NewPeerServiceClient(cc).Replicate(n.withClusterSecret(ctx), &peerpb.ReplicateRequest{Record: record, From: n.name()})
	return err
}

// Replicate stores a model another node was pushed, from that node first.
func (s peerServer) Replicate(ctx context.Context, req *peerpb.ReplicateRequest) (*peerpb.ReplicateResponse, error) {
	r, err := decodeReplicaRecord(req.GetRecord())
	if err != nil {
		return nil, grpcError(err)
	}
	if _, err := s.n.fetchModelFrom(ctx, r, req.GetFrom()); err != nil {
		return nil, grpcError(err)
	}
	return &peerpb.ReplicateResponse{Node: s.n.name()}, nil
}

// decodeReplicaRecord reads and checks the record of a Replicate call.
func decodeReplicaRecord(b []byte) (*gossippb.ModelRecord, error) {
	r := &gossippb.ModelRecord{}
	if err := proto.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%w: replicate: record: %v", ErrBadRequest, err)
	}
	if err := store.ValidateName(r.Name); err != nil {
		return nil, fmt.Errorf("%w: replicate: %w", ErrBadRequest, err)
	}
	if r.Version <= 0 || len(r.Digest) != 32 || r.SizeBytes <= 0 {
		return nil, fmt.Errorf("%w: replicate: record %q needs a version, a sha256 digest and a size", ErrBadRequest, r.Name)
	}
	return r, nil
}
