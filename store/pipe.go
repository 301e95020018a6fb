package store

import (
	"errors"
	"io"
	"sync/atomic"
)

// Pipeline sizes: chunks of pipeChunk bytes, at most pipeDepth in flight.
const (
	pipeChunk = 1 << 20
	pipeDepth = 4
)

// pipeCopy copies r to dst, the file, on a second goroutine, while the
// caller's goroutine reads the next chunk and feeds side (the hash, the
// ONNX check, progress). Hashing thus overlaps writing and the kernel's
// writeback instead of adding to them. It returns the bytes read from r;
// the first error of either side stops the copy.
func pipeCopy(dst, side io.Writer, r io.Reader) (int64, error) {
	free := make(chan []byte, pipeDepth)
	for range pipeDepth {
		free <- make([]byte, pipeChunk)
	}
	full := make(chan []byte, pipeDepth)
	werr := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		for b := range full {
			if err == nil {
				if _, err = dst.Write(b); err != nil {
					failed.Store(true)
				}
			}
			free <- b[:cap(b)]
		}
		werr <- err
	}()
	n, rerr := readChunks(r, side, free, full, &failed)
	close(full)
	if err := <-werr; err != nil {
		return n, err
	}
	return n, rerr
}

// readChunks is pipeCopy's reading side; it owns full until it returns.
func readChunks(r io.Reader, side io.Writer, free <-chan []byte, full chan<- []byte, failed *atomic.Bool) (int64, error) {
	var n int64
	for {
		buf := <-free
		if failed.Load() {
			return n, nil // the writer's error is reported
		}
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			_, _ = side.Write(buf[:k]) // side writers never fail
			n += int64(k)
			full <- buf[:k]
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
