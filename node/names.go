package node

import (
	"fmt"
	"strconv"

	"github.com/edgeserve/edgeserve/store"
)

// maxEchoBytes bounds how much of a client's name an error quotes back.
const maxEchoBytes = 128

// maxVersionLen is the longest version reference: an int64's digits.
const maxVersionLen = 19

// clip quotes a client-supplied name for an error message, cut to
// maxEchoBytes with a marker giving its full length.
func clip(s string) string {
	if len(s) <= maxEchoBytes {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q...(%d bytes)", s[:maxEchoBytes], len(s))
}

// checkRef refuses a model name or version reference too long to be
// valid, quoting it clipped; shorter ones are checked by the store, whose
// error quotes them once.
func checkRef(name, version string) error {
	if len(name) > store.MaxNameLen {
		return fmt.Errorf("%w: model name %s: longer than %d bytes", store.ErrInvalidName, clip(name), store.MaxNameLen)
	}
	if len(version) > maxVersionLen {
		return fmt.Errorf("%w: version %s: not a version number", store.ErrInvalidName, clip(version))
	}
	return nil
}
