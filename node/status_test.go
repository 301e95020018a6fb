package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestClassify is the error mapping table: wrapped errors of every layer
// reach the right gRPC code and HTTP status.
func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("node: model %q: %w", "m", err) }
	tests := []struct {
		err  error
		code codes.Code
		http int
	}{
		{wrap(runtime.ErrInvalidInput), codes.InvalidArgument, http.StatusBadRequest},
		// A stored model that cannot load: permanent, not the request's fault.
		{wrap(runtime.ErrInvalidModel), codes.FailedPrecondition, http.StatusBadRequest},
		// A pushed model that cannot load: the push was wrong.
		{wrap(fmt.Errorf("%w: %w", ErrModelRefused, runtime.ErrInvalidModel)), codes.InvalidArgument, http.StatusBadRequest},
		{wrap(store.ErrExternalData), codes.InvalidArgument, http.StatusBadRequest},
		{wrap(ErrBadRequest), codes.InvalidArgument, http.StatusBadRequest},
		{wrap(store.ErrInvalidName), codes.InvalidArgument, http.StatusBadRequest},
		{wrap(&store.DigestMismatchError{}), codes.InvalidArgument, http.StatusBadRequest},
		{wrap(store.ErrNotFound), codes.NotFound, http.StatusNotFound},
		{wrap(store.ErrExists), codes.AlreadyExists, http.StatusConflict},
		{wrap(ErrResumeOffset), codes.FailedPrecondition, http.StatusConflict},
		{wrap(ErrTooLarge), codes.ResourceExhausted, http.StatusRequestEntityTooLarge},
		{wrap(store.ErrDiskFull), codes.ResourceExhausted, http.StatusInsufficientStorage},
		{wrap(&os.PathError{Op: "write", Path: "f", Err: syscall.ENOSPC}), codes.ResourceExhausted, http.StatusInsufficientStorage},
		{wrap(store.ErrOffsetMismatch), codes.FailedPrecondition, http.StatusConflict},
		{wrap(store.ErrQuotaExceeded), codes.ResourceExhausted, http.StatusInsufficientStorage},
		{wrap(&cache.TooLargeError{}), codes.ResourceExhausted, http.StatusInsufficientStorage},
		{wrap(cache.ErrNoCapacity), codes.ResourceExhausted, http.StatusTooManyRequests},
		{wrap(&cache.BackoffError{Err: runtime.ErrInvalidModel}), codes.FailedPrecondition, http.StatusBadRequest},
		{wrap(&cache.BackoffError{Err: runtime.ErrUnavailable}), codes.Unavailable, http.StatusServiceUnavailable},
		{wrap(&cache.BackoffError{Err: context.DeadlineExceeded}), codes.Unavailable, http.StatusServiceUnavailable},
		{wrap(cache.ErrClosed), codes.Unavailable, http.StatusServiceUnavailable},
		{wrap(ErrDraining), codes.Unavailable, http.StatusServiceUnavailable},
		{wrap(runtime.ErrUnavailable), codes.Unavailable, http.StatusServiceUnavailable},
		{wrap(runtime.ErrClosed), codes.Unavailable, http.StatusServiceUnavailable},
		{wrap(context.DeadlineExceeded), codes.DeadlineExceeded, http.StatusGatewayTimeout},
		{wrap(context.Canceled), codes.Canceled, 499},
		{wrap(ErrUnauthenticated), codes.Unauthenticated, http.StatusUnauthorized},
		{wrap(store.ErrCorrupt), codes.DataLoss, http.StatusInternalServerError},
		{errors.New("something else"), codes.Internal, http.StatusInternalServerError},
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max"), codes.ResourceExhausted, http.StatusTooManyRequests},
		{status.Error(codes.InvalidArgument, "bad"), codes.InvalidArgument, http.StatusBadRequest},
		{status.Error(codes.NotFound, "gone"), codes.NotFound, http.StatusNotFound},
		{status.Error(codes.Unavailable, "down"), codes.Unavailable, http.StatusServiceUnavailable},
		{status.Error(codes.DeadlineExceeded, "late"), codes.DeadlineExceeded, http.StatusGatewayTimeout},
		{status.Error(codes.Unauthenticated, "who"), codes.Unauthenticated, http.StatusUnauthorized},
		{status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied, http.StatusForbidden},
		{status.Error(codes.FailedPrecondition, "not now"), codes.FailedPrecondition, http.StatusBadRequest},
		{status.Error(codes.Canceled, "stop"), codes.Canceled, 499},
		{fmt.Errorf("node: peer: %w", status.Error(codes.Unavailable, "down")), codes.Unavailable, http.StatusServiceUnavailable},
		{status.Error(codes.DataLoss, "lost"), codes.DataLoss, http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			o := classify(tc.err)
			if o.code != tc.code || o.http != tc.http {
				t.Fatalf("classify = %v/%d, want %v/%d", o.code, o.http, tc.code, tc.http)
			}
			if st := status.Convert(grpcError(tc.err)); st.Code() != tc.code || st.Message() != tc.err.Error() {
				t.Fatalf("grpcError = %v", st)
			}
		})
	}
	if grpcError(nil) != nil {
		t.Fatal("grpcError(nil) != nil")
	}
}
