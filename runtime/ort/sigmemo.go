package ort

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// sigMemo remembers the signatures read from model files, so that a load
// reads a file's graph once per Loader rather than on every load (a miss
// after an eviction loads the same prepared form again). An entry is
// reused while the file keeps its size and modification time; prepared
// forms and stored blobs are never rewritten in place, so that check only
// guards callers that reuse a path for another model.
type sigMemo struct {
	mu     sync.Mutex // guards byPath and reads
	byPath map[string]memoSig
	// reads counts the graphs read from files.
	reads int
}

// memoSig is one remembered signature and the file it was read from.
type memoSig struct {
	size    int64
	modTime time.Time
	sig     modelSignature
}

// read returns the signature of the ONNX model at path, from memory when
// the file is unchanged since it was read. Errors are readSignature's and
// are not remembered.
func (s *sigMemo) read(path string) (modelSignature, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return modelSignature{}, fmt.Errorf("ort: open model: %w", err)
	}
	s.mu.Lock()
	e, ok := s.byPath[path]
	s.mu.Unlock()
	if ok && e.size == fi.Size() && e.modTime.Equal(fi.ModTime()) {
		return e.sig, nil
	}
	sig, err := readSignature(path)
	if err != nil {
		return modelSignature{}, err
	}
	s.mu.Lock()
	if s.byPath == nil {
		s.byPath = make(map[string]memoSig)
	}
	s.byPath[path] = memoSig{size: fi.Size(), modTime: fi.ModTime(), sig: sig}
	s.reads++
	s.mu.Unlock()
	return sig, nil
}

// graphReads is how many graphs were read from files.
func (s *sigMemo) graphReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}
