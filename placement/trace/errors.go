package trace

import "errors"

// ErrMalformed is wrapped by every error about malformed input, which
// always names the line.
var ErrMalformed = errors.New("trace: malformed input")
