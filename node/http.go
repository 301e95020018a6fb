package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/edgeserve/edgeserve/node/codec"
	pb "github.com/edgeserve/edgeserve/proto/inference"
	"github.com/edgeserve/edgeserve/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// httpHandler serves the Open Inference Protocol's HTTP/REST binding
// (KServe v2) and the repository extension.
func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /v2/health/ready", n.handleServerReady)
	mux.HandleFunc("GET /v2", n.handleServerMetadata)
	for _, prefix := range []string{"/v2/models/{model}", "/v2/models/{model}/versions/{version}"} {
		mux.HandleFunc("GET "+prefix, n.handleModelMetadata)
		mux.HandleFunc("GET "+prefix+"/ready", n.handleModelReady)
		mux.HandleFunc("POST "+prefix+"/infer", n.handleInfer)
		mux.HandleFunc("GET "+prefix+"/stats", n.handleStats)
	}
	mux.HandleFunc("GET /v2/node/status", n.handleNodeStatus)
	mux.HandleFunc("GET /v2/cluster", n.handleCluster)
	mux.HandleFunc("POST /v2/repository/index", n.handleIndex)
	mux.HandleFunc("POST /v2/repository/models/{model}/load", n.requireToken(n.handleLoad))
	mux.HandleFunc("POST /v2/repository/models/{model}/unload", n.requireToken(n.handleUnload))
	return mux
}

// errorBody is the protocol's error response.
type errorBody struct {
	Error string `json:"error"`
}

// writeError writes err with the status the single mapping gives it and
// its message without server file paths.
func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, classify(err).http, errorBody{Error: scrub(err.Error())})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

func (n *Node) handleServerReady(w http.ResponseWriter, _ *http.Request) {
	if !n.ready() {
		writeError(w, ErrDraining)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (n *Node) handleServerMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"name": "edgeserve", "version": n.cfg.Version, "extensions": extensions})
}

// handleModelReady answers 200 when the model is loaded, 400 when it is
// known but not loaded (Triton's convention), 404 when unknown.
func (n *Node) handleModelReady(w http.ResponseWriter, r *http.Request) {
	ready, err := n.modelReady(r.Context(), r.PathValue("model"), r.PathValue("version"))
	switch {
	case err != nil:
		writeError(w, err)
	case ready:
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

// jsonTensorMeta is a tensor in the model metadata response.
type jsonTensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

func (n *Node) handleModelMetadata(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), n.cfg.Server.RequestTimeout)
	defer cancel()
	md, err := n.modelMetadata(ctx, r.PathValue("model"), r.PathValue("version"))
	if err != nil {
		writeError(w, err)
		return
	}
	conv := func(specs []runtime.TensorSpec) []jsonTensorMeta {
		out := make([]jsonTensorMeta, len(specs))
		for i, s := range specs {
			out[i] = jsonTensorMeta{Name: s.Name, Datatype: codec.DataTypeName(s.Type), Shape: s.Shape}
		}
		return out
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": md.Name, "versions": md.Versions, "platform": md.Platform,
		"inputs": conv(md.Signature.Inputs), "outputs": conv(md.Signature.Outputs)})
}

// readBody reads the whole body within the request size limit.
func (n *Node) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(n.cfg.Server.MaxRequestBytes)))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%w: body over %d bytes", ErrTooLarge, tooLarge.Limit)
	}
	return body, err
}

// handleStats answers the statistics extension with the protobuf
// message's JSON form (protojson field names, as Triton's HTTP endpoint).
func (n *Node) handleStats(w http.ResponseWriter, r *http.Request) {
	name, version := r.PathValue("model"), r.PathValue("version")
	if _, err := n.resolve(r.Context(), name, version); err != nil {
		writeError(w, err)
		return
	}
	body, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(
		&pb.ModelStatisticsResponse{ModelStats: n.stats.snapshot(name, version)})
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body) //nolint:errcheck // the client went away
}

// indexRequest is the repository index request body.
type indexRequest struct {
	Ready bool `json:"ready"`
}

func (n *Node) handleIndex(w http.ResponseWriter, r *http.Request) {
	var req indexRequest
	body, err := n.readBody(w, r)
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		if jerr := json.Unmarshal(body, &req); jerr != nil {
			err = fmt.Errorf("%w: index request: %v", ErrBadRequest, jerr)
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	entries, err := n.index(r.Context(), req.Ready)
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]map[string]string, len(entries))
	for i, e := range entries {
		out[i] = map[string]string{"name": e.Name, "version": e.Version, "state": e.State}
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleLoad(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), n.cfg.Cache.LoadTimeout)
	defer cancel()
	if _, err := n.load(ctx, r.PathValue("model"), ""); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (n *Node) handleUnload(w http.ResponseWriter, r *http.Request) {
	if err := n.unload(r.Context(), r.PathValue("model"), ""); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
