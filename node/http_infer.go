package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/runtime"
)

func (n *Node) handleInfer(w http.ResponseWriter, r *http.Request) {
	n.metrics.inFlight.Inc()
	defer n.metrics.inFlight.Dec()
	model := r.PathValue("model")
	resp, tail, err := n.inferHTTP(w, r, model)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(tail) == 0 {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	writeBinary(w, resp, tail)
}

// writeBinary writes the JSON part and then the binary output bytes.
func writeBinary(w http.ResponseWriter, resp codec.JSONResponse, tail [][]byte) {
	head, err := json.Marshal(resp)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(codec.InferenceHeaderLength, strconv.Itoa(len(head)))
	w.WriteHeader(http.StatusOK)
	w.Write(head) //nolint:errcheck // the client went away
	for _, b := range tail {
		w.Write(b) //nolint:errcheck // the client went away
	}
}

// inferHTTP decodes the body (JSON, or JSON plus binary tensor data), runs
// the request and returns the response with any binary output bytes.
func (n *Node) inferHTTP(w http.ResponseWriter, r *http.Request, model string) (codec.JSONResponse, [][]byte, error) {
	body, err := n.readBody(w, r)
	if err == nil {
		var req codec.JSONRequest
		var call inferCall
		if req, call.Inputs, err = decodeInferBody(r, body); err == nil {
			return n.inferJSON(r.Context(), model, r.PathValue("version"), req, call)
		}
	}
	n.metrics.fail(unresolvedModel, err)
	return codec.JSONResponse{}, nil, err
}

// decodeInferBody picks the decoder by the binary extension's header.
func decodeInferBody(r *http.Request, body []byte) (codec.JSONRequest, []runtime.Tensor, error) {
	hl := r.Header.Get(codec.InferenceHeaderLength)
	if hl == "" {
		return codec.DecodeJSONRequest(bytes.NewReader(body))
	}
	n, err := strconv.ParseInt(hl, 10, 64)
	if err != nil {
		return codec.JSONRequest{}, nil, fmt.Errorf("%w: %s %q", ErrBadRequest, codec.InferenceHeaderLength, hl)
	}
	return codec.DecodeBinaryRequest(body, n)
}

func (n *Node) inferJSON(ctx context.Context, model, version string, req codec.JSONRequest, call inferCall) (codec.JSONResponse, [][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Server.RequestTimeout)
	defer cancel()
	call.Model, call.Version = model, version
	for _, o := range req.Outputs {
		call.Outputs = append(call.Outputs, o.Name)
	}
	res, err := n.infer(ctx, call)
	if err != nil {
		return codec.JSONResponse{}, nil, err
	}
	resp := codec.JSONResponse{ModelName: res.Record.Name, ModelVersion: versionString(res.Record), ID: req.ID,
		Outputs: make([]codec.JSONTensor, len(res.Outputs))}
	binary := codec.BinaryOutputs(req)
	var tail [][]byte
	for i, t := range res.Outputs {
		if binary(t.Name) {
			resp.Outputs[i] = codec.EncodeBinaryOutput(t)
			tail = append(tail, t.Data)
		} else if resp.Outputs[i], err = codec.EncodeJSONTensor(t); err != nil {
			return codec.JSONResponse{}, nil, err
		}
	}
	return resp, tail, nil
}
