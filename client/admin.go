package client

import (
	"context"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// List returns the models of the first node that answers, with whether
// each is loaded there.
func (c *Client) List(ctx context.Context) ([]*adminpb.ModelInfo, error) {
	var models []*adminpb.ModelInfo
	err := c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		resp, err := n.admin.ListModels(ctx, &adminpb.ListModelsRequest{})
		models = resp.GetModels()
		return err
	})
	return models, err
}

// Remove deletes one version of a model, or every version when version
// is "".
func (c *Client) Remove(ctx context.Context, name, version string) error {
	return c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		_, err := n.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: name, Version: version})
		return err
	})
}

// Load loads a model (the latest version when version is "") and keeps it
// loaded; it returns how long the node took.
func (c *Client) Load(ctx context.Context, name, version string) (time.Duration, error) {
	var took time.Duration
	err := c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		resp, err := n.admin.LoadModel(ctx, &adminpb.LoadModelRequest{Name: name, Version: version})
		took = time.Duration(resp.GetLoadTimeUs()) * time.Microsecond
		return err
	})
	return took, err
}

// Unload unloads a model (every version when version is "").
func (c *Client) Unload(ctx context.Context, name, version string) error {
	return c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		_, err := n.admin.UnloadModel(ctx, &adminpb.UnloadModelRequest{Name: name, Version: version})
		return err
	})
}

// ClusterStatus returns the cluster as the first node that answers sees
// it: members, health, loaded models, headroom, predicted RTT.
func (c *Client) ClusterStatus(ctx context.Context) (*adminpb.ClusterStatusResponse, error) {
	var st *adminpb.ClusterStatusResponse
	err := c.eachAdmin(ctx, func(ctx context.Context, n *node) error {
		var err error
		st, err = n.admin.ClusterStatus(ctx, &adminpb.ClusterStatusRequest{})
		return err
	})
	return st, err
}
