package client

import (
	"context"
	"fmt"
	"slices"

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
	// Parameters are the request's parameters: strings, booleans, int64s
	// and float64s (others are an error). A request whose Model is
	// "task:NAME" may set "min_accuracy" and "latency_budget_ms".
	Parameters map[string]any
}

// InferResponse is a node's answer with its outputs as typed tensors.
type InferResponse struct {
	Model, Version, ID string
	Outputs            []runtime.Tensor
	// Parameters are the response's parameters, for example
	// edgeserve_route and edgeserve_served_by (how the request was
	// served) and, for a task request, edgeserve_variant.
	Parameters map[string]any
}

// Infer sends one inference request (raw tensor contents) to the first
// node that answers. It carries no admin token.
func (c *Client) Infer(ctx context.Context, req InferRequest) (*InferResponse, error) {
	msg, err := inferRequest(req)
	if err != nil {
		return nil, err
	}
	var resp *pb.ModelInferResponse
	err = c.each(ctx, func(ctx context.Context, n *node) (err error) {
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
func inferRequest(req InferRequest) (*pb.ModelInferRequest, error) {
	msg := &pb.ModelInferRequest{ModelName: req.Model, ModelVersion: req.Version, Id: req.ID}
	for k, v := range req.Parameters {
		p := &pb.InferParameter{}
		switch v := v.(type) {
		case string:
			p.ParameterChoice = &pb.InferParameter_StringParam{StringParam: v}
		case bool:
			p.ParameterChoice = &pb.InferParameter_BoolParam{BoolParam: v}
		case int64:
			p.ParameterChoice = &pb.InferParameter_Int64Param{Int64Param: v}
		case float64:
			p.ParameterChoice = &pb.InferParameter_DoubleParam{DoubleParam: v}
		default:
			return nil, fmt.Errorf("client: parameter %s: %T is not a string, bool, int64 or float64", k, v)
		}
		if msg.Parameters == nil {
			msg.Parameters = map[string]*pb.InferParameter{}
		}
		msg.Parameters[k] = p
	}
	for _, t := range req.Inputs {
		msg.Inputs = append(msg.Inputs, &pb.ModelInferRequest_InferInputTensor{
			Name: t.Name, Datatype: codec.DataTypeName(t.Type), Shape: t.Shape})
		msg.RawInputContents = append(msg.RawInputContents, t.Data)
	}
	for _, name := range req.Outputs {
		msg.Outputs = append(msg.Outputs, &pb.ModelInferRequest_InferRequestedOutputTensor{Name: name})
	}
	return msg, nil
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
	out := &InferResponse{Model: resp.GetModelName(), Version: resp.GetModelVersion(), ID: resp.GetId(), Outputs: outs}
	for k, p := range resp.GetParameters() {
		if out.Parameters == nil {
			out.Parameters = map[string]any{}
		}
		switch v := p.GetParameterChoice().(type) {
		case *pb.InferParameter_StringParam:
			out.Parameters[k] = v.StringParam
		case *pb.InferParameter_BoolParam:
			out.Parameters[k] = v.BoolParam
		case *pb.InferParameter_Int64Param:
			out.Parameters[k] = v.Int64Param
		case *pb.InferParameter_Uint64Param:
			out.Parameters[k] = v.Uint64Param
		case *pb.InferParameter_DoubleParam:
			out.Parameters[k] = v.DoubleParam
		}
	}
	return out, nil
}

// Index returns the names of the models the first node that answers
// knows (Triton's repository index: its own and, in a cluster, those
// stored elsewhere), sorted, each once. It needs no admin token.
func (c *Client) Index(ctx context.Context) ([]string, error) {
	var names []string
	err := c.each(ctx, func(ctx context.Context, n *node) error {
		resp, err := n.infer.RepositoryIndex(ctx, &pb.RepositoryIndexRequest{})
		names = names[:0]
		for _, m := range resp.GetModels() {
			names = append(names, m.GetName())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
