package node

import (
	"context"
	"crypto/subtle"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// clusterSecretKey is the gRPC metadata key of the cluster secret.
const clusterSecretKey = "edgeserve-cluster-secret"

func isPeerMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/edgeserve.peer.v1.PeerService/")
}

// peerAuth admits a node-to-node call: with a cluster secret configured,
// the call must carry it; else with mutual TLS, the verified client
// certificate is the credential; else (a loopback-only cluster) only a
// caller on loopback. Anyone else gets nothing.
func (n *Node) peerAuth(ctx context.Context) error {
	if n.cluster == nil {
		return grpcError(ErrUnauthenticated)
	}
	if secret := n.cfg.Cluster.Secret; secret != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		for _, v := range md.Get(clusterSecretKey) {
			if subtle.ConstantTimeCompare([]byte(v), []byte(secret)) == 1 {
				return nil
			}
		}
		return grpcError(ErrUnauthenticated)
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return grpcError(ErrUnauthenticated)
	}
	if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 {
		return nil
	}
	if n.cfg.Server.TLSClientCAFile == "" && IsLoopback(p.Addr.String()) {
		return nil
	}
	return grpcError(ErrUnauthenticated)
}

// withClusterSecret adds the secret to an outgoing peer call.
func (n *Node) withClusterSecret(ctx context.Context) context.Context {
	if s := n.cfg.Cluster.Secret; s != "" {
		return metadata.AppendToOutgoingContext(ctx, clusterSecretKey, s)
	}
	return ctx
}
