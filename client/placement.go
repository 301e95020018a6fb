package client

import (
	"context"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// PlacementStatus is the placement as the first node that answers sees it:
// every region's Raft leader and term, and its own region's configuration,
// hints and how far each node follows them. It is an admin call.
func (c *Client) PlacementStatus(ctx context.Context) (*adminpb.PlacementStatusResponse, error) {
	var st *adminpb.PlacementStatusResponse
	err := c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		var err error
		st, err = n.admin.PlacementStatus(ctx, &adminpb.PlacementStatusRequest{})
		return err
	})
	return st, err
}
