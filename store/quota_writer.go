package store

import (
	"context"
	"fmt"
	"io"
)

// reserveChunk is how many bytes a streaming write reserves at a time.
const reserveChunk = 4 << 20

// quotaWriter writes to the temporary blob file, reserving space ahead of
// the bytes it writes (so the quota and the disk's reserve are checked
// while streaming, not only before) and giving fault injection its hook.
type quotaWriter struct {
	ctx        context.Context
	f          io.Writer
	space      *space
	faults     FaultFunc
	statfsStep int64 // bytes between file-system free-space checks
	max        int64 // bytes

	written    int64
	reserved   int64 // bytes reserved so far; the owner releases them
	lastStatfs int64 // value of reserved at the last free-space check
}

func (w *quotaWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if err := w.ensure(int64(len(p))); err != nil {
		return 0, err
	}
	if err := w.faults.at(StepWrite); err != nil {
		return 0, err
	}
	n, err := w.f.Write(p)
	w.written += int64(n)
	return n, err
}

// ensure reserves space so that n more bytes are covered.
func (w *quotaWriter) ensure(n int64) error {
	need := w.written + n
	if need > w.max {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, w.max)
	}
	if need <= w.reserved {
		return nil
	}
	exact := need - w.reserved
	step := max(exact, reserveChunk)
	checkFS := w.reserved == 0 || w.reserved+step-w.lastStatfs >= w.statfsStep
	err := w.space.take(step, checkFS)
	if err != nil && step > exact {
		// Near the limit a whole chunk may not fit where the bytes do.
		step = exact
		err = w.space.take(step, checkFS)
	}
	if err != nil {
		return err
	}
	if checkFS {
		w.lastStatfs = w.reserved + step
	}
	w.reserved += step
	return nil
}
