package node

import (
	"context"
	"fmt"
	"strconv"

	"github.com/edgeserve/edgeserve/node/codec"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
	"google.golang.org/protobuf/proto"
)

// inferenceServer implements the Open Inference Protocol's gRPC service.
// Its methods convert between the wire and the node's operations and map
// every error through grpcError.
type inferenceServer struct {
	pb.UnimplementedGRPCInferenceServiceServer
	n *Node
}

// extensions are the protocol extensions the node implements.
var extensions = []string{"model_repository", "statistics", "binary_tensor_data"}

func (s inferenceServer) ServerLive(context.Context, *pb.ServerLiveRequest) (*pb.ServerLiveResponse, error) {
	return &pb.ServerLiveResponse{Live: true}, nil
}

func (s inferenceServer) ServerReady(context.Context, *pb.ServerReadyRequest) (*pb.ServerReadyResponse, error) {
	return &pb.ServerReadyResponse{Ready: s.n.ready()}, nil
}

func (s inferenceServer) ModelReady(ctx context.Context, req *pb.ModelReadyRequest) (*pb.ModelReadyResponse, error) {
	ready, err := s.n.modelReady(ctx, req.GetName(), req.GetVersion())
	return &pb.ModelReadyResponse{Ready: ready}, grpcError(err)
}

func (s inferenceServer) ServerMetadata(context.Context, *pb.ServerMetadataRequest) (*pb.ServerMetadataResponse, error) {
	return &pb.ServerMetadataResponse{Name: "edgeserve", Version: s.n.cfg.Version, Extensions: extensions}, nil
}

func (s inferenceServer) ModelMetadata(ctx context.Context, req *pb.ModelMetadataRequest) (*pb.ModelMetadataResponse, error) {
	md, err := s.n.modelMetadata(ctx, req.GetName(), req.GetVersion())
	if err != nil {
		return nil, grpcError(err)
	}
	return &pb.ModelMetadataResponse{Name: md.Name, Versions: md.Versions, Platform: md.Platform,
		Inputs: tensorMetadata(md.Signature.Inputs), Outputs: tensorMetadata(md.Signature.Outputs)}, nil
}

func tensorMetadata(specs []runtime.TensorSpec) []*pb.ModelMetadataResponse_TensorMetadata {
	out := make([]*pb.ModelMetadataResponse_TensorMetadata, len(specs))
	for i, s := range specs {
		out[i] = &pb.ModelMetadataResponse_TensorMetadata{Name: s.Name, Datatype: codec.DataTypeName(s.Type), Shape: s.Shape}
	}
	return out
}

func (s inferenceServer) ModelInfer(ctx context.Context, req *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	s.n.metrics.inFlight.Inc()
	defer s.n.metrics.inFlight.Dec()
	c := s.n.reqmem.charge()
	defer c.release()
	err := c.Reserve(grpcRequestBytes(req))
	var inputs []runtime.Tensor
	if err == nil {
		inputs, err = codec.DecodeInputs(req)
	}
	if err != nil {
		s.n.metrics.fail(unresolvedModel, err)
		return nil, grpcError(err)
	}
	forwarded, err := s.n.forwardedBy(ctx)
	if err != nil {
		return nil, err
	}
	var choice taskChoice
	if !forwarded {
		if req, choice, err = s.n.grpcTask(ctx, req, inputs); err != nil {
			s.n.metrics.fail(unresolvedModel, err)
			return nil, grpcError(err)
		}
	}
	call := inferCall{Model: req.GetModelName(), Version: req.GetModelVersion(), Inputs: inputs, forward: s.n.grpcForward(req), forwarded: forwarded}
	for _, o := range req.GetOutputs() {
		call.Outputs = append(call.Outputs, o.GetName())
	}
	res, err := s.n.infer(ctx, call)
	if err != nil {
		return nil, grpcError(err)
	}
	resp := res.Forwarded
	if resp == nil {
		resp = &pb.ModelInferResponse{ModelName: res.Record.Name, ModelVersion: versionString(res.Record), Id: req.GetId()}
		codec.EncodeOutputs(resp, res.Outputs)
	}
	setRouteParameters(resp, res)
	setParameters(resp, choice.parameters())
	return resp, nil
}

// grpcTask resolves a request that names a task: the request as it is
// sent on, naming the model chosen (and no task, so a peer runs that
// model), and the choice. A request that names a model is returned as it
// is.
func (n *Node) grpcTask(ctx context.Context, req *pb.ModelInferRequest, inputs []runtime.Tensor) (*pb.ModelInferRequest, taskChoice, error) {
	tr, isTask, err := parseTask(req.GetModelName(), req.GetModelVersion(), grpcParam(req.GetParameters()))
	if err != nil || !isTask {
		return req, taskChoice{}, err
	}
	c, err := n.chooseVariant(ctx, tr, inputs)
	if err != nil {
		return req, taskChoice{}, err
	}
	out := &pb.ModelInferRequest{ModelName: c.Name, ModelVersion: c.Version, Id: req.GetId(), Inputs: req.GetInputs(),
		Outputs: req.GetOutputs(), RawInputContents: req.GetRawInputContents()}
	for k, v := range req.GetParameters() {
		if k != paramTask && k != paramMinAcc && k != paramBudget {
			if out.Parameters == nil {
				out.Parameters = map[string]*pb.InferParameter{}
			}
			out.Parameters[k] = v
		}
	}
	return out, c, nil
}

// grpcParam reads a request parameter of any scalar type as text.
func grpcParam(params map[string]*pb.InferParameter) taskParam {
	return func(key string) (string, bool, error) {
		p, ok := params[key]
		if !ok {
			return "", false, nil
		}
		switch v := p.GetParameterChoice().(type) {
		case *pb.InferParameter_StringParam:
			return v.StringParam, true, nil
		case *pb.InferParameter_Int64Param:
			return strconv.FormatInt(v.Int64Param, 10), true, nil
		case *pb.InferParameter_Uint64Param:
			return strconv.FormatUint(v.Uint64Param, 10), true, nil
		case *pb.InferParameter_DoubleParam:
			return strconv.FormatFloat(v.DoubleParam, 'g', -1, 64), true, nil
		}
		return "", false, fmt.Errorf("%w: parameter %s must be a string or a number", ErrBadRequest, key)
	}
}

// setParameters adds params (strings, booleans, float64s) to a response.
func setParameters(resp *pb.ModelInferResponse, params map[string]any) {
	if len(params) == 0 {
		return
	}
	if resp.Parameters == nil {
		resp.Parameters = map[string]*pb.InferParameter{}
	}
	for k, v := range params {
		switch v := v.(type) {
		case string:
			resp.Parameters[k] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_StringParam{StringParam: v}}
		case bool:
			resp.Parameters[k] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_BoolParam{BoolParam: v}}
		case float64:
			resp.Parameters[k] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_DoubleParam{DoubleParam: v}}
		}
	}
}

// grpcRequestBytes is what a request holds while it runs: its message,
// and again its typed contents once packed into tensors (raw contents
// become tensors without a copy).
func grpcRequestBytes(req *pb.ModelInferRequest) int64 {
	size := int64(proto.Size(req))
	if len(req.GetRawInputContents()) == 0 {
		size *= 2
	}
	return size
}

func (s inferenceServer) ModelStatistics(ctx context.Context, req *pb.ModelStatisticsRequest) (*pb.ModelStatisticsResponse, error) {
	if req.GetName() != "" {
		if _, err := s.n.resolve(ctx, req.GetName(), req.GetVersion()); err != nil {
			return nil, grpcError(err)
		}
	}
	return &pb.ModelStatisticsResponse{ModelStats: s.n.stats.snapshot(req.GetName(), req.GetVersion())}, nil
}

func (s inferenceServer) RepositoryIndex(ctx context.Context, req *pb.RepositoryIndexRequest) (*pb.RepositoryIndexResponse, error) {
	models, err := s.n.index(ctx, req.GetReady())
	if err != nil {
		return nil, grpcError(err)
	}
	resp := &pb.RepositoryIndexResponse{}
	for _, m := range models {
		resp.Models = append(resp.Models, &pb.RepositoryIndexResponse_ModelIndex{Name: m.Name, Version: m.Version, State: m.State})
	}
	return resp, nil
}

func (s inferenceServer) RepositoryModelLoad(ctx context.Context, req *pb.RepositoryModelLoadRequest) (*pb.RepositoryModelLoadResponse, error) {
	_, err := s.n.load(ctx, req.GetModelName(), versionParam(req.GetParameters()))
	return &pb.RepositoryModelLoadResponse{}, grpcError(err)
}

func (s inferenceServer) RepositoryModelUnload(ctx context.Context, req *pb.RepositoryModelUnloadRequest) (*pb.RepositoryModelUnloadResponse, error) {
	return &pb.RepositoryModelUnloadResponse{}, grpcError(s.n.unload(ctx, req.GetModelName(), versionParam(req.GetParameters())))
}

// versionParam reads an optional "version" repository parameter (an
// EdgeServe addition; Triton's clients send none and get the latest).
func versionParam(params map[string]*pb.ModelRepositoryParameter) string {
	p := params["version"]
	switch {
	case p == nil:
		return ""
	case p.GetStringParam() != "":
		return p.GetStringParam()
	case p.GetInt64Param() != 0:
		return fmt.Sprint(p.GetInt64Param())
	}
	return ""
}

// versionString is a record's version as the protocol writes it.
func versionString(r store.Record) string { return strconv.FormatInt(r.Version, 10) }

// setRouteParameters says in the response which node ran the request and
// how it got there.
func setRouteParameters(resp *pb.ModelInferResponse, res inferResult) {
	if res.Route == "" {
		return
	}
	p := map[string]any{"edgeserve_route": res.Route}
	if res.ServedBy != "" {
		p["edgeserve_served_by"] = res.ServedBy
	}
	setParameters(resp, p)
}
