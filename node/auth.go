package node

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// adminMethods need the bearer token: every admin RPC, and the repository
// extension's load and unload, which change what the node holds.
func isAdminMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/edgeserve.admin.v1.AdminService/") ||
		fullMethod == "/inference.GRPCInferenceService/RepositoryModelLoad" ||
		fullMethod == "/inference.GRPCInferenceService/RepositoryModelUnload"
}

// tokenOK compares "Bearer <token>" with the configured token in constant
// time; the scheme is case-insensitive (RFC 9110, section 11.1). With no
// token configured (only on loopback or with InsecureAdmin; see
// Config.validate) every call is allowed.
func (n *Node) tokenOK(header string) bool {
	if n.cfg.Server.AdminToken == "" {
		return true
	}
	got, ok := bearerToken(header)
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(n.cfg.Server.AdminToken)) == 1
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// value, whatever the case of the scheme.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}

func (n *Node) grpcAuth(ctx context.Context, fullMethod string) error {
	if isPeerMethod(fullMethod) {
		return n.peerAuth(ctx)
	}
	if !isAdminMethod(fullMethod) || n.cfg.Server.AdminToken == "" {
		return nil // no token: Config.validate allowed an open admin API
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if n.tokenOK(v) {
			return nil
		}
	}
	return grpcError(ErrUnauthenticated)
}

func (n *Node) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := n.grpcAuth(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (n *Node) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := n.grpcAuth(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

// requireToken guards an HTTP admin handler.
func (n *Node) requireToken(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !n.tokenOK(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, ErrUnauthenticated)
			return
		}
		h(w, r)
	}
}
