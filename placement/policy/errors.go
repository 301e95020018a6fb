package policy

import "errors"

var (
	// ErrUnknownPolicy is returned by New for a name Names does not list.
	ErrUnknownPolicy = errors.New("policy: unknown policy")
	// ErrBadModels is returned when the model table is unusable.
	ErrBadModels = errors.New("policy: bad model table")
	// ErrBadConfig is returned when a policy's configuration is invalid.
	ErrBadConfig = errors.New("policy: bad configuration")
)
