package node

import "errors"

// Errors of the serving layer itself; status.go maps them, and the errors of
// the store, cache and runtime, to gRPC codes and HTTP statuses.
var (
	// ErrUnauthenticated: an admin call without the configured bearer token.
	ErrUnauthenticated = errors.New("node: missing or wrong bearer token")
	// ErrDraining: the node is shutting down and takes no new requests.
	ErrDraining = errors.New("node: draining, not accepting requests")
	// ErrTooLarge: a request or push chunk exceeds the configured limit.
	ErrTooLarge = errors.New("node: request too large")
	// ErrBadRequest: a malformed call (missing model name, bad header).
	ErrBadRequest = errors.New("node: bad request")
	// ErrResumeOffset: a push resumed at an offset the node does not hold.
	ErrResumeOffset = errors.New("node: push offset does not match the bytes held")
	// ErrModelRefused: a pushed model that the runtime cannot load; the
	// push keeps nothing of it.
	ErrModelRefused = errors.New("node: model refused")
	// ErrBusy: another push of the same file is in progress.
	ErrBusy = errors.New("node: busy")
	// ErrOverloaded: MaxInFlightRequests requests are being served already.
	ErrOverloaded = errors.New("node: overloaded, too many requests in flight")
	// ErrClientGone: the client closed the connection, or stalled past the
	// read timeout, before its request was read.
	ErrClientGone = errors.New("node: client closed or stalled the request")
	// ErrRequestMemory: the requests in flight hold the whole request
	// memory budget; retry later.
	ErrRequestMemory = errors.New("node: request memory budget in use, retry later")
	// ErrElsewhere is a model the cluster's catalog lists whose bytes no
	// peer could send.
	ErrElsewhere = errors.New("node: model bytes not available from any peer")
)
