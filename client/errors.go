package client

import (
	"fmt"

	"google.golang.org/grpc/status"
)

// NodeError is the failure of a call to one node. status.Code and
// errors.Is see through it to the node's error.
type NodeError struct {
	Addr string
	Err  error
}

// Error names the node and, for a gRPC status, its code's name and
// message without gRPC's "rpc error: code = ..." wrapping.
func (e *NodeError) Error() string {
	if s, ok := status.FromError(e.Err); ok {
		return fmt.Sprintf("client: %s: %s: %s", e.Addr, s.Code(), s.Message())
	}
	return fmt.Sprintf("client: %s: %v", e.Addr, e.Err)
}

func (e *NodeError) Unwrap() error { return e.Err }

// nodeError wraps a non-nil err in a NodeError for addr.
func nodeError(addr string, err error) error {
	if err == nil {
		return nil
	}
	return &NodeError{Addr: addr, Err: err}
}
