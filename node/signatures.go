package node

import (
	"sync"

	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
)

// signatures remembers the signature of every model version loaded since
// start, so that metadata and input checks need no load after the model is
// evicted: a malformed request for an evicted model is refused without
// reloading it (and evicting another). Catalog records that carry a
// signature are used first.
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

// bind validates inputs against the signature known for rec, without
// loading it, and returns them in the signature's order. known is false
// when no signature is known yet: the loaded model's must be used.
func (s *signatures) bind(rec store.Record, in []runtime.Tensor) (ordered []runtime.Tensor, known bool, err error) {
	sig, ok := s.lookup(rec)
	if !ok {
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
