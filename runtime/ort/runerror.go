package ort

import (
	"regexp"
	"strings"

	"github.com/edgeserve/edgeserve/runtime"
)

// inputErrorPhrases are phrases of ONNX Runtime's run-time errors that say
// the inputs do not fit the model: shapes that do not broadcast or multiply,
// indices out of range, shape tensors a kernel cannot apply. The binding
// returns only the message of ONNX Runtime's status (not its code), and a
// kernel's shape check fails with the generic FAIL code anyway, so the
// message is all there is to go on. A model that got this far passed its
// warm-up run, so such a failure comes from the request. Each phrase is
// exercised against the real library in runerror_test.go; a run error that
// matches none stays a server error.
var inputErrorPhrases = []string{
	"attempting to broadcast",                 // element-wise ops
	"dimension mismatch",                      // MatMul, Gemm
	"dimensions must match",                   // Concat
	"out of data bounds",                      // Gather
	"out of bounds",                           // GatherElements, ScatterND
	"invalid expand shape",                    // Expand
	"cannot be reshaped",                      // Reshape
	"exceeds the dimension size of the input", // Reshape with 0
	"incompatible dimensions",                 // multidirectional broadcast
	"got invalid dimensions for input",        // the session's input check
	"invalid rank for input",                  // the session's input check
	"unexpected input data type",              // the session's input check
}

// Parts of ONNX Runtime's messages that describe its source, not the
// problem: the binding's prefix, the executor's preamble, and the source
// location and failed condition of ORT_ENFORCE and ORT_RETURN_IF checks
// ("file.h:59 Function " or "/path/file.h:563 signature cond was false. ").
var (
	ortPreamble = regexp.MustCompile(`Non-zero status code returned while running (\S+) node\. Name:'([^']*)' Status Message: `)
	ortEnforce  = regexp.MustCompile(`\S+\.(?:h|hpp|cc|cpp|cu|cuh):\d+ [^\n]*? was false\. `)
	ortLocation = regexp.MustCompile(`\S+\.(?:h|hpp|cc|cpp|cu|cuh):\d+ \S+ `)
)

// cleanMessage shortens an ONNX Runtime run error to what a client can act
// on, for example "Add node 'add_0': Attempting to broadcast an axis by a
// dimension other than 1. 2 by 3".
func cleanMessage(msg string) string {
	msg = strings.TrimPrefix(strings.TrimSpace(msg), "Error running network: ")
	msg = ortPreamble.ReplaceAllString(msg, "$1 node '$2': ")
	msg = ortEnforce.ReplaceAllString(msg, "")
	return ortLocation.ReplaceAllString(msg, "")
}

// runError is a failed session run, with ONNX Runtime's message cleaned.
// One that says the inputs do not fit the model wraps
// runtime.ErrInvalidInput; others are server errors.
type runError struct {
	msg   string
	input bool
}

func newRunError(err error) *runError {
	msg := cleanMessage(err.Error())
	return &runError{msg: msg, input: isInputError(msg)}
}

func (e *runError) Error() string {
	if e.input {
		return runtime.ErrInvalidInput.Error() + ": " + e.msg
	}
	return "run: " + e.msg
}

func (e *runError) Unwrap() error {
	if e.input {
		return runtime.ErrInvalidInput
	}
	return nil
}

func isInputError(msg string) bool {
	lower := strings.ToLower(msg)
	for _, p := range inputErrorPhrases {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}
