package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/gossip/gossippb"
	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"github.com/edgeserve/edgeserve/store"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// maxFetchAttempts bounds the holders one fetch tries.
const maxFetchAttempts = 8

// repairTimeout bounds a background repair of a corrupt blob.
const repairTimeout = 5 * time.Minute

// peers are the node's connections to other nodes, opened on first use.
type peers struct {
	creds   credentials.TransportCredentials
	rewrite func(string) string // Deps.PeerAddr
	flight  singleflight.Group  // one fetch per digest at a time
	// window and connWindow are the HTTP/2 windows of the connections
	// (ServerConfig.GRPCWindowBytes; 0: grpc-go's own).
	window, connWindow int32

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn // guarded by mu; by address
}

// newPeers dials peers with TLS when the node serves TLS: the node's own
// certificate is its client certificate, and the CAs of TLSClientCAFile
// (the cluster's CA under mutual TLS) verify the peer.
func newPeers(c ServerConfig, peerCAFile string) (*peers, error) {
	p := &peers{creds: insecure.NewCredentials(), conns: map[string]*grpc.ClientConn{}}
	p.window, p.connWindow = c.grpcWindows()
	srv, err := c.serverTLS()
	if err != nil || srv == nil {
		return p, err
	}
	cfg := &tls.Config{Certificates: srv.Certificates, MinVersion: tls.VersionTLS12, RootCAs: srv.ClientCAs}
	if peerCAFile != "" { // peers' server certificates from a private CA, without mutual TLS
		if cfg.RootCAs, err = loadCAs(peerCAFile); err != nil {
			return nil, err
		}
	}
	p.creds = credentials.NewTLS(cfg)
	return p, nil
}

func (p *peers) conn(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.conns[addr]; c != nil {
		return c, nil
	}
	target := addr
	if p.rewrite != nil {
		target = p.rewrite(addr)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(p.creds)}
	if p.window > 0 {
		opts = append(opts, grpc.WithInitialWindowSize(p.window), grpc.WithInitialConnWindowSize(p.connWindow))
	}
	c, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("node: dial peer %s: %w", addr, err)
	}
	p.conns[addr] = c
	return c, nil
}

func (p *peers) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for a, c := range p.conns {
		c.Close()
		delete(p.conns, a)
	}
}

// fetchModel stores the catalog's record r here, its bytes from the
// nearest peer that holds them. Concurrent fetches of one blob share one.
func (n *Node) fetchModel(ctx context.Context, r *gossippb.ModelRecord) (store.Record, error) {
	return n.fetchModelFrom(ctx, r, "")
}

// fetchModelFrom is fetchModel trying the peer named prefer first.
func (n *Node) fetchModelFrom(ctx context.Context, r *gossippb.ModelRecord, prefer string) (store.Record, error) {
	v, err, _ := n.peers.flight.Do(string(r.Digest), func() (any, error) { return n.fetch(ctx, r, prefer) })
	if err != nil {
		return store.Record{}, err
	}
	return v.(store.Record), nil
}

func (n *Node) fetch(ctx context.Context, r *gossippb.ModelRecord, prefer string) (store.Record, error) {
	d, err := digestOf(r.Digest)
	if err != nil {
		return store.Record{}, err
	}
	start := time.Now()
	var errs []error
	for _, m := range n.blobHolders(r, prefer) {
		rec, err := n.fetchFrom(ctx, m, r, d)
		if err == nil {
			n.metrics.peerFetch("ok")
			n.log.Info("cluster: model fetched", zap.String("model", rec.Ref()), zap.String("from", m.Name),
				zap.Int64("bytes", rec.SizeBytes), zap.Duration("took", time.Since(start)))
			return rec, nil
		}
		n.metrics.peerFetch("failed")
		errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		if ctx.Err() != nil || errors.Is(err, store.ErrQuotaExceeded) || errors.Is(err, store.ErrDiskFull) || errors.Is(err, ErrModelRefused) {
			break
		}
	}
	if len(errs) == 0 {
		return store.Record{}, fmt.Errorf("%w: %s:%d: no live peer holds it", ErrElsewhere, r.Name, r.Version)
	}
	return store.Record{}, fmt.Errorf("%w: fetch %s:%d: %w", ErrElsewhere, r.Name, r.Version, errors.Join(errs...))
}

// blobHolders are the live peers to try, the likely holders first (the
// node the model was pushed to, nodes that gossip storing it or have it
// loaded), each group nearest first.
func (n *Node) blobHolders(r *gossippb.ModelRecord, prefer string) []gossip.Member {
	_, origin, _, _ := n.cluster.g.Model(r.Name, r.Version)
	ref := fmt.Sprintf("%s:%d", r.Name, r.Version)
	var likely, others []gossip.Member
	for _, m := range n.cluster.g.Members() {
		if m.Self || m.Health != gossip.Alive || m.Services.PeerAddr == "" {
			continue
		}
		if m.Name == prefer {
			likely = append([]gossip.Member{m}, likely...)
		} else if m.Name == origin || m.Has(ref) || m.Stores(ref) {
			likely = append(likely, m)
		} else {
			others = append(others, m)
		}
	}
	preferred := len(likely) > 0 && likely[0].Name == prefer
	if preferred {
		slices.SortStableFunc(likely[1:], gossip.NearestFirst)
	} else {
		slices.SortStableFunc(likely, gossip.NearestFirst)
	}
	slices.SortStableFunc(others, gossip.NearestFirst)
	out := append(likely, others...)
	return out[:min(len(out), maxFetchAttempts)]
}

// fetchFrom streams the blob from m into an upload (resuming what an
// earlier holder sent) and commits r's record over it.
func (n *Node) fetchFrom(ctx context.Context, m gossip.Member, r *gossippb.ModelRecord, d store.Digest) (store.Record, error) {
	up, err := n.store.BeginUpload(ctx, d, r.SizeBytes)
	if err != nil {
		return store.Record{}, err
	}
	cc, err := n.peers.conn(m.Services.PeerAddr)
	if err != nil {
		return store.Record{}, err
	}
	stream, err := peerpb.NewPeerServiceClient(cc).FetchBlob(n.withClusterSecret(ctx), &peerpb.FetchBlobRequest{Sha256: d[:], Offset: up.Offset()})
	if err != nil {
		return store.Record{}, err
	}
	if err := n.receive(ctx, stream, up, r.SizeBytes); err != nil {
		if status.Code(err) == codes.DataLoss {
			up.Abort() // the holder's copy is corrupt: so may be what it sent
		}
		return store.Record{}, err
	}
	meta := metaOf(fromCatalog(r))
	meta.Check = n.checkLoad(r.Name)
	return up.Commit(ctx, meta)
}

// receive writes a FetchBlob stream into up.
func (n *Node) receive(ctx context.Context, stream peerpb.PeerService_FetchBlobClient, up *store.Upload, size int64) error {
	for first := true; ; first = false {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if up.Offset() != size {
				return fmt.Errorf("%w: the peer sent %d of %d bytes", store.ErrSizeMismatch, up.Offset(), size)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if first && msg.SizeBytes != size {
			return fmt.Errorf("%w: the peer holds %d bytes, the catalog says %d", store.ErrSizeMismatch, msg.SizeBytes, size)
		}
		if _, err := up.Write(ctx, bytes.NewReader(msg.Data), up.Offset()); err != nil {
			return err
		}
	}
}

// metaOf is a record as a commit's metadata (same version and digest).
func metaOf(r store.Record) store.ModelMeta {
	return store.ModelMeta{Name: r.Name, Version: r.Version, Task: r.Task, Accuracy: r.Accuracy, Parameters: r.Parameters,
		Labels: r.Labels, Inputs: r.Inputs, Outputs: r.Outputs, MaxBatchSize: r.MaxBatchSize, Platform: r.Platform,
		SizeBytes: r.SizeBytes, Digest: r.Digest}
}

// repairLater fetches blob d again, in the background, for the records
// that reference it (its copy here was found corrupt and quarantined).
func (n *Node) repairLater(d store.Digest) {
	if n.cluster == nil {
		return
	}
	n.bg.Go(func() {
		ctx, cancel := context.WithTimeout(n.bgCtx, repairTimeout)
		defer cancel()
		recs, err := n.store.List(ctx)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Digest != d {
				continue
			}
			if _, err := n.fetchModel(ctx, toCatalog(r)); err != nil {
				n.log.Warn("cluster: repair of a corrupt blob failed", zap.String("model", r.Ref()), zap.Error(err))
			} else {
				n.log.Info("cluster: corrupt blob repaired from a peer", zap.String("model", r.Ref()))
			}
			return
		}
	})
}
