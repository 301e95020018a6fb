package node

import (
	"context"
	"errors"
	"net/http"
	"syscall"

	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/variant"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// outcome is how one error class is reported: its gRPC code, HTTP status
// and the reason label of the failure metric.
type outcome struct {
	code   codes.Code
	http   int
	reason string
}

// outcomes is the single table from typed errors to wire statuses, checked
// in order (the first match wins, so more specific errors come first).
var outcomes = []struct {
	err error
	out outcome
}{
	{ErrUnauthenticated, outcome{codes.Unauthenticated, http.StatusUnauthorized, "unauthenticated"}},
	// A body the client stopped sending fails its decoder too: report the
	// client, not the decode error it caused.
	{ErrClientGone, outcome{codes.Canceled, 499, "client_closed"}},
	// A pushed model the runtime cannot load: the push was wrong.
	{ErrModelRefused, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_model"}},
	// A stored model the runtime cannot load fails the same way every
	// time, backing off or not: no retry helps.
	{runtime.ErrInvalidModel, outcome{codes.FailedPrecondition, http.StatusBadRequest, "invalid_model"}},
	// A back-off wraps the load error that caused it: report the back-off.
	{cache.ErrBackoff, outcome{codes.Unavailable, http.StatusServiceUnavailable, "load_backoff"}},
	{ErrBadRequest, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_argument"}},
	{runtime.ErrInvalidInput, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_input"}},
	{store.ErrInvalidName, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_argument"}},
	{store.ErrInvalidMeta, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_argument"}},
	{store.ErrNotONNX, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_model"}},
	{store.ErrExternalData, outcome{codes.InvalidArgument, http.StatusBadRequest, "invalid_model"}},
	{store.ErrDigestMismatch, outcome{codes.InvalidArgument, http.StatusBadRequest, "digest_mismatch"}},
	{store.ErrSizeMismatch, outcome{codes.InvalidArgument, http.StatusBadRequest, "size_mismatch"}},
	{ErrElsewhere, outcome{codes.Unavailable, http.StatusServiceUnavailable, "peers_unavailable"}},
	{store.ErrNotFound, outcome{codes.NotFound, http.StatusNotFound, "not_found"}},
	{variant.ErrNoVariant, outcome{codes.NotFound, http.StatusNotFound, "no_variant"}},
	{store.ErrExists, outcome{codes.AlreadyExists, http.StatusConflict, "exists"}},
	{ErrResumeOffset, outcome{codes.FailedPrecondition, http.StatusConflict, "resume_offset"}},
	{store.ErrOffsetMismatch, outcome{codes.FailedPrecondition, http.StatusConflict, "resume_offset"}},
	{ErrBusy, outcome{codes.Aborted, http.StatusConflict, "busy"}},
	{ErrRequestMemory, outcome{codes.ResourceExhausted, http.StatusTooManyRequests, "request_memory"}},
	{ErrOverloaded, outcome{codes.ResourceExhausted, http.StatusTooManyRequests, "overloaded"}},
	{ErrTooLarge, outcome{codes.ResourceExhausted, http.StatusRequestEntityTooLarge, "too_large"}},
	{store.ErrTooLarge, outcome{codes.ResourceExhausted, http.StatusRequestEntityTooLarge, "too_large"}},
	{store.ErrQuotaExceeded, outcome{codes.ResourceExhausted, http.StatusInsufficientStorage, "disk_full"}},
	{store.ErrDiskFull, outcome{codes.ResourceExhausted, http.StatusInsufficientStorage, "disk_full"}},
	{syscall.ENOSPC, outcome{codes.ResourceExhausted, http.StatusInsufficientStorage, "disk_full"}},
	{syscall.EDQUOT, outcome{codes.ResourceExhausted, http.StatusInsufficientStorage, "disk_full"}},
	{cache.ErrTooLarge, outcome{codes.ResourceExhausted, http.StatusInsufficientStorage, "memory_full"}},
	{cache.ErrNoCapacity, outcome{codes.ResourceExhausted, http.StatusTooManyRequests, "no_capacity"}},
	{cache.ErrClosed, outcome{codes.Unavailable, http.StatusServiceUnavailable, "draining"}},
	{ErrDraining, outcome{codes.Unavailable, http.StatusServiceUnavailable, "draining"}},
	{store.ErrClosed, outcome{codes.Unavailable, http.StatusServiceUnavailable, "draining"}},
	{runtime.ErrClosed, outcome{codes.Unavailable, http.StatusServiceUnavailable, "unavailable"}},
	{runtime.ErrUnavailable, outcome{codes.Unavailable, http.StatusServiceUnavailable, "unavailable"}},
	{store.ErrCorrupt, outcome{codes.DataLoss, http.StatusInternalServerError, "corrupt"}},
	{context.DeadlineExceeded, outcome{codes.DeadlineExceeded, http.StatusGatewayTimeout, "deadline"}},
	{context.Canceled, outcome{codes.Canceled, 499, "canceled"}},
}

// classify maps err to its outcome; unknown errors are Internal/500.
func classify(err error) outcome {
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return outcome{s.Code(), httpStatus(s.Code()), "grpc_" + s.Code().String()}
	}
	for _, o := range outcomes {
		if errors.Is(err, o.err) {
			return o.out
		}
	}
	return outcome{codes.Internal, http.StatusInternalServerError, "internal"}
}

// httpStatus is the HTTP status of a gRPC code, for errors that arrive as
// gRPC statuses (google.rpc.Code's documented HTTP mapping; 499 is the
// de-facto status of a request the client cancelled). Others are 500.
func httpStatus(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499
	case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// grpcError converts err into a gRPC status error carrying its message,
// without server file paths.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	return status.Error(classify(err).code, scrub(err.Error()))
}
