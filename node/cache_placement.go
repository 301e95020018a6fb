package node

import "errors"

// newPlacementCache adapts placement/cache (wired when that package lands).
func newPlacementCache(Config, Deps, loadFunc) (modelCache, error) {
	return nil, errors.New("node: placement/cache not wired yet")
}
