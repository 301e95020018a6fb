package zoo

import "errors"

// Errors callers branch on.
var (
	// ErrUnknownModel: the name is not a model the zoo generates.
	ErrUnknownModel = errors.New("zoo: unknown model")
	// ErrUnknownSet: the set name is not test, small or full.
	ErrUnknownSet = errors.New("zoo: unknown set")
	// ErrInvalidManifest: a manifest file is malformed or inconsistent.
	ErrInvalidManifest = errors.New("zoo: invalid manifest")
)
