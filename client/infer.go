package client

import (
	"context"
	"fmt"

	"github.com/edgeserve/edgeserve/node/codec"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
)

// InferRequest is one inference request with typed tensors.
type InferRequest struct {
	Model string
	// Version is a version number; "" asks for the latest.
	Version string
	// ID is echoed in the response; may be "".
	ID     string
	Inputs []runtime.Tensor
	// Outputs names the outputs wanted; empty asks for all.
	Outputs []string
}

// InferResponse is a node's answer with its outputs as typed tensors.
type InferResponse struct {
	Model, Version, ID string
	Outputs            []runtime.Tensor
}

// Infer sends one inference request (raw tensor contents) to the first
// node that answers. It carries no admin token.
func (c *Client) Infer(ctx context.Context, req InferRequest) (*InferResponse, error) {
	msg := inferRequest(req)
	var resp *pb.ModelInferResponse
	err := c.each(ctx, func(ctx context.Context, n *node) (err error) {
		resp, err = n.infer.ModelInfer(ctx, msg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return DecodeResponse(resp)
}

// Metadata returns a model's signature (the latest version when version
// is "") from the first node that answers.
func (c *Client) Metadata(ctx context.Context, model, version string) (*pb.ModelMetadataResponse, error) {
	var md *pb.ModelMetadataResponse
	err := c.each(ctx, func(ctx context.Context, n *node) (err error) {
		md, err = n.infer.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: model, Version: version})
		return err
	})
	return md, err
}

// inferRequest builds the protocol message, with each input's bytes in
// raw_input_contents.
func inferRequest(req InferRequest) *pb.ModelInferRequest {
	msg := &pb.ModelInferRequest{ModelName: req.Model, ModelVersion: req.Version, Id: req.ID}
	for _, t := range req.Inputs {
		msg.Inputs = append(msg.Inputs, &pb.ModelInferRequest_InferInputTensor{
			Name: t.Name, Datatype: codec.DataTypeName(t.Type), Shape: t.Shape})
		msg.RawInputContents = append(msg.RawInputContents, t.Data)
	}
	for _, name := range req.Outputs {
		msg.Outputs = append(msg.Outputs, &pb.ModelInferRequest_InferRequestedOutputTensor{Name: name})
	}
	return msg
}

// DecodeResponse turns a ModelInferResponse's outputs, raw or typed
// contents, into tensors, checking each one's bytes against its shape.
func DecodeResponse(resp *pb.ModelInferResponse) (*InferResponse, error) {
	// Outputs have the fields of inputs: the codec's input decoder checks
	// them by the same rules.
	asReq := &pb.ModelInferRequest{RawInputContents: resp.GetRawOutputContents()}
	for _, o := range resp.GetOutputs() {
		asReq.Inputs = append(asReq.Inputs, &pb.ModelInferRequest_InferInputTensor{
			Name: o.GetName(), Datatype: o.GetDatatype(), Shape: o.GetShape(), Contents: o.GetContents()})
	}
	outs, err := codec.DecodeInputs(asReq)
	if err != nil {
		return nil, fmt.Errorf("client: response of %s: %w", resp.GetModelName(), err)
	}
	return &InferResponse{Model: resp.GetModelName(), Version: resp.GetModelVersion(), ID: resp.GetId(), Outputs: outs}, nil
}
