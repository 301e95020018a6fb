package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	pb "github.com/edgeserve/edgeserve/proto/inference"
)

// Client calls a list of nodes, falling back from one to the next. It is
// safe for concurrent use.
type Client struct {
	cfg   Config
	nodes []node
	// first is the index of the node tried first: the last that answered.
	first atomic.Int32
}

// node is one address and its connection.
type node struct {
	addr  string
	conn  *grpc.ClientConn
	admin adminpb.AdminServiceClient
	infer pb.GRPCInferenceServiceClient
}

// Dial validates cfg and prepares a connection to each address. Nothing is
// dialled until the first call; Close releases the connections.
func Dial(cfg Config) (*Client, error) {
	cfg.Addrs = append([]string(nil), cfg.Addrs...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	creds, err := cfg.credentials()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxRecvBytes))}
	if cfg.Dialer != nil {
		opts = append(opts, grpc.WithContextDialer(cfg.Dialer))
	}
	c := &Client{cfg: cfg}
	for _, addr := range cfg.Addrs {
		conn, err := grpc.NewClient(addr, opts...)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("client: %s: %w", addr, err)
		}
		c.nodes = append(c.nodes, node{addr: addr, conn: conn,
			admin: adminpb.NewAdminServiceClient(conn), infer: pb.NewGRPCInferenceServiceClient(conn)})
	}
	return c, nil
}

// Close closes every connection.
func (c *Client) Close() error {
	var errs []error
	for _, n := range c.nodes {
		errs = append(errs, n.conn.Close())
	}
	return errors.Join(errs...)
}

// Addrs are the node addresses, in the order of the configuration.
func (c *Client) Addrs() []string { return append([]string(nil), c.cfg.Addrs...) }

// each runs call against each node in turn, starting with the last one
// that answered, until one answers. Only a node that cannot be reached
// (Unavailable) moves on to the next; any other error is the answer. When
// none answers, the error joins every node's.
func (c *Client) each(ctx context.Context, call func(context.Context, *node) error) error {
	var errs []error
	first := int(c.first.Load())
	for i := range c.nodes {
		k := (first + i) % len(c.nodes)
		err := call(ctx, &c.nodes[k])
		if status.Code(err) != codes.Unavailable {
			c.first.Store(int32(k))
			return nodeError(c.nodes[k].addr, err)
		}
		errs = append(errs, nodeError(c.nodes[k].addr, err))
	}
	return errors.Join(errs...)
}

// eachAdmin is each for admin calls: they carry the bearer token.
func (c *Client) eachAdmin(ctx context.Context, call func(context.Context, *node) error) error {
	if c.cfg.AdminToken != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.cfg.AdminToken)
	}
	return c.each(ctx, call)
}
