package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
)

// signatures remembers the signature of every model version seen since
// start (read from its stored file or loaded), so that metadata and input
// checks need no load: metadata never loads a model (which would count a
// miss no request had), and a malformed request is refused without loading
// the model (and evicting another). Catalog records that carry a signature
// are used first.
type signatures struct {
	mu    sync.Mutex // guards byKey
	byKey map[string]runtime.Signature
}

func newSignatures() *signatures { return &signatures{byKey: map[string]runtime.Signature{}} }

// learn records the signature of a loaded model version.
func (s *signatures) learn(key string, sig runtime.Signature) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byKey[key]; !ok {
		s.byKey[key] = sig
	}
}

// forget drops a deleted model version.
func (s *signatures) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, key)
}

// lookup returns the signature known for rec without loading it.
func (s *signatures) lookup(rec store.Record) (runtime.Signature, bool) {
	if sig, err := recordSignature(rec); err == nil && len(sig.Inputs) > 0 {
		return sig, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sig, ok := s.byKey[rec.Ref()]
	return sig, ok
}

// signature returns rec's signature without loading the model: from the
// catalog, from what was learned, or else read from the graph of its stored
// ONNX file (and remembered). The error a client sees names no file.
func (n *Node) signature(ctx context.Context, rec store.Record) (runtime.Signature, error) {
	if sig, ok := n.sigs.lookup(rec); ok {
		return sig, nil
	}
	_, path, err := n.store.ModelFile(ctx, rec.Name, versionString(rec))
	if err != nil {
		return runtime.Signature{}, fmt.Errorf("node: model %s: %w", rec.Ref(), err)
	}
	sig, err := ort.ReadSignature(path)
	if err != nil {
		// Requests come here until a load fails and backs off: no log
		// (the failed load logs); the text names the model, not the file.
		why := strings.ReplaceAll(err.Error(), path, rec.Ref())
		if errors.Is(err, runtime.ErrInvalidModel) {
			return runtime.Signature{}, fmt.Errorf("%w: node: model %s: reading its signature: %s", runtime.ErrInvalidModel, rec.Ref(), why)
		}
		return runtime.Signature{}, fmt.Errorf("%w: node: model %s: reading its signature: %s", runtime.ErrUnavailable, rec.Ref(), why)
	}
	n.sigs.learn(rec.Ref(), sig)
	return sig, nil
}

// bindInputs validates inputs against rec's signature, without loading it, and
// returns them in the signature's order. known is false when no signature
// could be had without loading: the loaded model's must be used (and the
// load reports what is wrong with the model).
func (n *Node) bindInputs(ctx context.Context, rec store.Record, in []runtime.Tensor) (ordered []runtime.Tensor, known bool, err error) {
	sig, err := n.signature(ctx, rec)
	if err != nil {
		return nil, false, nil
	}
	ordered, err = sig.Bind(in)
	return ordered, true, err
}

// recordSignature converts the catalog's signature to the runtime's.
func recordSignature(rec store.Record) (runtime.Signature, error) {
	conv := func(specs []store.TensorSpec) ([]runtime.TensorSpec, error) {
		out := make([]runtime.TensorSpec, len(specs))
		for i, s := range specs {
			t, err := codec.ParseDataType(s.Datatype)
			if err != nil {
				return nil, err
			}
			out[i] = runtime.TensorSpec{Name: s.Name, Type: t, Shape: s.Shape}
		}
		return out, nil
	}
	in, err := conv(rec.Inputs)
	if err != nil {
		return runtime.Signature{}, err
	}
	out, err := conv(rec.Outputs)
	return runtime.Signature{Inputs: in, Outputs: out}, err
}
