package cache

import "context"

// requestLoadKey marks the context of a load that a request started.
type requestLoadKey struct{}

// ForRequest reports whether the load running under ctx (the context the
// cache passes to Loader.Load) was started by a request's Acquire, so that
// a request waits for it, rather than by Pin. A loader can then skip work
// that only pays off before the first request, such as a warm-up run: on a
// miss the request's own run is the first. Requests that join a pinned
// load in progress, and pins that join a request's, share the load as it
// was started.
func ForRequest(ctx context.Context) bool {
	v, _ := ctx.Value(requestLoadKey{}).(bool)
	return v
}

// withLoadKind marks ctx as a request's load when request is set.
func withLoadKind(ctx context.Context, request bool) context.Context {
	if !request {
		return ctx
	}
	return context.WithValue(ctx, requestLoadKey{}, true)
}
