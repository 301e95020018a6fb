package node

import (
	"context"
	"sync"

	"github.com/edgeserve/edgeserve/runtime"
)

// mapCache is a stand-in for placement/cache until that package is merged:
// it loads on a miss under a lock and never evicts.
type mapCache struct {
	load   loadFunc
	mu     sync.Mutex
	models map[string]runtime.Model
}

func newMapCache(_ Config, _ Deps, load loadFunc) (modelCache, error) {
	return &mapCache{load: load, models: map[string]runtime.Model{}}, nil
}

type mapLease struct{ m runtime.Model }

func (l mapLease) Model() runtime.Model { return l.m }
func (l mapLease) Release()             {}

func (c *mapCache) Acquire(ctx context.Context, key string, _ int64) (lease, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.models[key]; ok {
		return mapLease{m}, nil
	}
	m, err := c.load(ctx, key)
	if err != nil {
		return nil, err
	}
	c.models[key] = m
	return mapLease{m}, nil
}

func (c *mapCache) Pin(ctx context.Context, key string, hint int64) error {
	_, err := c.Acquire(ctx, key, hint)
	return err
}

func (c *mapCache) Unpin(string) bool { return true }

func (c *mapCache) Unload(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.models[key]
	if ok {
		m.Close()
		delete(c.models, key)
	}
	return ok
}

func (c *mapCache) Resident(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.models[key]
	return ok
}

func (c *mapCache) Close(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, m := range c.models {
		m.Close()
		delete(c.models, k)
	}
	return nil
}
