package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc"
)

// inflight bounds the requests being served at once: a request that finds
// every slot taken is refused at once (ErrOverloaded) rather than queued.
// Health probes are not counted, so a busy node still reports live.
type inflight struct {
	slots   chan struct{}
	metrics *metrics
}

func newInflight(limit int, m *metrics) inflight {
	return inflight{slots: make(chan struct{}, limit), metrics: m}
}

// acquire takes a slot, or counts a refusal and returns ErrOverloaded.
func (f inflight) acquire() error {
	select {
	case f.slots <- struct{}{}:
		return nil
	default:
		f.metrics.refused.Inc()
		return fmt.Errorf("%w: %d requests in flight", ErrOverloaded, cap(f.slots))
	}
}

func (f inflight) release() { <-f.slots }

// isProbe reports the health calls that are never refused.
func isProbe(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		fullMethod == "/inference.GRPCInferenceService/ServerLive" ||
		fullMethod == "/inference.GRPCInferenceService/ServerReady"
}

func (f inflight) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if isProbe(info.FullMethod) {
		return h(ctx, req)
	}
	if err := f.acquire(); err != nil {
		return nil, grpcError(err)
	}
	defer f.release()
	return h(ctx, req)
}

func (f inflight) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if isProbe(info.FullMethod) {
		return h(srv, ss)
	}
	if err := f.acquire(); err != nil {
		return grpcError(err)
	}
	defer f.release()
	return h(srv, ss)
}

// http bounds the HTTP requests in flight, health probes excepted.
func (f inflight) http(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/health/") {
			h.ServeHTTP(w, r)
			return
		}
		if err := f.acquire(); err != nil {
			w.Header().Set("Retry-After", "1")
			writeError(w, err)
			return
		}
		defer f.release()
		h.ServeHTTP(w, r)
	})
}

// withClientBody marks a failure to read the request body (the client
// closed the connection or stalled past the read timeout) as ErrClientGone,
// so that it is reported as the client's doing, not as an internal error.
func withClientBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = clientBody{r.Body}
		h.ServeHTTP(w, r)
	})
}

type clientBody struct{ io.ReadCloser }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		// %v, not %w: a decoder must not take the cut for a short body
		// (io.ErrUnexpectedEOF), which would be the client's malformed input.
		err = fmt.Errorf("%w: reading the request body: %v", ErrClientGone, err)
	}
	return n, err
}
