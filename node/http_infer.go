package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"

	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/runtime"
)

func (n *Node) handleInfer(w http.ResponseWriter, r *http.Request) {
	n.metrics.inFlight.Inc()
	defer n.metrics.inFlight.Dec()
	model := r.PathValue("model")
	c := n.reqmem.charge()
	defer c.release()
	resp, tail, err := n.inferHTTP(w, r, model, c)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(tail) == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		codec.WriteJSONResponse(w, resp) //nolint:errcheck // the client went away
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

// inferHTTP decodes the body (JSON, or JSON plus binary tensor data) as it
// arrives, charging the tensors to c, runs the request and returns the
// response with any binary output bytes.
func (n *Node) inferHTTP(w http.ResponseWriter, r *http.Request, model string, c *charge) (codec.JSONResponse, [][]byte, error) {
	req, inputs, err := n.decodeInferBody(w, r, c)
	if err != nil {
		n.metrics.fail(unresolvedModel, err)
		return codec.JSONResponse{}, nil, err
	}
	return n.inferJSON(r.Context(), model, r.PathValue("version"), req, inferCall{Inputs: inputs})
}

// decodeInferBody streams the body, within the request size limit, into
// the decoder the binary extension's header picks.
func (n *Node) decodeInferBody(w http.ResponseWriter, r *http.Request, c *charge) (codec.JSONRequest, []runtime.Tensor, error) {
	limit := int64(n.cfg.Server.MaxRequestBytes)
	if r.ContentLength > limit {
		return codec.JSONRequest{}, nil, fmt.Errorf("%w: body of %d bytes, over %d", ErrTooLarge, r.ContentLength, limit)
	}
	lim := codec.Limits{MaxBytes: limit, Reserve: c.Reserve}
	if r.ContentLength >= 0 {
		lim.MaxBytes = r.ContentLength
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	req, inputs, err := decodeBody(r.Header.Get(codec.InferenceHeaderLength), body, lim)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return codec.JSONRequest{}, nil, fmt.Errorf("%w: body over %d bytes", ErrTooLarge, tooLarge.Limit)
	}
	return req, inputs, err
}

// decodeBody picks the decoder by the binary extension's header.
func decodeBody(headerLen string, body io.Reader, lim codec.Limits) (codec.JSONRequest, []runtime.Tensor, error) {
	if headerLen == "" {
		return codec.DecodeJSONRequestLimited(body, lim)
	}
	n, err := strconv.ParseInt(headerLen, 10, 64)
	if err != nil {
		return codec.JSONRequest{}, nil, fmt.Errorf("%w: %s %q", ErrBadRequest, codec.InferenceHeaderLength, headerLen)
	}
	return codec.DecodeBinaryStream(body, n, lim)
}

func (n *Node) inferJSON(ctx context.Context, model, version string, req codec.JSONRequest, call inferCall) (codec.JSONResponse, [][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Server.RequestTimeout)
	defer cancel()
	tr, isTask, err := parseTask(model, version, jsonParam(req.Parameters))
	var choice taskChoice
	if err == nil && isTask {
		choice, err = n.chooseVariant(ctx, tr, call.Inputs)
		model, version = choice.Name, choice.Version
	}
	if err != nil {
		n.metrics.fail(unresolvedModel, err)
		return codec.JSONResponse{}, nil, err
	}
	call.Model, call.Version = model, version
	for _, o := range req.Outputs {
		call.Outputs = append(call.Outputs, o.Name)
	}
	call.forward = n.tensorForward(call, req.ID)
	res, err := n.infer(ctx, call)
	if err == nil && res.Forwarded != nil {
		res.Outputs, err = forwardedOutputs(res.Forwarded)
	}
	if err != nil {
		return codec.JSONResponse{}, nil, err
	}
	resp := codec.JSONResponse{ModelName: res.Record.Name, ModelVersion: versionString(res.Record), ID: req.ID,
		Outputs: make([]codec.JSONTensor, len(res.Outputs))}
	if res.Route != "" {
		resp.Parameters = map[string]any{"edgeserve_route": res.Route, "edgeserve_served_by": res.ServedBy}
	}
	if p := choice.parameters(); p != nil {
		if resp.Parameters == nil {
			resp.Parameters = map[string]any{}
		}
		maps.Copy(resp.Parameters, p)
	}
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

// jsonParam reads a JSON request parameter, a string or a number, as text.
func jsonParam(params map[string]any) taskParam {
	return func(key string) (string, bool, error) {
		v, ok := params[key]
		if !ok {
			return "", false, nil
		}
		switch v := v.(type) {
		case string:
			return v, true, nil
		case float64:
			return strconv.FormatFloat(v, 'g', -1, 64), true, nil
		case json.Number:
			return v.String(), true, nil
		}
		return "", false, fmt.Errorf("%w: parameter %s must be a string or a number", ErrBadRequest, key)
	}
}
